// Many hosts as text: a block per docker context (its own output, or why it could not be read)
// and what they add up to; listings get a CONTEXT column instead.
import type { DiskUsageTotal, HostImage, HostName, HostResult } from '../core/hosts.js';
import type { ImageUsage } from '../core/usage.js';
import { renderUsageSummary } from './df.js';
import { renderImageTable } from './images.js';
import { count } from './removal.js';
import { sanitizeLines } from './text.js';

/** "Context build-1 (ssh://ci@build-1):" */
export function hostHeading(host: HostName): string {
  return sanitizeLines(`Context ${host.context}${host.endpoint ? ` (${host.endpoint})` : ''}:`) + '\n';
}

/** Why a host could not be read, and what to check. */
export function hostError(error: { message: string; hint?: string }): string {
  return sanitizeLines(`error: ${error.message}${error.hint ? `\n${error.hint}` : ''}`) + '\n';
}

/** A block per host: its heading, then what `render` makes of its value, or its error; blank lines between. */
export function renderHostBlocks<T>(results: readonly HostResult<T>[], render: (value: T, host: HostName) => string): string {
  return results.map((r) => hostHeading(r.host) + (r.ok ? render(r.value, r.host) : hostError(r.error))).join('\n');
}

/** "2 contexts", or "2 of 3 contexts" when some could not be read. */
export function hostsCount(results: readonly HostResult<unknown>[]): string {
  const read = results.filter((r) => r.ok).length;
  return read === results.length ? count(read, 'context') : `${read} of ${count(results.length, 'context')}`;
}

/** df on many hosts: each host's own output, then the sums over those that answered. */
export function renderHostsDiskUsage<T>(results: readonly HostResult<T>[], render: (value: T) => string, total: DiskUsageTotal): string {
  return renderHostBlocks(results, render) + `\nTotal, ${hostsCount(results)}:\n` + renderUsageSummary(total);
}

/** images or unused on many hosts: one table with a CONTEXT column, then the hosts that could not be read. */
export function renderHostsImageTable(
  images: readonly HostImage[],
  results: readonly HostResult<unknown>[],
  now: number,
  options: { noteOf?: (u: ImageUsage) => string | undefined; byName?: 'asc' | 'desc'; reference?: { test(ref: string): boolean } } = {},
): string {
  const contextOf = new Map(images.map((i) => [i.usage, i.context]));
  let out = renderImageTable(
    images.map((i) => i.usage),
    now,
    { ...options, contextOf: (u) => contextOf.get(u) ?? '' },
  );
  for (const r of results) if (!r.ok) out += `\n${hostHeading(r.host)}${hostError(r.error)}`;
  return out;
}
