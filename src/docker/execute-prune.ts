// Carries out a PrunePlan; decides nothing. Containers and images as rm removes them (saves
// first, never forced), then networks, volumes and build-cache records, one by one, so that only
// what the plan lists goes, and a failure on one object does not stop the rest.
import type { PrunePlan } from '../core/plan-prune.js';
import type { BuildCacheRecord, Network, Volume } from '../core/snapshot.js';
import { CancelledError } from '../errors.js';
import type { EngineClient } from './engine.js';
import { deleteEach, errorText, executeRemoval, type ProgressListener, type RemovalOutcome } from './execute-removal.js';
import { BuildPruneAnswer, expectShape } from './raw.js';

/** What happened to each planned object. */
export interface PruneOutcome {
  /** Containers and images (and saves), as rm reports them. */
  removal: RemovalOutcome;
  networks: { removed: Network[]; gone: Network[]; failed: { item: Network; error: string }[] };
  volumes: { removed: Volume[]; gone: Volume[]; failed: { item: Volume; error: string }[] };
  buildCache: { removed: BuildCacheRecord[]; gone: BuildCacheRecord[]; failed: { item: BuildCacheRecord; error: string }[]; reclaimedBytes: number };
  /** The build cache read again once the images were gone (when it shared layers with images). */
  buildCacheAfterImages?: BuildCacheRecord[];
  cancelled: boolean;
}

/** Executes the sweep in docker's order: containers, images, networks, volumes, build cache. */
export async function executePrune(
  client: EngineClient,
  plan: PrunePlan,
  options: { saveDir?: string; onProgress?: ProgressListener; readBuildCache?: () => Promise<BuildCacheRecord[]> } = {},
): Promise<PruneOutcome> {
  const removal = await executeRemoval(
    client,
    {
      containers: plan.containers,
      removals: plan.images,
      kept: plan.kept,
      gone: [],
      estimatedBytes: plan.bytes.containers + plan.bytes.images,
      cachedBytes: plan.cachedBytes,
      cachedRecords: [],
      exact: plan.exact,
    },
    options,
  );
  // Read once the images are gone, unless interrupted (then nothing more is asked) or it fails.
  const buildCacheAfterImages =
    options.readBuildCache && removal.deletedIds.size > 0 && !client.target.signal.aborted ? await options.readBuildCache().catch(() => undefined) : undefined;
  const networks = await deleteEach(client, plan.networks, (n) => [`/networks/${encodeURIComponent(n.id)}`, `remove network ${n.name}`]);
  const volumes = await deleteEach(client, plan.volumes, (v) => [`/volumes/${encodeURIComponent(v.name)}`, `remove volume ${v.name}`]);
  const buildCache = await pruneBuildCache(client, plan.buildCache);
  return { removal, networks, volumes, buildCache, ...(buildCacheAfterImages ? { buildCacheAfterImages } : {}), cancelled: client.target.signal.aborted };
}

/**
 * Prunes exactly the planned build-cache records: one POST /build/prune per record, filtered by
 * its ID (the daemon takes one ID per request), records built on others first. A record another
 * still held is tried again after a pass that pruned something.
 */
async function pruneBuildCache(client: EngineClient, records: readonly BuildCacheRecord[]): Promise<PruneOutcome['buildCache']> {
  const result: PruneOutcome['buildCache'] = { removed: [], gone: [], failed: [], reclaimedBytes: 0 };
  let pending = childrenFirst(records);
  for (let progress = true; progress && pending.length; ) {
    progress = false;
    const next: BuildCacheRecord[] = [];
    for (const record of pending) {
      if (client.target.signal.aborted) return result;
      const filters = encodeURIComponent(JSON.stringify({ id: { [record.id]: true } }));
      const what = `prune build cache ${record.id}`;
      try {
        const answer = expectShape(BuildPruneAnswer, await client.requestJson('POST', `/build/prune?all=1&filters=${filters}`, what, { finishOnAbort: true }), what);
        // The daemon's own count of what it freed, whatever the record shared when planned.
        result.reclaimedBytes += answer.SpaceReclaimed;
        if (answer.CachesDeleted.includes(record.id)) {
          result.removed.push(record);
          progress = true;
        } else {
          next.push(record);
        }
      } catch (error) {
        if (error instanceof CancelledError) return result;
        result.failed.push({ item: record, error: errorText(error) });
      }
    }
    pending = next;
  }
  // Not pruned, and nothing more to try: gone already, or in use again since the plan.
  result.gone.push(...pending);
  return result;
}

// A record holds its parents: the ones deepest in the chain go first.
function childrenFirst(records: readonly BuildCacheRecord[]): BuildCacheRecord[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  const depth = new Map<string, number>();
  const depthOf = (r: BuildCacheRecord, seen = new Set<string>()): number => {
    const known = depth.get(r.id);
    if (known !== undefined) return known;
    seen.add(r.id);
    let d = 0;
    for (const p of r.parents ?? []) {
      const parent = byId.get(p);
      if (parent && !seen.has(p)) d = Math.max(d, depthOf(parent, seen) + 1);
    }
    depth.set(r.id, d);
    return d;
  };
  return [...records].sort((a, b) => depthOf(b) - depthOf(a) || (a.id < b.id ? -1 : 1));
}
