// The plan and the outcome of `docker tidy prune` as text: a table per category (images with rm's
// tables), one summary line in rm's words.
import type { PruneOutcome } from '../core/outcome.js';
import { buildCacheBytes, type PrunePlan } from '../core/plan-prune.js';
import { logBytes } from '../core/logs.js';
import { formatBytes } from '../core/units.js';
import {
  bytesText,
  cachedText,
  count,
  failureLines as removalFailureLines,
  freedText,
  leftLines,
  notVerifiedLines,
  renderKeptTable,
  renderRemovalTable,
  summaryLine,
} from './removal.js';
import { renderTable } from './table.js';
import { sanitizeLines, shortId } from './text.js';

/** Whether the sweep removes nothing at all. */
export function isEmpty(plan: PrunePlan): boolean {
  const r = plan.removal;
  return r.containers.length + r.removals.length + plan.networks.length + plan.volumes.length + plan.buildCache.length === 0;
}

/** Every object the sweep removes, by category, with bytes per category and in total. */
export function renderPrunePlan(plan: PrunePlan, dryRun = false): string {
  const { containers, removals, kept } = plan.removal;
  const released = new Set(plan.releasedBuildCache);
  const parts: string[] = [];
  const section = (title: string, bytes: number | undefined, headers: string[], rows: string[][]): void => {
    if (!rows.length) return;
    parts.push(`${title}${bytes === undefined ? '' : `, freeing ${formatBytes(bytes, 4)}`}:\n${renderTable(headers, rows)}`);
  };
  section(
    `Stopped containers (${containers.length})`,
    plan.bytes.containers,
    ['CONTAINER ID', 'NAME', 'STATE', 'SIZE', 'LOGS'],
    containers.map((c) => [shortId(c.id), c.name, c.state, formatBytes(Math.max(0, c.sizeRw), 4), formatBytes(logBytes(c), 4)]),
  );
  if (removals.length || kept.length) {
    // rm's tables: the references that go, then those kept and why.
    let images = `Images (${removals.length}), freeing ${formatBytes(plan.bytes.images, 4)}:\n`;
    if (removals.length) images += renderRemovalTable(removals) + notVerifiedLines(removals);
    if (kept.length) images += `${removals.length ? '\n' : ''}Kept:\n` + renderKeptTable(kept);
    parts.push(images);
  }
  section(
    `Networks (${plan.networks.length})`,
    undefined,
    ['NETWORK ID', 'NAME', 'DRIVER'],
    plan.networks.map((n) => [shortId(n.id), n.name, n.driver]),
  );
  section(
    `Volumes (${plan.volumes.length})`,
    plan.bytes.volumes,
    ['VOLUME NAME', 'SIZE'],
    plan.volumes.map((v) => [v.name, v.size < 0 ? 'N/A' : formatBytes(v.size, 4)]),
  );
  section(
    `Build cache (${plan.buildCache.length})`,
    plan.bytes.buildCache,
    ['CACHE ID', 'TYPE', 'SIZE', 'SHARED', 'FREES'],
    plan.buildCache.map((b) => [b.id.slice(0, 12), b.type, formatBytes(b.size, 4), b.shared ? 'yes' : 'no', formatBytes(buildCacheBytes([b], released), 4)]),
  );
  for (const note of plan.notes) parts.push(`Note: ${note}\n`);
  if (plan.keepUnder) parts.push(keepUnderLine(plan) + '\n');
  if (!isEmpty(plan)) parts.push(planSummary(plan, dryRun) + '\n' + (plan.cachedBytes > 0 ? cachedText(plan.cachedBytes, 'stays') + '\n' : ''));
  return parts.join('\n');
}

/** One line: what the plan removes and frees ("This removes ..." or "Dry run: this would remove ..."). */
export function planSummary(plan: PrunePlan, dryRun = false): string {
  const r = plan.removal;
  const parts = counts(r.containers.length, r.removals.length, plan.networks.length, plan.volumes.length, plan.buildCache.length);
  return summaryLine({ verb: 'remove', parts }, plan.estimatedBytes, plan.exact, dryRun);
}

function keepUnderLine(plan: PrunePlan): string {
  const k = plan.keepUnder!;
  const head = `--keep-under ${formatBytes(k.limitBytes, 4)}: images take ${bytesText(k.beforeBytes)} now, ${bytesText(k.afterBytes)} after`;
  return k.shortByBytes > 0
    ? `${head}; the limit cannot be reached without images in use or protected: ${bytesText(k.shortByBytes)} over`
    : `${head}; within the limit`;
}

// The categories that have something, in docker's order ("2 containers", "1 image", ...).
function counts(containers: number, images: number, networks: number, volumes: number, cache: number): string[] {
  const all: [number, string][] = [
    [containers, 'container'],
    [images, 'image'],
    [networks, 'network'],
    [volumes, 'volume'],
    [cache, 'build-cache record'],
  ];
  return all.filter(([n]) => n > 0).map(([n, one]) => count(n, one));
}

/** Bytes the daemon freed, from what it says it removed (images: the layers no image holds any more). */
export function removedSummary(outcome: PruneOutcome, reclaimed: number, estimated: number): string {
  const r = outcome.removal;
  const parts = counts(r.containersRemoved.length, r.removed.filter((x) => !x.alreadyGone).length, outcome.networks.removed.length, outcome.volumes.removed.length, outcome.buildCache.removed.length);
  return `Removed ${parts.length ? parts.join(', ') : 'nothing'}; ${freedText(reclaimed, estimated)}`;
}

/** The report after the work: failures, things already gone, saves, interruption, then the summary line. */
export function renderPruneOutcome(plan: PrunePlan, outcome: PruneOutcome, reclaimed: number, finish: string): string {
  const lines: string[] = [];
  const r = outcome.removal;
  for (const g of r.removed.filter((x) => x.alreadyGone)) lines.push(`already gone: image ${shortId(g.removal.image.id)}`);
  lines.push(...failureLines(outcome));
  for (const g of outcome.buildCache.gone) lines.push(`build cache ${g.id}: not pruned by the daemon (already gone, or in use again)`);
  for (const path of r.saved) lines.push(`saved: ${path}`);
  if (outcome.cancelled) lines.push('interrupted: the removals above were done; nothing else was started');
  lines.push(...leftLines(plan.removal.removals, outcome.removal, finish));
  if (plan.keepUnder) lines.push(keepUnderLine(plan));
  lines.push(removedSummary(outcome, reclaimed, plan.estimatedBytes));
  return sanitizeLines(lines.join('\n')) + '\n';
}

/** One line per failed removal, in every category. */
export function failureLines(outcome: PruneOutcome): string[] {
  return [
    ...removalFailureLines(outcome.removal),
    ...outcome.networks.failed.map((f) => `failed to remove network ${f.item.name}: ${f.error}`),
    ...outcome.volumes.failed.map((f) => `failed to remove volume ${f.item.name}: ${f.error}`),
    ...outcome.buildCache.failed.map((f) => `failed to prune build cache ${f.item.id}: ${f.error}`),
  ];
}
