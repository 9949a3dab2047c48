// Disk usage, layer-aware: what each image holds alone, what it shares, and what removing a set
// of images really frees (docker's own RECLAIMABLE counts shared layers as if they were free).
import { isActive, type Container, type Image, type Snapshot } from './snapshot.js';

/** An image with its layer accounting and the containers that use it. */
export interface ImageUsage {
  image: Image;
  /** Bytes of all its layers. */
  sizeBytes: number;
  /** Bytes in layers that no other image holds. */
  uniqueBytes: number;
  /** Bytes in layers that other images hold too. */
  sharedBytes: number;
  /** Containers in any state whose image is this image ID. */
  containers: Container[];
  /** No tag. */
  dangling: boolean;
  /** No container, in any state, uses this image ID. */
  unused: boolean;
  /** Tagged but never pushed or pulled (no RepoDigests): removing it loses it for good. */
  localOnly: boolean;
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
      if (!entry) {
        index.set(layer.chainId, { size: layer.size, holders: 1, known: layer.known });
        continue;
      }
      entry.holders += 1;
      entry.known &&= layer.known && entry.size === layer.size;
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

/** Per-image accounting for every image in the snapshot. */
export function analyzeImages(snapshot: Snapshot): ImageUsage[] {
  const index = indexLayers(snapshot.images);
  const containerd = snapshot.imageStore === 'containerd';
  const byImage = new Map<string, Container[]>();
  for (const c of snapshot.containers) {
    const list = byImage.get(c.imageId);
    if (list) list.push(c);
    else byImage.set(c.imageId, [c]);
  }
  return snapshot.images.map((image) => {
    let sizeBytes = 0;
    let sharedBytes = 0;
    for (const layer of image.layers) {
      sizeBytes += layer.size;
      if (index.get(layer.chainId)!.holders > 1) sharedBytes += layer.size;
    }
    const containers = byImage.get(image.id) ?? [];
    // On the containerd store the daemon's size also counts the image's compressed content, which
    // the layers (unpacked snapshots) do not: show its size, as docker image ls does, and count
    // the content as the image's own (docker system df -v does the same).
    if (containerd) sizeBytes = image.size;
    return {
      image,
      sizeBytes,
      uniqueBytes: sizeBytes - sharedBytes,
      sharedBytes,
      containers,
      dangling: image.tags.length === 0,
      unused: containers.length === 0,
      // The containerd store gives built images digests too: there, any tagged image may be the only copy.
      localOnly: image.tags.length > 0 && (image.digests.length === 0 || containerd),
      // There, too, layer sizes are unpacked snapshots, not the content the daemon counts in a size.
      exact: !containerd && boundariesKnown(image, index),
    };
  });
}

/**
 * Bytes freed by deleting the images `removedIds`: each layer that no remaining image holds,
 * counted once however many removed images held it.
 */
export function bytesFreedByDeleting(images: readonly Image[], removedIds: ReadonlySet<string>): number {
  const kept = new Set<string>();
  for (const image of images) {
    if (!removedIds.has(image.id)) for (const layer of image.layers) kept.add(layer.chainId);
  }
  const freed = new Map<string, number>();
  for (const image of images) {
    if (!removedIds.has(image.id)) continue;
    for (const layer of image.layers) if (!kept.has(layer.chainId)) freed.set(layer.chainId, layer.size);
  }
  let total = 0;
  for (const size of freed.values()) total += size;
  return total;
}

/**
 * What a removal freed, by what the daemon answered: the layers of the images it says it deleted
 * that no remaining image holds, plus the writable layers of the containers (by name) it removed.
 */
export function bytesFreedByRemoval(
  images: readonly Image[],
  deletedIds: ReadonlySet<string>,
  containers: readonly Container[],
  removedContainers: readonly string[],
): number {
  const removed = new Set(removedContainers);
  return bytesFreedByDeleting(images, deletedIds) + containers.filter((c) => removed.has(c.name)).reduce((s, c) => s + Math.max(0, c.sizeRw), 0);
}

/**
 * What the images take, as `docker system df` shows it: every distinct layer once. The containerd
 * store's snapshots include ones no image lists (containers' init layers, build steps): there the
 * daemon's own total is the only exact one.
 */
export function imagesTotalBytes(snapshot: Snapshot): number {
  return snapshot.imageStore === 'containerd' && snapshot.layersSize !== undefined ? snapshot.layersSize : totalLayerBytes(snapshot.images);
}

/** Bytes of every distinct layer of the images. */
export function totalLayerBytes(images: readonly Image[]): number {
  let total = 0;
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
  const imageUsage = analyzeImages(snapshot);
  const unusedIds = new Set(imageUsage.filter((u) => u.unused).map((u) => u.image.id));
  // Largest first; ties in a fixed order (by ID or name), so that two runs print the same.
  const bySize = <T extends { id: string } | { name: string } | { image: { id: string } }>(items: T[], size: (t: T) => number): T[] =>
    [...items].sort((a, b) => size(b) - size(a) || (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const sum = <T>(items: readonly T[], size: (t: T) => number): number => items.reduce((s, t) => s + Math.max(0, size(t)), 0);

  const containers = snapshot.containers;
  const stopped = containers.filter((c) => !isActive(c));
  const volumes = snapshot.volumes;
  const cache = snapshot.buildCache;
  const ownCache = cache.filter((b) => !b.shared);
  return {
    images: {
      total: snapshot.images.length,
      active: imageUsage.filter((u) => !u.unused).length,
      sizeBytes: imagesTotalBytes(snapshot),
      reclaimableBytes: bytesFreedByDeleting(snapshot.images, unusedIds),
      exact: imageUsage.every((u) => u.exact),
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
      // Shared records are held by images too: docker counts them neither in size nor reclaimable.
      sizeBytes: sum(ownCache, (b) => b.size),
      reclaimableBytes: sum(
        ownCache.filter((b) => !b.inUse),
        (b) => b.size,
      ),
      exact: true,
      items: bySize(cache, (b) => b.size),
    },
  };
}
