// The plan and the outcome of `docker tidy rm`, as tables and as the JSON document.
import type { KeptImage, PlannedRemoval, RemovalPlan } from '../core/plan-removal.js';
import { formatBytes } from '../core/units.js';
import type { RemovalOutcome } from '../docker/execute-removal.js';
import { shortId } from './df.js';
import { SCHEMA_VERSION } from './json.js';
import { renderTable } from './table.js';
import { sanitizeLines } from './text.js';

const bytesText = (n: number): string => `${formatBytes(n, 4)} (${n} bytes)`;

/** "freeing 1.2MB (1200000 bytes)", or, when the daemon's data cannot pin it down, an estimate that says so. */
export function freeingText(bytes: number, exact: boolean): string {
  return exact
    ? `freeing ${bytesText(bytes)}`
    : `freeing about ${bytesText(bytes)} (an estimate: the daemon does not give exact figures for every image here; see docker tidy df)`;
}

/**
 * The summary line of a plan, the same words for rm and prune: "This deletes 2 images, freeing
 * ...", or on a dry run "Dry run: this would delete 2 images, freeing ...; nothing was removed."
 */
export function summaryLine(what: { verb: 'delete' | 'remove'; parts: string[] }, bytes: number, exact: boolean, dryRun: boolean): string {
  const list = what.parts.length > 1 ? `${what.parts.slice(0, -1).join(', ')} and ${what.parts[what.parts.length - 1]}` : (what.parts[0] ?? 'nothing');
  return dryRun
    ? `Dry run: this would ${what.verb} ${list}, ${freeingText(bytes, exact)}; nothing was removed.`
    : `This ${what.verb}s ${list}, ${freeingText(bytes, exact)}.`;
}

/** "3 images", "1 image". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What will go, what stays and why, and the exact bytes it frees. */
export function renderPlan(plan: RemovalPlan, dryRun = false): string {
  let out = '';
  if (plan.containers.length) {
    out += 'Containers to remove first (--with-containers):\n';
    out += renderTable(
      ['CONTAINER ID', 'NAME', 'STATE'],
      plan.containers.map((c) => [shortId(c.id), c.name, c.state]),
    );
    out += '\n';
  }
  if (plan.removals.length) out += 'To remove:\n' + renderRemovalTable(plan.removals);
  if (plan.kept.length) out += `${out ? '\n' : ''}Kept:\n` + renderKeptTable(plan.kept);
  if (plan.gone.length) out += `${out ? '\n' : ''}${goneLines(plan.gone)}`;
  // Kept only: the tables say why; there is no summary of nothing.
  if (plan.removals.length === 0 && plan.containers.length === 0) return out;
  const images = plan.removals.filter((r) => r.action === 'delete').length;
  const untags = plan.removals.filter((r) => r.action === 'untag').length;
  const parts = [
    ...(images || !untags ? [count(images, 'image')] : []),
    ...(untags ? [`the names of ${count(untags, 'more image')} (untagged)`] : []),
    ...(plan.containers.length ? [count(plan.containers.length, 'container')] : []),
  ];
  out += '\n' + summaryLine({ verb: 'delete', parts }, plan.estimatedBytes, plan.exact, dryRun) + '\n';
  if (plan.cachedBytes > 0) out += cachedText(plan.cachedBytes, 'stays') + '\n';
  return out;
}

/** "Freed 1.07MB (1070083 bytes), as estimated" or "...; the estimate was ...". */
export function freedText(reclaimed: number, estimated: number): string {
  return reclaimed === estimated ? `freed ${bytesText(reclaimed)}, as estimated` : `freed ${bytesText(reclaimed)}; the estimate was ${bytesText(estimated)}`;
}

/** Bytes of removed images that the build cache keeps, and how to free them. */
export function cachedText(bytes: number, verb: 'stays' | 'stayed'): string {
  return (
    `${formatBytes(bytes, 4)} (${bytes} bytes) more ${verb} on disk in the build cache, which BuildKit built these images with: ` +
    'docker tidy prune --build-cache frees it'
  );
}

/** The image IDs named that are gone already. */
export function goneLines(gone: readonly string[]): string {
  return gone.map((id) => `already gone: ${id}\n`).join('');
}

/** One row per reference to remove: REFERENCE, IMAGE ID, ACTION, FREES (rm's plan and prune's images). */
export function renderRemovalTable(removals: readonly PlannedRemoval[]): string {
  return renderTable(
    ['REFERENCE', 'IMAGE ID', 'ACTION', 'FREES'],
    removals.flatMap((r) =>
      r.refs.map((ref, i) => [
        ref.startsWith('sha256:') ? '<none>:<none>' : ref,
        shortId(r.image.id),
        r.action === 'delete' && i < r.refs.length - 1 ? 'untag' : r.action + (r.save ? ' (saved first)' : ''),
        i === r.refs.length - 1 ? formatBytes(r.bytes, 4) : '0B',
      ]),
    ),
  );
}

/** One row per selected reference that stays: REFERENCE, IMAGE ID, REASON. */
export function renderKeptTable(kept: readonly KeptImage[]): string {
  return renderTable(
    ['REFERENCE', 'IMAGE ID', 'REASON'],
    kept.flatMap((k) => k.refs.map((ref) => [ref.startsWith('sha256:') ? '<none>:<none>' : ref, shortId(k.image.id), k.reason])),
  );
}

/** The summary after the work: removed, kept, failed, containers, and bytes freed beside the estimate. */
export function renderOutcome(plan: RemovalPlan, outcome: RemovalOutcome, reclaimed: number, cached = 0, finish = 'docker tidy rm -f'): string {
  const lines: string[] = [];
  const gone = outcome.removed.filter((r) => r.alreadyGone);
  lines.push(
    `Removed ${outcome.removed.length - gone.length} of ${plan.removals.length} planned` +
      (gone.length ? ` (${gone.length} already gone)` : '') +
      `, kept ${plan.kept.length}, failed ${outcome.failed.length}` +
      (plan.containers.length ? `; containers removed: ${outcome.containersRemoved.join(', ') || 'none'}` : ''),
  );
  for (const g of gone) lines.push(`already gone: ${g.removal.refs.join(', ')} (${shortId(g.removal.image.id)})`);
  for (const f of outcome.failed) lines.push(`failed: ${f.removal.refs.join(', ')} (${shortId(f.removal.image.id)}): ${f.error}`);
  for (const f of outcome.containerFailures) lines.push(`failed to remove container ${f.name}: ${f.error}`);
  for (const path of outcome.saved) lines.push(`saved: ${path}`);
  if (outcome.cancelled) lines.push('interrupted: the removals above were done; nothing else was started');
  lines.push(...leftLines(plan.removals, outcome, finish));
  const freed = freedText(reclaimed, plan.estimatedBytes);
  lines.push(`${freed.charAt(0).toUpperCase()}${freed.slice(1)} (by what the daemon deleted)`);
  if (cached > 0) lines.push(cachedText(cached, 'stayed'));
  return sanitizeLines(lines.join('\n')) + '\n';
}

/**
 * The planned deletions that did not happen: failed, or never started because the run was
 * interrupted. An image can be left untagged by a removal cut short (the daemon died), so a name
 * or pattern may no longer find it: they are named by ID.
 */
export function leftToDelete(removals: readonly PlannedRemoval[], outcome: RemovalOutcome): PlannedRemoval[] {
  const done = new Set(outcome.removed.map((r) => r.removal));
  return removals.filter((r) => r.action === 'delete' && !done.has(r));
}

/** What is left, and the one command that removes it (`finish` is the command with its flags, before the IDs). */
export function leftLines(removals: readonly PlannedRemoval[], outcome: RemovalOutcome, finish: string): string[] {
  const left = leftToDelete(removals, outcome);
  if (left.length === 0) return [];
  return [`left: ${left.length} image${left.length === 1 ? '' : 's'} not deleted; to finish: ${finishCommand(left, finish)}`];
}

/**
 * The command that deletes the images left, by full ID: one that turns out gone already (its
 * removal was under way when the run was cut short) is then skipped, not an error.
 */
export function finishCommand(left: readonly PlannedRemoval[], finish: string): string {
  return `${finish} ${left.map((r) => r.image.id).join(' ')}`;
}

/** The `rm --json` document. */
export function removalJson(plan: RemovalPlan, outcome: RemovalOutcome | undefined, reclaimed: number, cached = 0, finish = 'docker tidy rm -f'): Record<string, unknown> {
  const left = outcome ? leftToDelete(plan.removals, outcome) : [];
  const removed = outcome
    ? outcome.removed.map(({ removal, alreadyGone }) => ({ ...removalEntry(removal), ...(alreadyGone ? { alreadyGone: true } : {}) }))
    : plan.removals.map(removalEntry);
  return {
    schemaVersion: SCHEMA_VERSION,
    dryRun: outcome === undefined,
    removed,
    kept: plan.kept.map((k) => ({ id: k.image.id, tags: tagsOf(k.refs), reason: k.reason })),
    failed: (outcome?.failed ?? []).map((f) => ({ id: f.removal.image.id, tags: tagsOf(f.removal.refs), error: f.error })),
    containersRemoved: outcome ? outcome.containersRemoved : plan.containers.map((c) => c.name),
    saved: outcome?.saved ?? [],
    estimatedBytes: plan.estimatedBytes,
    exact: plan.exact,
    reclaimedBytes: reclaimed,
    // Bytes left on disk in the build cache: estimated on a dry run, measured after a real one.
    cachedBytes: outcome ? cached : plan.cachedBytes,
    ...(left.length ? { left: left.map((r) => r.image.id), finishCommand: finishCommand(left, finish) } : {}),
    ...(plan.gone.length ? { alreadyGone: plan.gone } : {}),
    ...(outcome?.cancelled ? { interrupted: true } : {}),
  };
}

function removalEntry(r: RemovalPlan['removals'][number]): Record<string, unknown> {
  return { id: r.image.id, tags: tagsOf(r.refs), action: r.action, bytes: r.bytes };
}

/** The tags among references: not image IDs, digests, or the "repo:<none>" names of untagged images. */
export function tagsOf(refs: readonly string[]): string[] {
  return refs.filter((r) => !r.startsWith('sha256:') && !r.includes('@') && !r.endsWith(':<none>'));
}
