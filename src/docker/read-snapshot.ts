// Reads one Snapshot of the daemon with as few requests as possible: the list endpoints (or
// /system/df when sizes of containers, volumes and build cache are wanted), plus inspect and
// history for images whose layers are not cached yet.
import { createHash } from 'node:crypto';
import { pairHistoryWithLayers } from '../core/layers.js';
import { isActive, type BuildCacheRecord, type Container, type Image, type Layer, type Network, type Snapshot, type Volume } from '../core/snapshot.js';
import { mapConcurrent } from './concurrency.js';
import { compareApiVersions, EngineApiError, type EngineClient } from './engine.js';
import { LayerCache, layerCachePath } from './layer-cache.js';
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
  VolumeList,
  VolumeSummary,
} from './raw.js';
import { z } from 'zod';

/** What to read besides images and containers. */
export interface SnapshotOptions {
  /** Container writable-layer sizes, volumes and build cache (GET /system/df; slower on big hosts). */
  usage: boolean;
  /** When each stopped container finished: one inspect per container, so only when needed. */
  finishTimes?: boolean;
  /** When each image was last tagged or pulled: one inspect per image, so only when needed. */
  tagTimes?: boolean;
  /** The networks (GET /networks). */
  networks?: boolean;
}

/** How many history/inspect requests to have in flight when layers are not cached. */
const LAYER_FETCH_CONCURRENCY = 16;
/** At most this many connections to the daemon at once (through docker, each is a docker process). */
const MAX_CONNECTIONS = 4;
/** Uncached images worth one more connection (a docker process, where there is one, takes about 15 ms to start). */
const IMAGES_PER_CONNECTION = 50;

/** Reads images, containers and (with `usage`) volumes and build cache, with exact layer bytes. */
export async function readSnapshot(client: EngineClient, options: SnapshotOptions): Promise<Snapshot> {
  let images: ImageSummary[];
  let containers: ContainerSummary[];
  let volumes: VolumeSummary[] = [];
  let buildCache: BuildCacheSummary[] = [];
  let layersSize: number | undefined;
  const warnings: string[] = [];
  // Requests go out first; the layer cache loads while the daemon answers them.
  const dfRead = options.usage ? readSystemDf(client) : undefined;
  const listsRead = dfRead ? undefined : readLists(client, options.usage);
  const cache = new LayerCache(layerCachePath(client.target.env, endpointKey(client)));
  let df: SystemDf | undefined;
  if (dfRead) {
    try {
      df = expectShape(SystemDf, await dfRead, 'GET /system/df');
    } catch (error) {
      // The daemon could not compute disk usage (seen on the containerd store after a crash left a
      // container without its snapshot): go on with the lists, sizes unknown, and say so.
      if (!(error instanceof EngineApiError) || error.status < 500) throw error;
      warnings.push(`${error.message}; container and volume sizes are unknown (shown as estimates)`);
    }
  }
  let read: LayersRead;
  if (df) {
    ({ Images: images, Containers: containers, Volumes: volumes, BuildCache: buildCache } = df);
    layersSize = df.LayersSize;
    read = await readAllLayers(client, images, cache);
  } else {
    const lists = listsRead ?? readLists(client, options.usage);
    // The images' layers are read as soon as their list is in, while the other lists still come.
    const layersRead = lists.images.then((list) => readAllLayers(client, list, cache));
    [images, read, { containers, volumes, buildCache }] = await Promise.all([lists.images, layersRead, lists.others]);
  }
  const { layers, inspects } = read;

  const snapshot = snapshotFrom({ images, containers, volumes, buildCache, layersSize }, layers, df !== undefined);
  if (warnings.length) snapshot.warnings = warnings;
  const [networks] = await Promise.all([
    options.networks ? client.getJson('/networks', 'GET /networks').then((raw) => expectShape(z.array(NetworkSummary), raw, 'GET /networks')) : undefined,
    // Running containers have not finished: only stopped ones are asked.
    options.finishTimes &&
      mapConcurrent(
        snapshot.containers.filter((c) => !isActive(c)),
        LAYER_FETCH_CONCURRENCY,
        async (c) => void (c.finishedAt = await readFinishTime(client, c.id)),
      ),
    options.tagTimes &&
      mapConcurrent(snapshot.images, LAYER_FETCH_CONCURRENCY, async (i) => void (i.lastTagged = await readLastTagTime(client, i.id, inspects.get(i.id)))),
  ]);
  if (options.finishTimes) for (const c of snapshot.containers) if (isActive(c)) c.finishedAt = 0;
  if (networks) snapshot.networks = networks.map(toNetwork);
  return snapshot;
}

/** The image list, and the container list (with `usage` volumes and build cache), on two connections. */
function readLists(client: EngineClient, usage: boolean) {
  client.setConnections(2);
  const images = client.getJson('/images/json?all=0', 'GET /images/json').then((raw) => expectShape(z.array(ImageSummary), raw, 'GET /images/json'));
  const others = Promise.all([
    client.getJson('/containers/json?all=1', 'GET /containers/json'),
    usage ? client.getJson('/volumes', 'GET /volumes') : undefined,
    usage ? readBuildCacheAlone(client) : [],
  ]).then(([rawContainers, rawVolumes, buildCache]) => ({
    containers: expectShape(z.array(ContainerSummary), rawContainers, 'GET /containers/json'),
    volumes: rawVolumes === undefined ? [] : expectShape(VolumeList, rawVolumes, 'GET /volumes').Volumes,
    buildCache,
  }));
  return { images, others };
}

/** Each image's layers, and the inspect answers read to get them (by image ID). */
interface LayersRead {
  layers: Layer[][];
  inspects: Map<string, unknown>;
}

/**
 * Each image's layers: from the cache, else read from the daemon (inspect, and history when the
 * layers below the top one are not known), several at a time; the cache is saved with them.
 */
async function readAllLayers(client: EngineClient, images: readonly ImageSummary[], cache: LayerCache): Promise<LayersRead> {
  const layers = images.map((summary) => cache.get(summary.Id, summary.Size));
  const missing = images.filter((_, i) => layers[i] === undefined);
  // More connections (through dial-stdio, more docker processes) pay off only when many images are not cached.
  client.setConnections(Math.min(MAX_CONNECTIONS, Math.max(2, Math.ceil(missing.length / IMAGES_PER_CONNECTION))));
  // Layer bytes already known, by chain ID: an image that only adds its top layer to known ones
  // needs no history (below).
  const known = new Map<string, number>();
  for (const list of layers) for (const l of list ?? []) if (l.known) known.set(l.chainId, l.size);
  const inspects = new Map<string, unknown>();
  const fetched = await mapConcurrent(missing, LAYER_FETCH_CONCURRENCY, async (summary) => {
    const fresh = await readLayers(client, summary.Id, summary.Size, known, inspects);
    cache.set(summary.Id, summary.Size, fresh);
    return fresh;
  });
  for (let i = 0, j = 0; i < layers.length; i++) layers[i] ??= fetched[j++];
  cache.save(images.map((i) => i.Id));
  return { layers: layers as Layer[][], inspects };
}

/**
 * The Snapshot from the daemon's validated answers and each image's layers (pure: the unit tests
 * build it from answers captured on each engine). `sized`: the containers came from /system/df.
 */
export function snapshotFrom(
  raw: { images: ImageSummary[]; containers: ContainerSummary[]; volumes: VolumeSummary[]; buildCache: BuildCacheSummary[]; layersSize?: number | undefined },
  layers: readonly Layer[][],
  sized: boolean,
): Snapshot {
  const images = raw.images.map((s, i) => toImage(s, layers[i]!));
  return {
    images,
    imageStore: imageStoreOf(images),
    containers: raw.containers.map((c) => toContainer(c, sized)),
    volumes: raw.volumes.map(toVolume),
    buildCache: raw.buildCache.map(toBuildCache),
    ...(raw.layersSize === undefined ? {} : { layersSize: raw.layersSize }),
  };
}

/**
 * GET /system/df. The daemon runs one disk-usage computation at a time and refuses a second one
 * ("a disk usage operation is already running"): wait for the other to finish, within the timeout.
 */
async function readSystemDf(client: EngineClient): Promise<unknown> {
  const deadline = Date.now() + client.target.timeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await client.getJson(systemDfPath(client.apiVersion), 'GET /system/df');
    } catch (error) {
      const busy = error instanceof EngineApiError && /already running/i.test(error.daemonMessage);
      if (!busy || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * The /system/df request at `apiVersion`, for one object type or all. From API 1.52 the objects
 * themselves (each section's Items) come only with verbose=1, and the old fields that listed them
 * go away at 1.53. Pure.
 */
export function systemDfPath(apiVersion: string, type?: 'build-cache'): string {
  const query = [...(type ? [`type=${type}`] : []), ...(compareApiVersions(apiVersion, '1.52') >= 0 ? ['verbose=1'] : [])];
  return query.length ? `/system/df?${query.join('&')}` : '/system/df';
}

/** Build cache on its own (GET /system/df?type=build-cache, API 1.42+); none when the daemon cannot say. */
async function readBuildCacheAlone(client: EngineClient): Promise<BuildCacheSummary[]> {
  if (compareApiVersions(client.apiVersion, '1.42') < 0) return [];
  try {
    return expectShape(SystemDf, await client.getJson(systemDfPath(client.apiVersion, 'build-cache'), 'GET /system/df?type=build-cache'), 'GET /system/df?type=build-cache')
      .BuildCache;
  } catch (error) {
    if (error instanceof EngineApiError) return [];
    throw error;
  }
}

/** Identifies the daemon endpoint the way the user chose it, to keep one cache per endpoint. */
function endpointKey(client: EngineClient): string {
  const { globals, env } = client.target;
  return JSON.stringify([globals.host ?? env.DOCKER_HOST ?? '', globals.context ?? env.DOCKER_CONTEXT ?? '', globals.config ?? env.DOCKER_CONFIG ?? '']);
}

async function readLayers(
  client: EngineClient,
  id: string,
  listedSize: number,
  known: ReadonlyMap<string, number>,
  inspects: Map<string, unknown>,
): Promise<Layer[]> {
  const path = `/images/${encodeURIComponent(id)}`;
  const rawInspect = await client.getJson(`${path}/json`, `GET /images/${id}/json`);
  inspects.set(id, rawInspect);
  const derived = layersFromKnown(rawInspect, id, listedSize, known);
  if (derived) return derived;
  const rawHistory = await client.getJson(`${path}/history`, `GET /images/${id}/history`);
  return layersFrom(rawInspect, rawHistory, id, listedSize);
}

/**
 * An image's layers without its history, when every layer but the top one is already known and
 * the store is the classic one (the listed size is the inspect size, the sum of the layers): the
 * top layer holds the rest. Undefined when that does not hold. Pure.
 */
export function layersFromKnown(rawInspect: unknown, id: string, listedSize: number, known: ReadonlyMap<string, number>): Layer[] | undefined {
  const inspect = expectShape(ImageInspect, rawInspect, `GET /images/${id}/json`);
  const chainIds = chainIdsOf(inspect.RootFS.Layers);
  if (inspect.Size !== listedSize || chainIds.length === 0) return undefined;
  const lower = chainIds.slice(0, -1).map((chainId) => ({ chainId, size: known.get(chainId), known: true }));
  if (lower.some((l) => l.size === undefined)) return undefined;
  const top = listedSize - lower.reduce((s, l) => s + l.size!, 0);
  if (top < 0) return undefined;
  return [...(lower as Layer[]), { chainId: chainIds[chainIds.length - 1]!, size: top, known: true }];
}

/**
 * An image's layers, by chain ID with their bytes, from its inspect and history answers (pure).
 * `listedSize` is its size in the image list: on the containerd store that is its compressed
 * content (the inspect size) plus its unpacked snapshots, and history can fall short of the
 * snapshots' disk usage (legacy-builder layers); the difference goes to its top layer, not exact.
 */
export function layersFrom(rawInspect: unknown, rawHistory: unknown, id: string, listedSize: number): Layer[] {
  const inspect = expectShape(ImageInspect, rawInspect, `GET /images/${id}/json`);
  const history = expectShape(ImageHistory, rawHistory, `GET /images/${id}/history`);
  const diffIds = inspect.RootFS.Layers;
  const { sizes, determined } = pairHistoryWithLayers(
    diffIds,
    history.map((h) => ({ size: h.Size, createdBy: h.CreatedBy })),
  );
  const layers = chainIdsOf(diffIds).map((chainId, i) => ({ chainId, size: sizes[i]!, known: determined[i]! }));
  const top = layers[layers.length - 1];
  const unpacked = listedSize - inspect.Size;
  const missing = unpacked - layers.reduce((s, l) => s + l.size, 0);
  if (listedSize !== inspect.Size && top && missing > 0) {
    top.size += missing;
    top.known = false;
  }
  return layers;
}

/**
 * Tells the stores apart without another request: on the classic store an image's size is the sum
 * of its layers (as history gives them); the containerd store adds compressed content, so no
 * image's layers add up to its size there.
 */
function imageStoreOf(images: readonly Image[]): 'classic' | 'containerd' {
  const mismatch = images.some((i) => i.layers.reduce((s, l) => s + l.size, 0) !== i.size);
  return mismatch ? 'containerd' : 'classic';
}

/** A container's last stop time in Unix seconds; 0 when it never ran ("0001-01-01T00:00:00Z"). */
async function readFinishTime(client: EngineClient, id: string): Promise<number> {
  const inspect = await inspectIfPresent(client, `/containers/${encodeURIComponent(id)}/json`, `GET /containers/${id}/json`, ContainerInspect);
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
async function inspectIfPresent<T>(client: EngineClient, path: string, what: string, schema: z.ZodType<T>): Promise<T | undefined> {
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
    out.push(prev === undefined ? diffId : 'sha256:' + createHash('sha256').update(`${prev} ${diffId}`).digest('hex'));
  }
  return out;
}

function toImage(s: ImageSummary, layers: Layer[]): Image {
  return {
    id: s.Id,
    // Some daemons list "<none>:<none>" / "<none>@<none>" for untagged images.
    tags: s.RepoTags.filter((t) => t !== '<none>:<none>'),
    digests: s.RepoDigests.filter((d) => d !== '<none>@<none>'),
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
    lastUsedAt: b.LastUsedAt,
    createdAt: b.CreatedAt,
    parents: [...new Set([...b.Parents, ...b[' Parents'], ...(b.Parent ? [b.Parent] : [])])],
  };
}
