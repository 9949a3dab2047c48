// Reads one Snapshot of the daemon with as few requests as possible: the list endpoints (or
// /system/df when sizes of containers, volumes and build cache are wanted), plus inspect and
// history for images whose layers are not cached yet.
import { DANGLING_REF, repositoryOf } from '../core/reference.js';
import { estimateManifestBytes, placeBlobs } from '../core/content.js';
import { attributeBuildCache } from '../core/build-cache.js';
import { buildKitStepsOf, fillFromKnown, pairHistoryWithLayers, shareKnownLayers } from '../core/layers.js';
import { isActive, type BuildCacheRecord, type Container, type Image, type Layer, type Network, type Snapshot, type SnapshotNeeds, type Volume } from '../core/snapshot.js';
import { mapConcurrent } from './concurrency.js';
import { compareApiVersions, EngineApiError, type EngineClient } from './engine.js';
import { LayerCache, layerCachePath } from './layer-cache.js';
import { readAllHere, readContainerLogs, type LocalRead } from './logs.js';
import { isHelperContainer } from '../core/logs.js';
import { CancelledError } from '../errors.js';
import {
  BuildCacheSummary,
  ContainerInspect,
  ContainerSummary,
  expectShape,
  ImageHistory,
  ImageInspect,
  ImageSummary,
  NetworkSummary,
  SystemDf,
  SystemInfo,
  VolumeList,
  VolumeSummary,
} from './raw.js';
import * as z from 'zod/mini';
import { sha256Hex } from './hash.js';
import { ownContainerId } from './self.js';

/** How many history/inspect requests to have in flight when layers are not cached. */
const LAYER_FETCH_CONCURRENCY = 16;
/** At most this many connections to the daemon at once (through docker, each is a docker process). */
const MAX_CONNECTIONS = 4;
/** Uncached images worth one more connection (a docker process, where there is one, takes about 15 ms to start). */
const IMAGES_PER_CONNECTION = 50;

/** How logs are read, when they are: the image for the helper container (--helper). */
export interface LogOptions {
  helperImage?: string | undefined;
}


/**
 * Reads images, containers and (with `usage`) volumes and build cache, with exact layer bytes;
 * with `logs`, each container's log configuration and files (src/docker/logs.ts).
 */
export async function readSnapshot(client: EngineClient, options: SnapshotNeeds, logOptions: LogOptions = {}): Promise<Snapshot> {
  const warnings: string[] = [];
  // Requests go out first, side by side; the layer cache loads while the daemon answers them.
  // Over ssh one connection carries them: another costs more than the requests it would overlap.
  client.setConnections(client.overSsh ? 1 : 5);
  // The daemon's longest answer is asked first.
  const dfRead = options.usage ? readUsage(client) : undefined;
  const imagesRead = readImageList(client);
  const infoRead = client.getJson('/info', 'GET /info').then((raw) => expectShape(SystemInfo, raw, 'GET /info'));
  const storeRead = infoRead.then(imageStoreFrom);
  // Plain log sizes (no settings): every container directory's files are read here while the
  // daemon still computes its answers. Read by readLogsInto, which says what a failure means.
  const logsHere = options.logs && !options.logSettings && client.target.logsVia !== 'helper' ? infoRead.then((info) => readAllHere(info.DockerRootDir)) : undefined;
  logsHere?.catch(() => undefined);
  const othersRead = dfRead ? undefined : readOthers(client, options.usage, options.buildCache === true);
  const cache = new LayerCache(layerCachePath(client.target.env, endpointKey(client)));
  // The images' layers are read as soon as their list and the store are known, while the rest still comes.
  const layersRead =
    options.layers === false
      ? imagesRead.then((list): LayersRead => ({ layers: list.map(() => []), own: list.map(() => undefined), inspects: new Map() }))
      : Promise.all([imagesRead, storeRead]).then(([list, store]) => readAllLayers(client, list, cache, store));
  let df: SystemDf | undefined;
  if (dfRead) {
    try {
      df = (await inOrder([dfRead]))[0];
    } catch (error) {
      // The daemon could not compute disk usage (seen on the containerd store after a crash left a
      // container without its snapshot): go on with the lists, sizes unknown, and say so.
      if (!(error instanceof EngineApiError) || error.status < 500) {
        await Promise.allSettled([imagesRead, storeRead, layersRead]);
        throw error;
      }
      warnings.push(`${error.message}; container and volume sizes are unknown (shown as estimates)`);
    }
  }
  const [listed, info, imageStore, read, others] = await inOrder([
    imagesRead,
    infoRead,
    storeRead,
    layersRead,
    df ? { containers: df.Containers, volumes: df.Volumes, buildCache: df.BuildCache } : (othersRead ?? readOthers(client, options.usage, true)),
  ] as const);
  const { containers, volumes } = others;
  const layersSize = df?.LayersSize;
  // An image removed between the list and its inspect is not part of the snapshot.
  const images = listed.filter((_, i) => read.layers[i] !== undefined);
  const layers = read.layers.filter((l): l is Layer[] => l !== undefined);
  // What removing a BuildKit-built image frees depends on the build cache (which of its layers the
  // cache holds): read it, where it can be read alone, when such an image is there; on the
  // containerd store always (a base image's record holds its layer after the builds are gone).
  const heldByCache = imageStore === 'containerd' || layers.some((ls) => ls.some((l) => l.buildkit === true));
  const cacheRead = others.buildCache ?? (heldByCache ? await readBuildCacheAlone(client) : undefined);
  const buildCache = cacheRead ?? [];
  const own = read.own.filter((_, i) => read.layers[i] !== undefined);
  const inspects = read.inspects;

  const snapshot = snapshotFrom({ images, containers, volumes, buildCache, layersSize }, layers, df !== undefined, imageStore, own);
  snapshot.node = info.Name;
  // docker tidy's own helper containers (a concurrent run's reading logs) are in no report or plan.
  const helpers = snapshot.containers.filter(isHelperContainer);
  if (helpers.length) snapshot.containers = snapshot.containers.filter((c) => !isHelperContainer(c));
  // The container this process runs in is running, whatever the daemon has recorded yet.
  const self = ownContainerId();
  for (const c of snapshot.containers) if (c.id === self) c.state = 'running';
  if (cacheRead === undefined) snapshot.buildCacheKnown = false;
  const containerInspects = options.logs
    ? await readLogsInto(client, snapshot, helpers, options, { ...logOptions, info: await infoRead, here: logsHere }, warnings)
    : new Map<string, ContainerInspect>();
  if (warnings.length) snapshot.warnings = warnings;
  const [networks] = await Promise.all([
    options.networks ? client.getJson('/networks', 'GET /networks').then((raw) => expectShape(z.array(NetworkSummary), raw, 'GET /networks')) : undefined,
    // Running containers have not finished: only stopped ones are asked.
    options.finishTimes &&
      mapConcurrent(
        snapshot.containers.filter((c) => !isActive(c)),
        LAYER_FETCH_CONCURRENCY,
        async (c) => void (c.finishedAt = await readFinishTime(client, c.id, containerInspects.get(c.id))),
      ),
    options.tagTimes &&
      mapConcurrent(snapshot.images, LAYER_FETCH_CONCURRENCY, async (i) => void (i.lastTagged = await readLastTagTime(client, i.id, inspects.get(i.id)))),
  ]);
  if (options.finishTimes) for (const c of snapshot.containers) if (isActive(c)) c.finishedAt = 0;
  if (networks) snapshot.networks = networks.map(toNetwork);
  return snapshot;
}

/** The container list, with `usage` the volumes, and with `buildCache` the build cache where it can be read alone (undefined where not). */
function readOthers(
  client: EngineClient,
  usage: boolean,
  buildCache: boolean,
): Promise<{ containers: ContainerSummary[]; volumes: VolumeSummary[]; buildCache: BuildCacheSummary[] | undefined }> {
  return Promise.all([
    client.getJson('/containers/json?all=1', 'GET /containers/json'),
    usage ? client.getJson('/volumes', 'GET /volumes') : undefined,
    usage || buildCache ? readBuildCacheAlone(client) : undefined,
  ]).then(([rawContainers, rawVolumes, buildCache]) => ({
    containers: expectShape(z.array(ContainerSummary), rawContainers, 'GET /containers/json'),
    volumes: rawVolumes === undefined ? [] : expectShape(VolumeList, rawVolumes, 'GET /volumes').Volumes,
    buildCache,
  }));
}

/**
 * Waits for every one of `promises`, then gives their values, or throws the error of the first
 * that failed in the order given (not in time): the same fault gives the same message every run.
 */
async function inOrder<T extends readonly unknown[]>(promises: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** The tags of the images docker image ls lists (for shell completion). */
export async function readImageTags(client: EngineClient): Promise<string[]> {
  const list = expectShape(z.array(ImageSummary), await client.getJson('/images/json', 'GET /images/json'), 'GET /images/json');
  return list.flatMap((i) => i.RepoTags.filter((t) => t !== DANGLING_REF));
}

/**
 * Every image, intermediate ones included (`all=1`): a container can be made from any image ID,
 * and what it holds stays on disk. /system/df lists only what docker image ls lists.
 */
function readImageList(client: EngineClient): Promise<ImageSummary[]> {
  return client.getJson('/images/json?all=1', 'GET /images/json').then((raw) => expectShape(z.array(ImageSummary), raw, 'GET /images/json'));
}

/**
 * Which image store the daemon runs, as GET /info says: the containerd image store reports the
 * driver type io.containerd.snapshotter.v1 in DriverStatus (engine 24+); anything else is the
 * classic graph-driver store. Not guessed from sizes: an image without history (docker load of
 * an OCI image made by other tools) does not make a classic daemon look like containerd.
 */
export function imageStoreFrom(info: SystemInfo): 'classic' | 'containerd' {
  const snapshotter = info.DriverStatus.some(([key, value]) => key === 'driver-type' && value === 'io.containerd.snapshotter.v1');
  return snapshotter ? 'containerd' : 'classic';
}

/**
 * Each image's layers (undefined for one removed since it was listed), on the containerd store
 * its own content bytes (see ImageContent), and the inspect answers read to get them (by image ID).
 */
interface LayersRead {
  layers: (Layer[] | undefined)[];
  own: (number | undefined)[];
  inspects: Map<string, unknown>;
}

/**
 * Each image's layers: from the cache, else read from the daemon (inspect, and history when the
 * layers below the top one are not known), several at a time; the cache is saved with them. On
 * the classic store, an image whose history does not account for its size takes the sizes other
 * images pinned down, once all are read (see fillFromKnown).
 */
async function readAllLayers(
  client: EngineClient,
  images: readonly ImageSummary[],
  cache: LayerCache,
  store: 'classic' | 'containerd',
): Promise<LayersRead> {
  // On the containerd store an entry is complete with the image's own content bytes.
  const own = images.map((summary) => (store === 'containerd' ? cache.ownContent(summary.Id) : undefined));
  const layers = images.map((summary, i) => (store === 'containerd' && own[i] === undefined ? undefined : cache.get(summary.Id, summary.Size)));
  const missing = images.filter((_, i) => layers[i] === undefined);
  // More connections (through dial-stdio, more docker processes) pay off only when many images are not cached.
  client.setConnections(Math.min(MAX_CONNECTIONS, Math.max(client.overSsh ? 1 : 2, Math.ceil(missing.length / IMAGES_PER_CONNECTION))));
  // Layer bytes already known, by chain ID: an image that only adds its top layer to known ones
  // needs no history (below).
  const known = new Map<string, number>();
  for (const list of layers) for (const l of list ?? []) if (l.known) known.set(l.chainId, l.size);
  const inspects = new Map<string, unknown>();
  const fetched = await mapConcurrent(missing, LAYER_FETCH_CONCURRENCY, (summary) => readLayers(client, summary.Id, summary.Size, known, inspects, store));
  // The images whose history fell short take what the others pinned down.
  for (const read of fetched) if (read?.complete) for (const l of read.layers) if (l.known) known.set(l.chainId, l.size);
  const filled = fetched.map((read, i) => {
    const summary = missing[i]!;
    if (!read) return undefined;
    const fresh = read.complete ? read.layers : fillFromKnown(read.layers.map((l) => l.chainId), summary.Size, known);
    if (read.cacheable) cache.set(summary.Id, summary.Size, fresh, read.own);
    return { layers: fresh, own: read.own };
  });
  for (let i = 0, j = 0; i < layers.length; i++) {
    if (layers[i] !== undefined) continue;
    const read = filled[j++];
    layers[i] = read?.layers;
    own[i] = read?.own;
  }
  cache.save(images.map((i) => i.Id));
  return { layers, own, inspects };
}

/**
 * The Snapshot from the daemon's validated answers and each image's layers (pure: the unit tests
 * build it from answers captured on each engine). `sized`: the containers came from /system/df.
 * On the containerd store, `own` is each image's own content bytes (ownContentFrom): its content
 * is its size less its snapshots, and its layers' blobs are placed from that (core/content.ts).
 */
export function snapshotFrom(
  raw: { images: ImageSummary[]; containers: ContainerSummary[]; volumes: VolumeSummary[]; buildCache: BuildCacheSummary[]; layersSize?: number | undefined },
  layers: readonly Layer[][],
  sized: boolean,
  imageStore: 'classic' | 'containerd',
  own: readonly (number | undefined)[] = [],
): Snapshot {
  const images = raw.images.map((s, i) => toImage(s, layers[i]!.map((l) => ({ ...l }))));
  if (imageStore === 'classic') shareKnownLayers(images);
  if (imageStore === 'containerd') {
    images.forEach((image, i) => {
      const total = image.size - image.layers.reduce((sum, l) => sum + l.size, 0);
      image.content = { total, own: Math.min(total, own[i] ?? estimateManifestBytes(image.layers.length)) };
    });
    unifySnapshotSizes(images);
    placeBlobs(images);
    for (const image of images) image.digests = everyRepositoryDigest(image);
  }
  return {
    images,
    imageStore,
    containers: raw.containers.map((c) => toContainer(c, sized)),
    volumes: raw.volumes.map(toVolume),
    // After the blobs: matching records to layers places some of them again (containerd store).
    buildCache: attributeBuildCache(raw.buildCache.map(toBuildCache), images, imageStore),
    ...(raw.layersSize === undefined ? {} : { layersSize: raw.layersSize }),
  };
}

/**
 * Containerd store: one size per chain ID, the least any image gives it. An image's top layer also
 * takes the init snapshots its legacy-builder steps left in its chain (see layersFrom), which the
 * images built on it hold too: taken from each holder, the figures would depend on the order the
 * daemon lists images in. Changes `images` in place (pure).
 */
function unifySnapshotSizes(images: readonly Image[]): void {
  const least = new Map<string, number>();
  for (const image of images) for (const l of image.layers) least.set(l.chainId, Math.min(l.size, least.get(l.chainId) ?? l.size));
  for (const image of images) {
    for (const l of image.layers) {
      const size = least.get(l.chainId)!;
      if (size !== l.size) Object.assign(l, { size, known: false });
    }
  }
}

/** What GET /system/df?type= asks for alone (API 1.42+). */
type DfType = 'container' | 'volume' | 'build-cache';

/**
 * /system/df's containers (with their sizes), volumes (with theirs) and build cache. From API 1.42
 * three requests, for each type alone, which the daemon computes side by side, and not its image
 * part (docker tidy reads the images from GET /images/json?all=1), the longest: on engine 28.5
 * with 1,000 images and 1,000 containers, /system/df took 125-165 ms where type=container alone
 * took 50-65 ms and type=image 72-93 ms. Before 1.42, /system/df whole.
 */
async function readUsage(client: EngineClient): Promise<SystemDf> {
  if (compareApiVersions(client.apiVersion, '1.42') < 0) return readSystemDf(client);
  const [containers, volumes, buildCache] = await Promise.all([readSystemDf(client, 'container'), readSystemDf(client, 'volume'), readSystemDf(client, 'build-cache')]);
  return { LayersSize: undefined, Containers: containers.Containers, Volumes: volumes.Volumes, BuildCache: buildCache.BuildCache };
}

/**
 * GET /system/df (for one type, or all), validated. The daemon runs one disk-usage computation at
 * a time and refuses a second one ("a disk usage operation is already running"): wait for the
 * other to finish, within the timeout.
 */
async function readSystemDf(client: EngineClient, type?: DfType): Promise<SystemDf> {
  const what = type ? `GET /system/df?type=${type}` : 'GET /system/df';
  const deadline = Date.now() + client.target.timeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return expectShape(SystemDf, await client.getJson(systemDfPath(client.apiVersion, type), what), what);
    } catch (error) {
      const busy = error instanceof EngineApiError && /already running/i.test(error.daemonMessage);
      if (!busy || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * The build cache as it is now (after a removal: which records the removed images left as the
 * cache's own). On its own where the API allows (1.42+), else within the whole of /system/df.
 */
export async function readBuildCache(client: EngineClient): Promise<BuildCacheRecord[]> {
  const alone = await readBuildCacheAlone(client);
  if (alone) return alone.map(toBuildCache);
  return (await readSystemDf(client)).BuildCache.map(toBuildCache);
}

/**
 * The /system/df request at `apiVersion`, for one object type or all. From API 1.52 the objects
 * themselves (each section's Items) come only with verbose=1, and the old fields that listed them
 * go away at 1.53. Pure.
 */
export function systemDfPath(apiVersion: string, type?: DfType): string {
  const query = [...(type ? [`type=${type}`] : []), ...(compareApiVersions(apiVersion, '1.52') >= 0 ? ['verbose=1'] : [])];
  return query.length ? `/system/df?${query.join('&')}` : '/system/df';
}

/** Build cache on its own (GET /system/df?type=build-cache, API 1.42+); undefined when the daemon cannot say. */
async function readBuildCacheAlone(client: EngineClient): Promise<BuildCacheSummary[] | undefined> {
  if (compareApiVersions(client.apiVersion, '1.42') < 0) return undefined;
  try {
    return (await readSystemDf(client, 'build-cache')).BuildCache;
  } catch (error) {
    if (error instanceof EngineApiError) return undefined;
    throw error;
  }
}

/** Identifies the daemon endpoint the way the user chose it, to keep one cache per endpoint. */
function endpointKey(client: EngineClient): string {
  const { globals, env } = client.target;
  return JSON.stringify([globals.host ?? env.DOCKER_HOST ?? '', globals.context ?? env.DOCKER_CONTEXT ?? '', globals.config ?? env.DOCKER_CONFIG ?? '']);
}

/** One image's layers as read, whether they account for its whole size, and whether they may be cached. */
interface ImageLayers {
  layers: Layer[];
  complete: boolean;
  cacheable: boolean;
  /** Containerd store: the image's own content bytes (ownContentFrom). */
  own?: number;
}

async function readLayers(
  client: EngineClient,
  id: string,
  listedSize: number,
  known: ReadonlyMap<string, number>,
  inspects: Map<string, unknown>,
  store: 'classic' | 'containerd',
): Promise<ImageLayers | undefined> {
  const path = `/images/${encodeURIComponent(id)}`;
  // Removed since it was listed: it is not part of the snapshot.
  const rawInspect = await getIfPresent(client, `${path}/json`, `GET /images/${id}/json`);
  if (rawInspect === undefined) return undefined;
  inspects.set(id, rawInspect);
  const derived = store === 'classic' ? layersFromKnown(rawInspect, id, listedSize, known) : undefined;
  if (derived) return { layers: derived, complete: true, cacheable: true };
  let rawHistory: unknown;
  try {
    rawHistory = await client.getJson(`${path}/history`, `GET /images/${id}/history`);
  } catch (error) {
    // The containerd store cannot give the history of an image whose snapshots are gone (engine
    // 26: "snapshot ... does not exist"): its sizes then come from the image's own size, unknown.
    if (!(error instanceof EngineApiError)) throw error;
    const layers = layersFrom(rawInspect, [], id, listedSize, store).map((l) => ({ ...l, known: false }));
    return { layers, complete: store === 'containerd', cacheable: false, ...(store === 'containerd' ? { own: ownContentFrom(rawInspect, [], id) } : {}) };
  }
  const layers = layersFrom(rawInspect, rawHistory, id, listedSize, store);
  const sum = layers.reduce((s, l) => s + l.size, 0);
  return {
    layers,
    complete: store === 'containerd' || sum === listedSize,
    cacheable: true,
    ...(store === 'containerd' ? { own: ownContentFrom(rawInspect, rawHistory, id) } : {}),
  };
}

/**
 * Containerd store: the bytes of an image's own manifest and config blobs (pure). The manifest's
 * size is its descriptor's (API 1.48+) or estimated from its layer count; the config's is the
 * length of the config JSON rebuilt from the inspect and history answers (the daemon does not
 * give the config blob): within a few hundred bytes of the real one on engines 26 and 28.5.
 */
export function ownContentFrom(rawInspect: unknown, rawHistory: unknown, id: string): number {
  const inspect = expectShape(ImageInspect, rawInspect, `GET /images/${id}/json`);
  const history = expectShape(ImageHistory, rawHistory, `GET /images/${id}/history`);
  const diffIds = inspect.RootFS.Layers;
  const manifest = inspect.Descriptor?.size ?? estimateManifestBytes(diffIds.length);
  // Timestamps in the config carry nanoseconds: "2026-12-02T18:47:57.987113196Z".
  const time = (seconds: number | null | undefined): string | undefined => (seconds ? new Date(seconds * 1000).toISOString().replace('Z', '000000Z') : undefined);
  const config = {
    created: inspect.Created ?? undefined,
    architecture: inspect.Architecture ?? undefined,
    os: inspect.Os ?? undefined,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [...history].reverse().map((h) => ({ created: time(h.Created), created_by: h.CreatedBy || undefined, comment: h.Comment || undefined })),
    config: Object.fromEntries(Object.entries(inspect.Config ?? {}).filter(([, v]) => !isEmptyValue(v))),
  };
  const emptyLayers = Math.max(0, history.length - diffIds.length);
  return manifest + JSON.stringify(config).length + emptyLayers * ',"empty_layer":true'.length;
}

// Fields a config leaves out when empty (Go's omitempty).
function isEmptyValue(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

/** A GET's answer, or undefined when the object is gone (404). */
async function getIfPresent(client: EngineClient, path: string, what: string): Promise<unknown> {
  try {
    return await client.getJson(path, what);
  } catch (error) {
    if (error instanceof EngineApiError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * An image's layers without its history, when every layer but the top one is already known, on
 * the classic store (its size is the sum of its layers): the top layer holds the rest. Undefined
 * when that does not hold. Pure.
 */
export function layersFromKnown(rawInspect: unknown, id: string, listedSize: number, known: ReadonlyMap<string, number>): Layer[] | undefined {
  const inspect = expectShape(ImageInspect, rawInspect, `GET /images/${id}/json`);
  const chainIds = chainIdsOf(inspect.RootFS.Layers);
  if (inspect.Size !== listedSize || chainIds.length === 0 || !chainIds.slice(0, -1).every((c) => known.has(c))) return undefined;
  const layers = fillFromKnown(chainIds, listedSize, known);
  return layers.every((l) => l.known) ? layers : undefined;
}

/**
 * An image's layers, by chain ID with their bytes, from its inspect and history answers (pure).
 * `listedSize` is its size in the image list: on the containerd store that is its compressed
 * content (the inspect size) plus its unpacked snapshots, and history can fall short of the
 * snapshots' disk usage (legacy-builder layers); the difference goes to its top layer, not exact.
 */
export function layersFrom(rawInspect: unknown, rawHistory: unknown, id: string, listedSize: number, store: 'classic' | 'containerd'): Layer[] {
  const inspect = expectShape(ImageInspect, rawInspect, `GET /images/${id}/json`);
  const history = expectShape(ImageHistory, rawHistory, `GET /images/${id}/history`);
  const diffIds = inspect.RootFS.Layers;
  const entries = history.map((h) => ({ size: h.Size, createdBy: h.CreatedBy, comment: h.Comment ?? '' }));
  const { sizes, determined } = pairHistoryWithLayers(diffIds, entries);
  const steps = buildKitStepsOf(sizes, entries);
  const layers: Layer[] = chainIdsOf(diffIds).map((chainId, i) => ({
    chainId,
    size: sizes[i]!,
    known: determined[i]!,
    buildkit: steps[i] !== undefined,
    ...(steps[i] === undefined ? {} : { step: steps[i] }),
  }));
  const top = layers[layers.length - 1];
  const unpacked = listedSize - inspect.Size;
  const missing = unpacked - layers.reduce((s, l) => s + l.size, 0);
  if (store === 'containerd' && top && missing > 0) {
    top.size += missing;
    top.known = false;
  }
  return layers;
}

/**
 * Each container's log and the sizes of its files, into the snapshot. A failure leaves the sizes
 * unknown, with the reason, and nothing else in the report changes; an interrupt ends the run.
 * Returns the containers' inspect answers read on the way.
 */
async function readLogsInto(
  client: EngineClient,
  snapshot: Snapshot,
  helpers: readonly Container[],
  needs: SnapshotNeeds,
  options: LogOptions & { info: SystemInfo; here: Promise<LocalRead> | undefined },
  warnings: string[],
): Promise<Map<string, ContainerInspect>> {
  try {
    const request = { settings: needs.logSettings === true, helperImage: options.helperImage, info: options.info, here: await options.here };
    const read = await readContainerLogs(client, snapshot.containers, helpers, snapshot.images, request);
    for (const c of snapshot.containers) {
      const log = read.logs.get(c.id);
      if (log) c.log = log;
    }
    snapshot.logs = read.reading;
    warnings.push(...read.warnings);
    return read.inspects;
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    snapshot.logs = {
      via: 'unknown',
      unknown: { reason: `reading the containers' log settings failed: ${(error as Error).message}`, fix: 'run the command again (docker -D tidy ... shows more)' },
    };
    return new Map();
  }
}

/** A container's last stop time in Unix seconds; 0 when it never ran ("0001-01-01T00:00:00Z"). From its inspect answer when one was read. */
async function readFinishTime(client: EngineClient, id: string, read: ContainerInspect | undefined): Promise<number> {
  const inspect = read ?? (await inspectIfPresent(client, `/containers/${encodeURIComponent(id)}/json`, `GET /containers/${id}/json`, ContainerInspect));
  return inspect ? unixSeconds(inspect.State.FinishedAt) : 0;
}

/**
 * When an image was last tagged or pulled here, in Unix seconds; 0 when never (or unknown). From
 * its inspect answer when its layers were just read with it, else asked.
 */
async function readLastTagTime(client: EngineClient, id: string, rawInspect: unknown): Promise<number> {
  const what = `GET /images/${id}/json`;
  const inspect =
    rawInspect === undefined ? await inspectIfPresent(client, `/images/${encodeURIComponent(id)}/json`, what, ImageInspect) : expectShape(ImageInspect, rawInspect, what);
  return inspect ? unixSeconds(inspect.Metadata?.LastTagTime ?? '') : 0;
}

// An inspect, or undefined when the object was removed since it was listed.
async function inspectIfPresent<S extends z.ZodMiniType>(client: EngineClient, path: string, what: string, schema: S): Promise<z.output<S> | undefined> {
  try {
    return expectShape(schema, await client.getJson(path, what), what);
  } catch (error) {
    if (error instanceof EngineApiError && error.status === 404) return undefined;
    throw error;
  }
}

// Go's zero time ("0001-01-01T00:00:00Z") and anything unparsable mean "never": 0.
function unixSeconds(text: string): number {
  const ms = Date.parse(text);
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}

/** chainID(L1) = diffID(L1); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainIdsOf(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diffId : 'sha256:' + sha256Hex(`${prev} ${diffId}`));
  }
  return out;
}

/**
 * Containerd store: an image's digest in each repository it has a tag in. Every repository holds
 * it by the same digest (the image's manifest), and image inspect lists them all, but
 * GET /images/json lists one (engine 28.5: an image tagged in three repositories, one of them
 * pushed, listed only the digest of one never pushed). Without them, a registry that has the image
 * under another name is never asked, and `rm repo@sha256:...` finds no such image. Pure.
 */
export function everyRepositoryDigest(image: Pick<Image, 'tags' | 'digests'>): string[] {
  const hashes = new Set(image.digests.map((d) => d.slice(d.indexOf('@') + 1)));
  if (hashes.size !== 1) return image.digests;
  const [hash] = hashes;
  return [...new Set([...image.digests, ...image.tags.map((t) => `${repositoryOf(t)}@${hash}`)])];
}

function toImage(s: ImageSummary, layers: Layer[]): Image {
  // Some daemons list "<none>:<none>" / "<none>@<none>" for untagged images. The containerd store
  // (engine 26) lists an image pulled by digest under RepoTags as "repo@sha256:...": a digest.
  const tags = s.RepoTags.filter((t) => t !== DANGLING_REF);
  return {
    id: s.Id,
    tags: tags.filter((t) => !t.includes('@')),
    digests: [...new Set([...s.RepoDigests.filter((d) => d !== '<none>@<none>'), ...tags.filter((t) => t.includes('@'))])],
    created: s.Created,
    size: s.Size,
    parentId: s.ParentId,
    layers,
    labels: s.Labels,
  };
}

function toContainer(c: ContainerSummary, sized: boolean): Container {
  return {
    id: c.Id,
    name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    imageId: c.ImageID,
    imageRef: c.Image,
    state: c.State,
    // The API omits SizeRw when it is 0 (omitempty), and always when sizes were not asked for.
    sizeRw: c.SizeRw ?? (sized ? 0 : -1),
    created: c.Created,
    labels: c.Labels,
    networks: attachedNetworks(c),
    volumes: c.Mounts.flatMap((m) => (m.Type === 'volume' && m.Name ? [m.Name] : [])),
  };
}

// The networks a container is attached to, by name and ID; its network mode names one too
// ("container:ID" and the predefined modes name none that prune could remove).
function attachedNetworks(c: ContainerSummary): string[] {
  const out = new Set<string>();
  for (const [name, endpoint] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
    out.add(name);
    if (endpoint?.NetworkID) out.add(endpoint.NetworkID);
  }
  const mode = c.HostConfig?.NetworkMode;
  if (mode && !mode.startsWith('container:')) out.add(mode);
  return [...out];
}

function toNetwork(n: NetworkSummary): Network {
  return { id: n.Id, name: n.Name, driver: n.Driver, scope: n.Scope, created: unixSeconds(n.Created), labels: n.Labels };
}

function toVolume(v: VolumeSummary): Volume {
  return {
    name: v.Name,
    driver: v.Driver,
    size: v.UsageData.Size,
    refCount: v.UsageData.RefCount,
    // Engine 23+ labels anonymous volumes; older engines give them a random 64-hex name.
    anonymous: 'com.docker.volume.anonymous' in v.Labels || /^[0-9a-f]{64}$/.test(v.Name),
    labels: v.Labels,
  };
}

function toBuildCache(b: BuildCacheSummary): BuildCacheRecord {
  return {
    id: b.ID,
    type: b.Type,
    description: b.Description,
    size: b.Size,
    inUse: b.InUse,
    shared: b.Shared,
    lastUsedAt: b.LastUsedAt ? unixSeconds(b.LastUsedAt) || null : null,
    createdAt: unixSeconds(b.CreatedAt),
    parents: [...new Set([...b.Parents, ...b[' Parents'], ...(b.Parent ? [b.Parent] : [])])],
  };
}
