// Planning `docker tidy prune`: one sweep of stopped containers, unused images, networks, volumes
// and build cache, in the order docker removes them (an image used only by a container the sweep
// removes is unused by the time images are pruned), with the exact bytes each removal frees.
// Pure: the executor only carries the plan out.
import { freeBytes, heldBytes } from './build-cache.js';
import type { Pattern } from './patterns.js';
import { removalSteps, type Step } from './operations.js';
import { RemovalReplay } from './image-store.js';
import { containerBytes, logsUnknown } from './logs.js';
import { planRemoval, type KeptImage, type PlannedRemoval, type RemovalPlan } from './plan-removal.js';
import { imagesTotalBytes } from './usage.js';
import { isActive, type BuildCacheRecord, type Container, type Image, type Network, type Snapshot, type SnapshotNeeds, type Volume } from './snapshot.js';

/** `label=KEY`, `label=KEY=VALUE`, `label!=KEY`, `label!=KEY=VALUE`. */
export interface LabelFilter {
  key: string;
  value?: string;
  /** label!=: objects with this label (and value) are left out. */
  negate: boolean;
}

/** What the user asked `prune` to sweep. */
export interface PruneRequest {
  /** Stopped containers (exited, created, dead). */
  containers: boolean;
  /** dangling: untagged unused images; unused: every unused image (-a). */
  images: 'none' | 'dangling' | 'unused';
  networks: boolean;
  /** anonymous: unused anonymous volumes (--volumes); all: named ones too (--all-volumes). */
  volumes: 'none' | 'anonymous' | 'all';
  /** dangling: what `docker builder prune` removes; all: every record not in use (-a). */
  buildCache: 'none' | 'dangling' | 'all';
  /** Only what stopped, was last used, or was created before this Unix time. */
  until?: number;
  labels: LabelFilter[];
  /** Remove unused images, least recently used first, until the images' total is at most this. */
  keepUnder?: number;
  exclude: Pattern[];
  keepLast?: number;
  includeLocal: boolean;
  save: boolean;
}

/** What --keep-under found and did. */
export interface KeepUnderResult {
  limitBytes: number;
  /** Bytes of all images (each layer once) before and after the plan. */
  beforeBytes: number;
  afterBytes: number;
  /** How far above the limit the images stay (0 when reached). */
  shortByBytes: number;
  /** The images taken, least recently used first, with what each frees at its turn. */
  steps: { id: string; lastUsed: number; freedBytes: number }[];
}

/** The whole sweep: containers and images as an rm plan, then networks, volumes, build cache. */
export interface PrunePlan {
  /** The stopped containers swept, and the images (removed and kept), as rm plans them. */
  removal: RemovalPlan;
  networks: Network[];
  volumes: Volume[];
  buildCache: BuildCacheRecord[];
  /** Things the sweep leaves alone as a rule, said once (e.g. build cache has no labels). */
  notes: string[];
  keepUnder?: KeepUnderResult;
  /** Bytes each category frees, and their sum. */
  bytes: { containers: number; images: number; volumes: number; buildCache: number };
  /** Bytes of removed images that stay on disk in the build cache after the sweep (BuildKit layers). */
  cachedBytes: number;
  /** Shared build-cache records the image step leaves as the cache's own (classic store), by ID. */
  releasedBuildCache: string[];
  estimatedBytes: number;
  /** False when some figure is the daemon's best guess rather than exact (see RemovalPlan.exact). */
  exact: boolean;
}

/** Networks docker creates itself; prune never removes them. */
const PREDEFINED_NETWORKS = new Set(['bridge', 'host', 'none', 'default', 'ingress', 'docker_gwbridge']);
/** Container states prune removes: stopped, never started, dead. */
const STOPPED_STATES = new Set(['exited', 'created', 'dead']);
/** Build-cache record types `docker builder prune` (without --all) keeps. */
const KEPT_CACHE_TYPES = new Set(['internal', 'frontend']);

/** Whether an object's labels pass every label filter (docker's --filter label= semantics). */
export function labelsMatch(labels: Readonly<Record<string, string>> | undefined, filters: readonly LabelFilter[]): boolean {
  const own = labels ?? {};
  return filters.every((f) => {
    const has = Object.hasOwn(own, f.key) && (f.value === undefined || own[f.key] === f.value);
    return f.negate ? !has : has;
  });
}

/**
 * When an image was last used: the newest stop time of a container made from it, else when it
 * was last tagged or pulled here, else when it was created (Unix seconds).
 */
export function imageLastUsed(image: Image, containers: readonly Container[]): number {
  let stopped = 0;
  for (const c of containers) if (c.imageId === image.id && (c.finishedAt ?? 0) > stopped) stopped = c.finishedAt!;
  if (stopped > 0) return stopped;
  if (image.lastTagged && image.lastTagged > 0) return image.lastTagged;
  return image.created;
}

/** What prune reads: sizes of everything, the logs of containers when it sweeps them; networks, stop and tag times only where its request uses them. */
export function pruneNeeds(request: PruneRequest): SnapshotNeeds {
  const lastUsed = request.images !== 'none' && (request.until !== undefined || request.keepUnder !== undefined);
  return {
    usage: true,
    logs: request.containers,
    networks: request.networks,
    finishTimes: lastUsed || (request.containers && request.until !== undefined),
    tagTimes: lastUsed,
  };
}

/** Plans the sweep `request` describes on `snapshot` (read as pruneNeeds says). */
export function planPrune(snapshot: Snapshot, request: PruneRequest): PrunePlan {
  const notes: string[] = [];
  const before = (t: number): boolean => request.until === undefined || t < request.until;

  // 1. Stopped containers, by when they stopped (a created one never did: when it was created).
  const containers = request.containers
    ? snapshot.containers.filter(
        (c) => !isActive(c) && STOPPED_STATES.has(c.state) && before(c.finishedAt || c.created) && labelsMatch(c.labels, request.labels),
      )
    : [];
  const removedContainers = new Set(containers.map((c) => c.id));
  const remaining = snapshot.containers.filter((c) => !removedContainers.has(c.id));

  // 2. Images no remaining container uses, through rm's planner (same protections).
  let images: PlannedRemoval[] = [];
  let kept: KeptImage[] = [];
  let imagesExact = true;
  let keepUnder: KeepUnderResult | undefined;
  let cachedRecords: BuildCacheRecord[] = [];
  let gone: string[] = [];
  if (request.images !== 'none' || request.keepUnder !== undefined) {
    const ids = new Set(
      snapshot.images.filter((i) => before(imageLastUsed(i, snapshot.containers)) && labelsMatch(i.labels, request.labels)).map((i) => i.id),
    );
    const removal = planRemoval(
      { ...snapshot, containers: remaining },
      {
        images: [],
        match: [],
        filter: { unused: true, ...(request.images === 'dangling' && request.keepUnder === undefined ? { dangling: true } : {}), ids },
        exclude: request.exclude,
        ...(request.keepLast === undefined ? {} : { keepLast: request.keepLast }),
        withContainers: false,
        includeLocal: request.includeLocal,
        save: request.save,
      },
    );
    images = removal.removals;
    kept = removal.kept;
    gone = removal.gone;
    imagesExact = removal.exact;
    cachedRecords = removal.cachedRecords;
    if (request.keepUnder !== undefined) {
      // Last used by every container, the ones this sweep removes too: they are the images' use.
      ({ images, cachedRecords, result: keepUnder } = leastRecentlyUsedUntil({ ...snapshot, containers: remaining }, images, request.keepUnder, snapshot.containers));
      // Once the limit is reached, an image whose registry was not asked was not needed, like the
      // unused images the limit left alone: it is not "kept" for a reason of its own.
      // Under the limit already, nothing was wanted gone: no image is "kept" either.
      if (keepUnder.shortByBytes === 0) kept = keepUnder.beforeBytes <= keepUnder.limitBytes ? [] : kept.filter((k) => !k.unasked);
    }
  }

  // 3. Networks no remaining container is attached to (docker's own prune only looks at running ones).
  const attached = new Set(remaining.flatMap((c) => c.networks ?? []));
  const networks = request.networks
    ? (snapshot.networks ?? []).filter(
        (n) =>
          !PREDEFINED_NETWORKS.has(n.name) &&
          n.scope !== 'swarm' &&
          !attached.has(n.name) &&
          !attached.has(n.id) &&
          before(n.created) &&
          labelsMatch(n.labels, request.labels),
      )
    : [];

  // 4. Volumes no remaining container mounts.
  const mounted = new Set(remaining.flatMap((c) => c.volumes ?? []));
  const mountsKnown = snapshot.containers.every((c) => c.volumes !== undefined);
  const volumes =
    request.volumes === 'none'
      ? []
      : snapshot.volumes.filter(
          (v) =>
            (request.volumes === 'all' || v.anonymous) &&
            (mountsKnown ? !mounted.has(v.name) : v.refCount === 0) &&
            v.driver === 'local' &&
            labelsMatch(v.labels, request.labels),
        );

  // 5. Build cache records not in use. They carry no labels: a label filter leaves them all.
  // Records the images above were built with are the cache's own by then (no longer shared).
  const released = new Set(cachedRecords.map((r) => r.id));
  let buildCache: BuildCacheRecord[] = [];
  if (request.buildCache !== 'none') {
    if (request.labels.length) {
      notes.push('build cache is not pruned with --filter label (build-cache records have no labels)');
    } else {
      buildCache = snapshot.buildCache.filter(
        (b) =>
          !b.inUse &&
          (request.buildCache === 'all' || (!KEPT_CACHE_TYPES.has(b.type) && !(b.shared && !released.has(b.id)))) &&
          before(b.lastUsedAt ?? b.createdAt),
      );
    }
  }

  const bytes = {
    containers: containers.reduce((s, c) => s + containerBytes(c), 0),
    images: images.reduce((s, r) => s + r.bytes, 0),
    volumes: volumes.reduce((s, v) => s + Math.max(0, v.size), 0),
    buildCache: buildCacheBytes(buildCache, released),
  };
  const imagesCached = images.reduce((s, r) => s + r.cachedBytes, 0);
  const cachedBytes = imagesCached - buildCache.filter((b) => released.has(b.id)).reduce((s, b) => s + heldBytes(b), 0);
  const containersExact = containers.every((c) => c.sizeRw >= 0) && !(containers.length && logsUnknown(snapshot));
  const exact = imagesExact && containersExact && volumes.every((v) => v.size >= 0);
  return {
    removal: {
      containers,
      removals: images,
      kept,
      gone,
      estimatedBytes: bytes.containers + bytes.images,
      cachedBytes: imagesCached,
      cachedRecords,
      exact: imagesExact && containersExact,
    },
    networks,
    volumes,
    buildCache,
    notes,
    ...(keepUnder ? { keepUnder } : {}),
    bytes,
    cachedBytes: Math.max(0, cachedBytes),
    releasedBuildCache: [...released],
    estimatedBytes: bytes.containers + bytes.images + bytes.volumes + bytes.buildCache,
    exact,
  };
}

/**
 * The sweep's steps, in docker's order where it matters: containers, then the images only they
 * used; a network or volume once the containers attached to it or mounting it are gone; the build
 * cache once the images are (their records are then its own), read again first when `measure`
 * (to tell what the images left in it), records built on others first.
 */
export function pruneSteps(plan: PrunePlan, measure: boolean): Step[] {
  const steps = removalSteps(plan.removal);
  const containerStep = new Map(steps.flatMap((s, i) => (s.op.kind === 'remove-container' ? [[s.op.container, i] as const] : [])));
  const imageSteps = steps.flatMap((s, i) => (s.op.kind === 'delete-image' || s.op.kind === 'untag' ? [i] : []));
  const of = (containers: Container[]): number[] => containers.flatMap((c) => (containerStep.has(c) ? [containerStep.get(c)!] : []));
  const removed = plan.removal.containers;
  for (const network of plan.networks) {
    const users = removed.filter((c) => (c.networks ?? []).some((n) => n === network.name || n === network.id));
    steps.push({ op: { kind: 'remove-network', network }, after: of(users) });
  }
  for (const volume of plan.volumes) {
    steps.push({ op: { kind: 'remove-volume', volume, bytes: Math.max(0, volume.size) }, after: of(removed.filter((c) => (c.volumes ?? []).includes(volume.name))) });
  }
  let cacheAfter = imageSteps;
  if (measure && imageSteps.length && plan.buildCache.length) {
    cacheAfter = [steps.length];
    steps.push({ op: { kind: 'read-build-cache' }, after: imageSteps });
  }
  const released = new Set(plan.releasedBuildCache);
  const recordStep = new Map<string, number>();
  for (const record of childrenFirst(plan.buildCache)) {
    // A record holds its parents: those built on it go first.
    const children = plan.buildCache.filter((r) => (r.parents ?? []).includes(record.id) && recordStep.has(r.id)).map((r) => recordStep.get(r.id)!);
    recordStep.set(record.id, steps.length);
    steps.push({ op: { kind: 'prune-build-cache', record, bytes: buildCacheBytes([record], released) }, after: [...cacheAfter, ...children] });
  }
  return steps;
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

/**
 * Bytes the build-cache records free: what a record holds together with an image stays while the
 * image does (all of a shared record on the classic store), and goes too once the images that
 * shared it (`released`, by ID) are gone.
 */
export function buildCacheBytes(records: readonly BuildCacheRecord[], released: ReadonlySet<string> = new Set()): number {
  return records.reduce((s, b) => s + freeBytes(b) + (released.has(b.id) ? heldBytes(b) : 0), 0);
}

/**
 * Takes the least recently used removals, in that order, only until the images' total (each
 * layer counted once) is at most `limit`. Each step frees what the daemon would free at that
 * point (an image that only loses its names frees nothing, and the search goes on); an image
 * others are built on waits for them. The chosen removals keep the plan's order (children first),
 * with their bytes recomputed for that subset.
 */
function leastRecentlyUsedUntil(
  snapshot: Snapshot,
  candidates: PlannedRemoval[],
  limit: number,
  usedBy: readonly Container[],
): { images: PlannedRemoval[]; cachedRecords: BuildCacheRecord[]; result: KeepUnderResult } {
  const trial = new RemovalReplay(snapshot);
  let total = imagesTotalBytes(snapshot);
  const beforeBytes = total;

  const lastUsed = new Map(candidates.map((r) => [r.image.id, imageLastUsed(r.image, usedBy)]));
  const pending = [...candidates].sort(
    (a, b) => lastUsed.get(a.image.id)! - lastUsed.get(b.image.id)! || a.image.created - b.image.created || (a.image.id < b.image.id ? -1 : 1),
  );
  const steps: KeepUnderResult['steps'] = [];
  while (total > limit) {
    const next = pending.findIndex((r) => trial.model.childIds(r.image.id).length === 0);
    if (next < 0) break;
    const [removal] = pending.splice(next, 1) as [PlannedRemoval];
    // Gone already, with an image built on it that went before.
    if (!trial.model.has(removal.image.id)) continue;
    const step = trial.apply(removal.image, removal.refs);
    // The images' total is what docker system df shows: layers that move to the build cache leave it too.
    const freed = step.bytes + step.cachedBytes;
    total -= freed;
    steps.push({ id: removal.image.id, lastUsed: lastUsed.get(removal.image.id)!, freedBytes: freed });
  }
  // In the plan's order, children first, each removal credited with what it frees there.
  const chosen = (ids: ReadonlySet<string>) => {
    const replay = new RemovalReplay(snapshot);
    const images = candidates
      .filter((r) => ids.has(r.image.id))
      .map((r) => {
        const step = replay.apply(r.image, r.refs);
        return { ...r, refs: step.done, bytes: step.bytes, cachedBytes: step.cachedBytes, action: step.action };
      });
    return { images, cachedRecords: replay.cachedRecords, freed: images.reduce((sum, r) => sum + r.bytes + r.cachedBytes, 0) };
  };
  let keep = new Set(steps.map((s) => s.id));
  let plan = chosen(keep);
  // A named image whose step freed nothing goes only if a later one needed it gone (its layers went
  // with that one): its layers are held by images that stay, and it would lose its names, for good
  // where it exists only here, for no byte. An untagged one loses nothing: it goes as prune's own.
  const named = new Set(candidates.filter((r) => r.image.tags.length > 0).map((r) => r.image.id));
  const idle = steps.filter((s) => s.freedBytes === 0 && named.has(s.id)).map((s) => s.id);
  if (idle.length) {
    const without = (ids: readonly string[]) => new Set([...keep].filter((id) => !ids.includes(id)));
    const all = chosen(without(idle));
    if (all.freed >= plan.freed) {
      keep = without(idle);
      plan = all;
    } else {
      for (const id of idle.reverse()) {
        const trialPlan = chosen(without([id]));
        if (trialPlan.freed >= plan.freed) {
          keep = without([id]);
          plan = trialPlan;
        }
      }
    }
  }
  return {
    images: plan.images,
    cachedRecords: plan.cachedRecords,
    result: { limitBytes: limit, beforeBytes, afterBytes: total, shortByBytes: Math.max(0, total - limit), steps: steps.filter((s) => keep.has(s.id)) },
  };
}
