// Disk usage, layer-aware: what each image holds alone, what it shares, and what removing a set
// of images really frees (docker's own RECLAIMABLE counts shared layers as if they were free).
import { freeBytes } from './build-cache.js';
import { layerDiskBytes, ownContentBytes } from './content.js';
import { RemovalReplay } from './image-store.js';
import { containerBytes } from './logs.js';
import { referenceOf } from './reference.js';
import { isLocalOnly } from './remote-copy.js';
import { isActive, type Container, type Image, type Snapshot } from './snapshot.js';

/** An image with its layer accounting and the containers that use it. */
export interface ImageUsage {
  image: Image;
  /** Bytes of all its layers. */
  sizeBytes: number;
  /** What removing this image alone frees: its layers that no other remaining image holds. */
  uniqueBytes: number;
  /** Bytes in layers that other images hold too. */
  sharedBytes: number;
  /** Containers in any state whose image is this image ID. */
  containers: Container[];
  /** No tag. */
  dangling: boolean;
  /** No container, in any state, uses this image ID. */
  unused: boolean;
  /**
   * Known to exist only on this host, so removing it loses it for good: tagged, and never pushed or
   * pulled (no RepoDigests, classic store) or its registries said they do not have it.
   */
  localOnly: boolean;
  /**
   * A legacy builder's intermediate image: no tag, no digest, and other images are built on it.
   * `docker image ls` hides these (they go with the images built on them); they count where a
   * container uses one.
   */
  intermediate: boolean;
  /** False when its unique/shared split rests on a layer size the daemon did not pin down. */
  exact: boolean;
}

/** What the images of a snapshot say about one layer (by chain ID). */
export interface LayerEntry {
  size: number;
  /** How many images hold it. */
  holders: number;
  /** Every holder knows the bytes up to this layer, and they all agree on its size. */
  known: boolean;
}

/** Counts, per chain ID, how many images hold it, and its size. */
export function indexLayers(images: readonly Image[]): Map<string, LayerEntry> {
  const index = new Map<string, LayerEntry>();
  for (const image of images) {
    for (const layer of image.layers) {
      const entry = index.get(layer.chainId);
      const size = layerDiskBytes(layer);
      if (!entry) {
        index.set(layer.chainId, { size, holders: 1, known: layer.known });
        continue;
      }
      entry.holders += 1;
      entry.known &&= layer.known && entry.size === size;
    }
  }
  return index;
}

/**
 * Whether the image's figures are exact: they only need the bytes up to the layers where the
 * number of images holding a layer changes (and the top), so those must be known.
 */
function boundariesKnown(image: Image, index: Map<string, LayerEntry>): boolean {
  return image.layers.every((layer, i) => {
    const entry = index.get(layer.chainId)!;
    const next = image.layers[i + 1];
    const boundary = next === undefined || index.get(next.chainId)!.holders !== entry.holders;
    return !boundary || entry.known;
  });
}

/** The images built directly on each image (by the parent links of the legacy builder). */
export function childrenByImage(images: readonly Image[]): Map<string, string[]> {
  const ids = new Set(images.map((i) => i.id));
  const children = new Map<string, string[]>();
  for (const image of images) {
    if (!image.parentId || !ids.has(image.parentId)) continue;
    const list = children.get(image.parentId);
    if (list) list.push(image.id);
    else children.set(image.parentId, [image.id]);
  }
  return children;
}

/** Per-image accounting for every image in the snapshot, intermediate ones included. */
export function analyzeImages(snapshot: Snapshot): ImageUsage[] {
  const index = indexLayers(snapshot.images);
  const containerd = snapshot.imageStore === 'containerd';
  const children = childrenByImage(snapshot.images);
  const byId = new Map(snapshot.images.map((i) => [i.id, i]));
  const byImage = new Map<string, Container[]>();
  for (const c of snapshot.containers) {
    const list = byImage.get(c.imageId);
    if (list) list.push(c);
    else byImage.set(c.imageId, [c]);
  }
  const named = (i: Image): boolean => i.tags.length > 0 || i.digests.length > 0;
  return snapshot.images.map((image) => {
    const containers = byImage.get(image.id) ?? [];
    // Removing it alone deletes it and the parents that only it keeps (nameless, unused, no other
    // child); a layer is freed when every image holding it is among those.
    const goes = [image];
    if (!children.has(image.id)) {
      for (let p = byId.get(image.parentId); p && !named(p) && !byImage.has(p.id) && children.get(p.id)!.length === 1; p = byId.get(p.parentId)) {
        goes.push(p);
      }
    }
    const goingHolders = new Map<string, number>();
    for (const g of goes) for (const l of g.layers) goingHolders.set(l.chainId, (goingHolders.get(l.chainId) ?? 0) + 1);
    // On the containerd store a layer is its snapshot and its compressed blob, and the image's own
    // manifest and config go with it (and with each parent pruned along).
    let layerBytes = ownContentBytes(image);
    let freed = children.has(image.id) ? 0 : goes.reduce((s, g) => s + ownContentBytes(g), 0);
    for (const layer of image.layers) {
      layerBytes += layerDiskBytes(layer);
      if (!children.has(image.id) && index.get(layer.chainId)!.holders === goingHolders.get(layer.chainId)) freed += layerDiskBytes(layer);
    }
    // There its size is what it takes on disk, with the untagged parents that go with it: a little
    // more than docker image ls shows (blocks, snapshot directories).
    const sizeBytes = containerd ? layerBytes + goes.slice(1).reduce((s, g) => s + ownContentBytes(g), 0) : layerBytes;
    return {
      image,
      sizeBytes,
      uniqueBytes: freed,
      sharedBytes: sizeBytes - freed,
      containers,
      dangling: image.tags.length === 0,
      unused: containers.length === 0,
      // Known only: the containerd store gives built images digests too, so there only a registry can tell.
      localOnly: isLocalOnly(image, snapshot.imageStore ?? 'classic'),
      intermediate: !named(image) && children.has(image.id),
      // There, too, layer sizes are unpacked snapshots, not the content the daemon counts in a size.
      exact: !containerd && boundariesKnown(image, index),
    };
  });
}

/** The images `docker image ls` lists: all but intermediate ones, unless a container uses one. */
export function listedImages(usage: readonly ImageUsage[]): ImageUsage[] {
  return usage.filter((u) => !u.intermediate || !u.unused);
}

/**
 * Bytes freed by deleting the images `removedIds`: each layer that no remaining image holds,
 * counted once however many removed images held it.
 */
export function layerBytesFreed(images: readonly Image[], removedIds: ReadonlySet<string>): number {
  const kept = new Set<string>();
  for (const image of images) {
    if (!removedIds.has(image.id)) for (const layer of image.layers) kept.add(layer.chainId);
  }
  const freed = new Map<string, number>();
  // On the containerd store an image that a remaining image is built on stays too, untagged (the daemon may still say it deleted it).
  const parents = new Set(images.filter((i) => !removedIds.has(i.id)).map((i) => i.parentId));
  let total = 0;
  for (const image of images) {
    if (!removedIds.has(image.id)) continue;
    if (!parents.has(image.id)) total += ownContentBytes(image);
    for (const layer of image.layers) if (!kept.has(layer.chainId)) freed.set(layer.chainId, layerDiskBytes(layer));
  }
  for (const size of freed.values()) total += size;
  return total;
}

/**
 * Bytes that removing the images `ids` (every reference of each, children first, never forced)
 * would free: what the daemon then deletes, parents it prunes included, and nothing an image
 * built on one of them, or a container, still holds.
 */
export function reclaimableBytes(snapshot: Snapshot, ids: ReadonlySet<string>): number {
  const replay = new RemovalReplay(snapshot);
  let freed = 0;
  for (const image of childrenFirst(snapshot.images.filter((i) => ids.has(i.id)), snapshot.images)) {
    // Every name, then the image: what docker image prune does. BuildKit's layers stay in its cache.
    freed += replay.apply(image, [...image.tags, ...image.digests, image.id].map(referenceOf)).bytes;
  }
  return freed;
}

/** Images ordered so that every image comes before the images it is built on. */
export function childrenFirst<T extends Image>(list: readonly T[], all: readonly Image[]): T[] {
  const parent = new Map(all.map((i) => [i.id, i.parentId]));
  const depths = new Map<string, number>();
  const depth = (id: string): number => {
    let d = depths.get(id);
    if (d !== undefined) return d;
    d = 0;
    for (let p = parent.get(id); p && d < 10_000; p = parent.get(p)) d++;
    depths.set(id, d);
    return d;
  };
  // A child holds all of its parent's layers: more layers, then a deeper parent chain, goes first.
  return [...list].sort((a, b) => b.layers.length - a.layers.length || depth(b.id) - depth(a.id) || (a.id < b.id ? -1 : 1));
}

/**
 * What a removal freed, by what the daemon answered: the layers of the images it says it deleted
 * that no remaining image holds, plus the writable layers and log files of the containers (by
 * name) it removed.
 */
export function reclaimedBytes(
  images: readonly Image[],
  deletedIds: ReadonlySet<string>,
  containers: readonly Container[],
  removedContainers: readonly string[],
): number {
  const removed = new Set(removedContainers);
  return layerBytesFreed(images, deletedIds) + containers.filter((c) => removed.has(c.name)).reduce((s, c) => s + containerBytes(c), 0);
}

/**
 * What the images take on disk: every distinct layer once, as `docker system df` shows it on the
 * classic store; on the containerd store each layer's snapshot and compressed blob once, and each
 * image's own manifest and config (what removing every image would free, but for what the build
 * cache holds too).
 */
export function imagesTotalBytes(snapshot: Snapshot): number {
  return totalLayerBytes(snapshot.images);
}

/** Bytes of every distinct layer of the images, and of their own content (containerd store). */
export function totalLayerBytes(images: readonly Image[]): number {
  let total = 0;
  for (const image of images) total += ownContentBytes(image);
  for (const { size } of indexLayers(images).values()) total += size;
  return total;
}

/** One row of `docker tidy df`. */
export interface UsageSection<Item> {
  total: number;
  active: number;
  sizeBytes: number;
  reclaimableBytes: number;
  /** False when some figure rests on data the daemon could not give exactly. */
  exact: boolean;
  items: Item[];
}

/** What `docker tidy df` shows. */
export interface DiskUsage {
  images: UsageSection<ImageUsage>;
  containers: UsageSection<Container>;
  volumes: UsageSection<Snapshot['volumes'][number]>;
  buildCache: UsageSection<Snapshot['buildCache'][number]>;
}

function keyOf(item: { id: string } | { name: string } | { image: { id: string } }): string {
  return 'image' in item ? item.image.id : 'id' in item ? item.id : item.name;
}

/** Computes df's four sections from a snapshot read with usage data. */
export function computeDiskUsage(snapshot: Snapshot): DiskUsage {
  const all = analyzeImages(snapshot);
  const imageUsage = listedImages(all);
  const unusedIds = new Set(imageUsage.filter((u) => u.unused).map((u) => u.image.id));
  // Largest first; ties in a fixed order (by ID or name), so that two runs print the same.
  const bySize = <T extends { id: string } | { name: string } | { image: { id: string } }>(items: T[], size: (t: T) => number): T[] =>
    [...items].sort((a, b) => size(b) - size(a) || (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const sum = <T>(items: readonly T[], size: (t: T) => number): number => items.reduce((s, t) => s + Math.max(0, size(t)), 0);

  const containers = snapshot.containers;
  const stopped = containers.filter((c) => !isActive(c));
  const volumes = snapshot.volumes;
  const cache = snapshot.buildCache;
  return {
    images: {
      total: imageUsage.length,
      active: imageUsage.filter((u) => !u.unused).length,
      sizeBytes: imagesTotalBytes(snapshot),
      reclaimableBytes: reclaimableBytes(snapshot, unusedIds),
      exact: all.every((u) => u.exact),
      items: bySize(imageUsage, (u) => u.sizeBytes),
    },
    containers: {
      total: containers.length,
      active: containers.length - stopped.length,
      sizeBytes: sum(containers, (c) => c.sizeRw),
      reclaimableBytes: sum(stopped, (c) => c.sizeRw),
      exact: containers.every((c) => c.sizeRw >= 0),
      items: bySize(containers, (c) => c.sizeRw),
    },
    volumes: {
      total: volumes.length,
      active: volumes.filter((v) => v.refCount > 0).length,
      sizeBytes: sum(volumes, (v) => v.size),
      reclaimableBytes: sum(
        volumes.filter((v) => v.refCount === 0),
        (v) => v.size,
      ),
      exact: volumes.every((v) => v.size >= 0),
      items: bySize(volumes, (v) => v.size),
    },
    buildCache: {
      total: cache.length,
      active: cache.filter((b) => b.inUse).length,
      // What the cache holds that no image holds too: docker counts shared records neither in size
      // nor reclaimable (classic store); on the containerd store a record holds more than that.
      sizeBytes: sum(cache, freeBytes),
      reclaimableBytes: sum(
        cache.filter((b) => !b.inUse),
        freeBytes,
      ),
      // On the containerd store which layer each record holds is matched, not given (build-cache.ts).
      exact: snapshot.imageStore !== 'containerd',
      items: bySize(cache, (b) => b.size),
    },
  };
}
