// The plan and the outcome of `docker tidy prune`, as tables, one summary line, and JSON.
import type { PrunePlan } from '../core/plan-prune.js';
import { buildCacheBytes } from '../core/plan-prune.js';
import { formatBytes } from '../core/units.js';
import type { PruneOutcome } from '../docker/execute-prune.js';
import { shortId } from './df.js';
import { SCHEMA_VERSION } from './json.js';
import { cachedText, count, finishCommand, freedText, leftLines, leftToDelete, renderKeptTable, renderRemovalTable, summaryLine, tagsOf } from './removal.js';
import { renderTable } from './table.js';
import { sanitizeLines } from './text.js';

const bytesText = (n: number): string => `${formatBytes(n, 4)} (${n} bytes)`;

/** Every object the sweep removes, by category, with bytes per category and in total. */
export function renderPrunePlan(plan: PrunePlan, dryRun = false): string {
  const parts: string[] = [];
  const section = (title: string, bytes: number | undefined, headers: string[], rows: string[][]): void => {
    if (!rows.length) return;
    parts.push(`${title}${bytes === undefined ? '' : `, freeing ${formatBytes(bytes, 4)}`}:\n${renderTable(headers, rows)}`);
  };
  section(
    `Stopped containers (${plan.containers.length})`,
    plan.bytes.containers,
    ['CONTAINER ID', 'NAME', 'STATE', 'SIZE'],
    plan.containers.map((c) => [shortId(c.id), c.name, c.state, formatBytes(Math.max(0, c.sizeRw), 4)]),
  );
  if (plan.images.length || plan.kept.length) {
    // rm's tables: the references that go, then those kept and why.
    let images = `Images (${plan.images.length}), freeing ${formatBytes(plan.bytes.images, 4)}:\n`;
    if (plan.images.length) images += renderRemovalTable(plan.images);
    if (plan.kept.length) images += `${plan.images.length ? '\n' : ''}Kept:\n` + renderKeptTable(plan.kept);
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
    ['CACHE ID', 'TYPE', 'SIZE', 'SHARED'],
    plan.buildCache.map((b) => [b.id.slice(0, 12), b.type, formatBytes(b.size, 4), b.shared ? 'yes (frees nothing)' : 'no']),
  );
  for (const note of plan.notes) parts.push(`Note: ${note}\n`);
  if (plan.keepUnder) parts.push(keepUnderLine(plan) + '\n');
  if (!isEmpty(plan)) parts.push(planSummary(plan, dryRun) + '\n' + (plan.cachedBytes > 0 ? cachedText(plan.cachedBytes, 'stays') + '\n' : ''));
  return parts.join('\n');
}

/** Whether the sweep removes nothing at all. */
export function isEmpty(plan: PrunePlan): boolean {
  return plan.containers.length + plan.images.length + plan.networks.length + plan.volumes.length + plan.buildCache.length === 0;
}

/** One line: what the plan removes and frees (rm's words: "This removes ..." or "Dry run: this would remove ..."). */
export function planSummary(plan: PrunePlan, dryRun = false): string {
  const parts = counts(plan.containers.length, plan.images.length, plan.networks.length, plan.volumes.length, plan.buildCache.length);
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
export function renderPruneOutcome(plan: PrunePlan, outcome: PruneOutcome, reclaimed: number, finish = 'docker tidy rm -f'): string {
  const lines: string[] = [];
  const r = outcome.removal;
  for (const g of r.removed.filter((x) => x.alreadyGone)) lines.push(`already gone: image ${g.removal.refs.join(', ')} (${shortId(g.removal.image.id)})`);
  lines.push(...failureLines(outcome));
  for (const g of outcome.buildCache.gone) lines.push(`build cache ${g.id}: not pruned by the daemon (already gone, or in use again)`);
  for (const path of r.saved) lines.push(`saved: ${path}`);
  if (outcome.cancelled) lines.push('interrupted: the removals above were done; nothing else was started');
  lines.push(...leftLines(plan.images, outcome.removal, finish));
  if (plan.keepUnder) lines.push(keepUnderLine(plan));
  lines.push(removedSummary(outcome, reclaimed, plan.estimatedBytes));
  return sanitizeLines(lines.join('\n')) + '\n';
}

/** One line per failed removal, in every category. */
export function failureLines(outcome: PruneOutcome): string[] {
  const lines: string[] = [];
  const r = outcome.removal;
  for (const f of r.containerFailures) lines.push(`failed to remove container ${f.name}: ${f.error}`);
  for (const f of r.failed) lines.push(`failed to remove image ${f.removal.refs.join(', ')} (${shortId(f.removal.image.id)}): ${f.error}`);
  for (const f of outcome.networks.failed) lines.push(`failed to remove network ${f.item.name}: ${f.error}`);
  for (const f of outcome.volumes.failed) lines.push(`failed to remove volume ${f.item.name}: ${f.error}`);
  for (const f of outcome.buildCache.failed) lines.push(`failed to prune build cache ${f.item.id}: ${f.error}`);
  return lines;
}

/** The `prune --json` document: the plan on a dry run, what was removed after a real one. */
export function pruneJson(plan: PrunePlan, outcome: PruneOutcome | undefined, reclaimed: number, finish = 'docker tidy rm -f'): Record<string, unknown> {
  const left = outcome ? leftToDelete(plan.images, outcome.removal) : [];
  const removedContainers = outcome ? new Set(outcome.removal.containersRemoved) : undefined;
  const removedImages = outcome ? new Set(outcome.removal.removed.filter((x) => !x.alreadyGone).map((x) => x.removal)) : undefined;
  const had = <T>(list: readonly T[], done: readonly T[] | undefined): readonly T[] => (done ? list.filter((x) => done.includes(x)) : list);
  const failed = outcome
    ? [
        ...outcome.removal.containerFailures.map((f) => ({ kind: 'container', id: plan.containers.find((c) => c.name === f.name)?.id ?? f.name, name: f.name, error: f.error })),
        ...outcome.removal.failed.map((f) => ({ kind: 'image', id: f.removal.image.id, tags: tagsOf(f.removal.refs), error: f.error })),
        ...outcome.networks.failed.map((f) => ({ kind: 'network', id: f.item.id, name: f.item.name, error: f.error })),
        ...outcome.volumes.failed.map((f) => ({ kind: 'volume', id: f.item.name, name: f.item.name, error: f.error })),
        ...outcome.buildCache.failed.map((f) => ({ kind: 'buildCache', id: f.item.id, error: f.error })),
      ]
    : [];
  return {
    schemaVersion: SCHEMA_VERSION,
    dryRun: outcome === undefined,
    containers: plan.containers
      .filter((c) => !removedContainers || removedContainers.has(c.name))
      .map((c) => ({ id: c.id, name: c.name, state: c.state, bytes: Math.max(0, c.sizeRw) })),
    images: plan.images
      .filter((r) => !removedImages || removedImages.has(r))
      .map((r) => ({ id: r.image.id, tags: tagsOf(r.refs), action: r.action, bytes: r.bytes })),
    volumes: had(plan.volumes, outcome?.volumes.removed).map((v) => ({ name: v.name, anonymous: v.anonymous, bytes: Math.max(0, v.size) })),
    networks: had(plan.networks, outcome?.networks.removed).map((n) => ({ id: n.id, name: n.name })),
    buildCache: had(plan.buildCache, outcome?.buildCache.removed).map((b) => ({ id: b.id, type: b.type, shared: b.shared, bytes: buildCacheBytes([b]) })),
    kept: plan.kept.map((k) => ({ id: k.image.id, tags: tagsOf(k.refs), reason: k.reason })),
    failed,
    saved: outcome?.removal.saved ?? [],
    notes: plan.notes,
    ...(plan.keepUnder
      ? {
          keepUnder: {
            ...plan.keepUnder,
            steps: plan.keepUnder.steps.map((s) => ({ id: s.id, lastUsedAt: new Date(s.lastUsed * 1000).toISOString(), freedBytes: s.freedBytes })),
          },
        }
      : {}),
    estimatedBytesByCategory: plan.bytes,
    estimatedBytes: plan.estimatedBytes,
    exact: plan.exact,
    reclaimedBytes: reclaimed,
    cachedBytes: plan.cachedBytes,
    ...(left.length ? { left: left.map((r) => r.image.id), finishCommand: finishCommand(left, finish) } : {}),
    ...(outcome?.cancelled ? { interrupted: true } : {}),
  };
}
