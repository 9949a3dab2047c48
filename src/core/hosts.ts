// Many hosts (docker contexts), pure: which contexts a run covers, what each gave, what they add
// up to, one listing ordered across all of them, and how the whole run ended. Nothing here adds
// bytes of two hosts as if they shared layers: each host's figures are its own (layer-aware within
// it), and totals are sums of them.
import type { LogUsage } from './logs.js';
import type { Outcome } from './outcome.js';
import { ImageArgumentError, resolveImageArgument, type RemovalPlan, type RemovalRequest } from './plan-removal.js';
import type { Image } from './snapshot.js';
import { sortImages, type SortKey } from './select.js';
import type { DiskUsage, ImageUsage } from './usage.js';

/** A host as the user named it: a docker context, and the endpoint docker says it points at. */
export interface HostName {
  context: string;
  /** docker's URL for the endpoint (`docker context ls`' DockerEndpoint). */
  endpoint: string;
}

/** What one host gave: its value, or why it could not be read. */
export type HostResult<T> = { host: HostName; ok: true; value: T } | { host: HostName; ok: false; error: { message: string; hint?: string } };

/**
 * The contexts a run covers: every known one (`named` undefined: --all-contexts, in docker's
 * order) or those named, each once, in the order given. `missing`: names docker does not know.
 */
export function pickContexts(known: readonly HostName[], named?: readonly string[]): { hosts: HostName[]; missing: string[] } {
  if (named === undefined) return { hosts: [...known], missing: [] };
  const byName = new Map(known.map((h) => [h.context, h]));
  const unique = [...new Set(named)];
  return { hosts: unique.flatMap((n) => (byName.has(n) ? [byName.get(n)!] : [])), missing: unique.filter((n) => !byName.has(n)) };
}

/** One of df's rows summed over hosts (no items). */
export interface SectionTotal {
  total: number;
  active: number;
  sizeBytes: number;
  reclaimableBytes: number;
  exact: boolean;
}

/** The container logs row summed over hosts: null bytes when any host's could not be read. */
export interface LogTotal {
  total: number;
  active: number;
  sizeBytes: number | null;
  reclaimableBytes: number | null;
  exact: boolean;
}

/** df's rows summed over the hosts that answered. */
export interface DiskUsageTotal {
  images: SectionTotal;
  containers: SectionTotal;
  volumes: SectionTotal;
  buildCache: SectionTotal;
  logs: LogTotal;
}

/** The sums of df's rows over hosts (a figure the daemon could not give, -1, counts as 0 and makes the sum inexact). */
export function totalDiskUsage(hosts: readonly { usage: DiskUsage; logs: LogUsage }[]): DiskUsageTotal {
  const section = (key: keyof DiskUsage): SectionTotal => {
    const rows = hosts.map((h) => h.usage[key]);
    return {
      total: rows.reduce((s, r) => s + r.total, 0),
      active: rows.reduce((s, r) => s + r.active, 0),
      sizeBytes: rows.reduce((s, r) => s + Math.max(0, r.sizeBytes), 0),
      reclaimableBytes: rows.reduce((s, r) => s + Math.max(0, r.reclaimableBytes), 0),
      exact: rows.every((r) => r.exact && r.sizeBytes >= 0 && r.reclaimableBytes >= 0),
    };
  };
  const logs = hosts.map((h) => h.logs);
  const known = logs.every((l) => l.sizeBytes !== null && l.reclaimableBytes !== null);
  return {
    images: section('images'),
    containers: section('containers'),
    volumes: section('volumes'),
    buildCache: section('buildCache'),
    logs: {
      total: logs.reduce((s, l) => s + l.total, 0),
      active: logs.reduce((s, l) => s + l.active, 0),
      sizeBytes: known ? logs.reduce((s, l) => s + l.sizeBytes!, 0) : null,
      reclaimableBytes: known ? logs.reduce((s, l) => s + l.reclaimableBytes!, 0) : null,
      exact: known && logs.every((l) => l.exact),
    },
  };
}

/** An image listed on one host. */
export interface HostImage {
  context: string;
  usage: ImageUsage;
}

/**
 * The images of every host in one order (--sort size finds the largest anywhere), at most
 * `limit`. The same image on several hosts (same ID) sorts next to itself, in the hosts' order.
 */
export function orderAcrossHosts(hosts: readonly { context: string; images: readonly ImageUsage[] }[], key: SortKey, reverse = false, limit?: number): HostImage[] {
  const where = new Map<ImageUsage, { context: string; rank: number }>();
  hosts.forEach(({ context, images }, rank) => images.forEach((u) => where.set(u, { context, rank })));
  const sorted = sortImages(
    hosts.flatMap((h) => h.images),
    key,
    reverse,
  );
  // sortImages breaks ties by ID only: one image on two hosts is a tie it leaves in either order.
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j]!.image.id === sorted[i]!.image.id) j++;
    const same = sorted.slice(i, j).sort((a, b) => where.get(a)!.rank - where.get(b)!.rank);
    if (reverse) same.reverse();
    sorted.splice(i, j - i, ...same);
    i = j;
  }
  const order = sorted.map((usage) => ({ context: where.get(usage)!.context, usage }));
  return limit === undefined ? order : order.slice(0, limit);
}

/**
 * How a run over many hosts ended: interrupted when any host's run was; else partial when a host
 * could not be read or any host's work partly failed; else refused or ok as they were.
 */
export function hostsOutcome(unreadHosts: number, outcomes: readonly Outcome[]): Outcome {
  if (outcomes.includes('interrupted')) return 'interrupted';
  if (unreadHosts > 0 || outcomes.includes('partial')) return 'partial';
  if (outcomes.includes('refused')) return 'refused';
  return 'ok';
}

/**
 * rm's request on one host of several: the IMAGE arguments this host has none of are left out
 * (another host may have them; `missing` names them). When it had names and --match none, and
 * none is here, nothing is selected here (`request` undefined): never "every image", which a
 * filter alone would select. Malformed or ambiguous names throw as planRemoval does.
 */
export function requestOnHost(request: RemovalRequest, images: readonly Image[]): { request: RemovalRequest | undefined; missing: string[] } {
  if (request.images.length === 0) return { request, missing: [] };
  const missing = request.images.filter((arg) => {
    try {
      resolveImageArgument(images, arg);
      return false;
    } catch (error) {
      if (error instanceof ImageArgumentError && error.kind === 'missing') return true;
      throw error;
    }
  });
  const present = request.images.filter((arg) => !missing.includes(arg));
  if (present.length === 0 && request.match.length === 0) return { request: undefined, missing };
  return { request: { ...request, images: present }, missing };
}

/** A plan that removes nothing (a host where rm's names select nothing). */
export function emptyPlan(): RemovalPlan {
  return { containers: [], removals: [], kept: [], gone: [], estimatedBytes: 0, cachedBytes: 0, cachedRecords: [], exact: true };
}
