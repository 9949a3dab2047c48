// The plan and the outcome of `docker tidy rm` as text; prune shows its images with the same tables.
import { leftToDelete, type RemovalOutcome } from '../core/outcome.js';
import type { KeptImage, PlannedRemoval, RemovalPlan } from '../core/plan-removal.js';
import { shownAs } from '../core/reference.js';
import { logBytes } from '../core/logs.js';
import { formatBytes } from '../core/units.js';
import { finishCommand } from './documents.js';
import { renderTable } from './table.js';
import { sanitizeLines, shortId } from './text.js';

/** "1.2MB (1200000 bytes)". */
export const bytesText = (n: number): string => `${formatBytes(n, 4)} (${n} bytes)`;

/** "freeing 1.2MB (1200000 bytes)", or, when the daemon's data cannot pin it down, an estimate that says so. */
export function freeingText(bytes: number, exact: boolean): string {
  return exact
    ? `freeing ${bytesText(bytes)}`
    : `freeing about ${bytesText(bytes)} (an estimate: the daemon does not give exact figures for every image here; see docker tidy df)`;
}

/** "3 images", "1 image". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
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

/** Bytes of removed images that the build cache keeps, and how to free them. */
export function cachedText(bytes: number, verb: 'stays' | 'stayed'): string {
  return (
    `${formatBytes(bytes, 4)} (${bytes} bytes) more ${verb} on disk in the build cache, which BuildKit built these images with: ` +
    'docker tidy prune --build-cache frees it'
  );
}

/** "Freed 1.07MB (1070083 bytes), as estimated" or "...; the estimate was ...". */
export function freedText(reclaimed: number, estimated: number): string {
  return reclaimed === estimated ? `freed ${bytesText(reclaimed)}, as estimated` : `freed ${bytesText(reclaimed)}; the estimate was ${bytesText(estimated)}`;
}

/** The image IDs named that are gone already. */
export function goneLines(gone: readonly string[]): string {
  return gone.map((id) => `already gone: ${id}\n`).join('');
}

/** What will go, what stays and why, and the exact bytes it frees. */
export function renderPlan(plan: RemovalPlan, dryRun = false): string {
  let out = '';
  if (plan.containers.length) {
    out += 'Containers to remove first (--with-containers):\n';
    out += renderTable(
      ['CONTAINER ID', 'NAME', 'STATE', 'SIZE', 'LOGS'],
      plan.containers.map((c) => [shortId(c.id), c.name, c.state, formatBytes(Math.max(0, c.sizeRw), 4), formatBytes(logBytes(c), 4)]),
    );
    out += '\n';
  }
  if (plan.removals.length) out += 'To remove:\n' + renderRemovalTable(plan.removals);
  out += notVerifiedLines(plan.removals);
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

/** One row per reference to remove: REFERENCE, IMAGE ID, ACTION, FREES (rm's plan and prune's images). */
export function renderRemovalTable(removals: readonly PlannedRemoval[]): string {
  return renderTable(
    ['REFERENCE', 'IMAGE ID', 'ACTION', 'FREES'],
    removals.flatMap((r) =>
      r.refs.map((ref, i) => {
        const last = i === r.refs.length - 1;
        return [
          shownAs(ref),
          shortId(r.image.id),
          r.action === 'delete' && !last ? 'untag' : r.action + (r.save ? ' (saved first)' : ''),
          last ? formatBytes(r.bytes, 4) : '0B',
        ];
      }),
    ),
  );
}

/** Images that go although no registry could confirm a copy (classic store), one line each with why. */
export function notVerifiedLines(removals: readonly PlannedRemoval[]): string {
  const noted = removals.filter((r) => r.note);
  if (noted.length === 0) return '';
  return (
    'Not verified with a registry, and removed all the same (on the classic store a digest is recorded only by a push or a pull, so it counts as a copy):\n' +
    sanitizeLines(noted.map((r) => `  ${r.image.tags[0] ?? shortId(r.image.id)} (${shortId(r.image.id)}): ${r.note}`).join('\n')) + '\n'
  );
}

/** One row per selected name that stays: REFERENCE, IMAGE ID, REASON. */
export function renderKeptTable(kept: readonly KeptImage[]): string {
  return renderTable(
    ['REFERENCE', 'IMAGE ID', 'REASON'],
    kept.flatMap((k) => k.shown.map((name) => [name, shortId(k.image.id), k.reason])),
  );
}

/** What is left, and the one command that removes it (`finish` is the command with its flags, before the IDs). */
export function leftLines(removals: readonly PlannedRemoval[], outcome: RemovalOutcome, finish: string): string[] {
  const left = leftToDelete(removals, outcome);
  if (left.length === 0) return [];
  return [`left: ${count(left.length, 'image')} not deleted; to finish: ${finishCommand(left, finish)}`];
}

const refsText = (r: PlannedRemoval): string => r.refs.map(shownAs).join(', ');

/** The summary after the work: removed, kept, failed, containers, and bytes freed beside the estimate. */
export function renderOutcome(plan: RemovalPlan, outcome: RemovalOutcome, reclaimed: number, cached: number, finish: string): string {
  const lines: string[] = [];
  const gone = outcome.removed.filter((r) => r.alreadyGone);
  lines.push(
    `Removed ${outcome.removed.length - gone.length} of ${plan.removals.length} planned` +
      (gone.length ? ` (${gone.length} already gone)` : '') +
      `, kept ${plan.kept.length}, failed ${outcome.failed.length}` +
      (plan.containers.length ? `; containers removed: ${outcome.containersRemoved.join(', ') || 'none'}` : ''),
  );
  for (const g of gone) lines.push(`already gone: ${refsText(g.removal)} (${shortId(g.removal.image.id)})`);
  lines.push(...failureLines(outcome));
  for (const path of outcome.saved) lines.push(`saved: ${path}`);
  if (outcome.cancelled) lines.push('interrupted: the removals above were done; nothing else was started');
  lines.push(...leftLines(plan.removals, outcome, finish));
  const freed = freedText(reclaimed, plan.estimatedBytes);
  lines.push(`${freed.charAt(0).toUpperCase()}${freed.slice(1)} (by what the daemon deleted)`);
  if (cached > 0) lines.push(cachedText(cached, 'stayed'));
  return sanitizeLines(lines.join('\n')) + '\n';
}

/** One line per failed container or image removal. */
export function failureLines(outcome: RemovalOutcome): string[] {
  return [
    ...outcome.containerFailures.map((f) => `failed to remove container ${f.name}: ${f.error}`),
    ...outcome.failed.map((f) => `failed to remove image ${(f.left.length ? f.left : f.removal.refs).map(shownAs).join(', ')} (${shortId(f.removal.image.id)}): ${f.error}`),
  ];
}
