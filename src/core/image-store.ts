// A model of the daemon's image store under removals, so that a plan knows what each removal
// really does. It follows moby's image delete rules (never forced, parents pruned), the same on
// both stores as measured on engines 20.10 and 26:
// - Removing a tag also removes the digests of its repository when no other tag of it remains.
// - An image goes when its last reference goes, unless a container uses it or a child image is
//   built on it: then it stays, untagged. Removing an image by ID with tags in one repository
//   removes them first; with references in several repositories the daemon refuses.
// - When an image goes, its parent goes too if nothing names or uses it and it has no other
//   child (legacy-builder intermediates), and so on up the chain.
// A layer is freed when the last image holding it goes. On the containerd store an image's own
// manifest and config go with it, and a layer's compressed blob with its snapshot.
import { layerDiskBytes, ownContentBytes } from './content.js';
import { repositoryOf, type Reference } from './reference.js';
import { SharedBuildCache } from './build-cache.js';
import type { BuildCacheRecord, Container, Image, Layer, Snapshot } from './snapshot.js';

/** What one reference removal did in the model. */
export interface RemovalEffect {
  /** Image IDs deleted: the image itself and any parents pruned with it. */
  deleted: string[];
  /** Bytes of the layers that no remaining image holds any more, and of the deleted images' own content. */
  freedBytes: number;
  /** Chain IDs of those layers. */
  freedLayers: string[];
  /** Why the daemon would refuse it, when it would. */
  refused?: string;
}

const isDigest = (name: string): boolean => name.includes('@');

/** The image store as a plan changes it, removal by removal. */
export class ImageStoreModel {
  private readonly images = new Map<string, Image>();
  private readonly refs = new Map<string, string[]>();
  private readonly children = new Map<string, Set<string>>();
  private readonly users = new Map<string, number>();
  private readonly holders = new Map<string, number>();
  private readonly layerSize = new Map<string, number>();

  constructor(images: readonly Image[], containers: readonly Container[]) {
    for (const image of images) {
      this.images.set(image.id, image);
      this.refs.set(image.id, [...image.tags, ...image.digests]);
      for (const layer of image.layers) {
        this.holders.set(layer.chainId, (this.holders.get(layer.chainId) ?? 0) + 1);
        if (!this.layerSize.has(layer.chainId)) this.layerSize.set(layer.chainId, layerDiskBytes(layer));
      }
    }
    for (const image of images) {
      if (image.parentId && this.images.has(image.parentId)) this.childrenOf(image.parentId).add(image.id);
    }
    for (const c of containers) this.users.set(c.imageId, (this.users.get(c.imageId) ?? 0) + 1);
  }

  /** Whether the image is still there. */
  has(id: string): boolean {
    return this.images.has(id);
  }

  /** The image's remaining tags and digests. */
  referencesOf(id: string): readonly string[] {
    return this.refs.get(id) ?? [];
  }

  /** The image IDs of the images built directly on this one that are still there. */
  childIds(id: string): string[] {
    return [...(this.children.get(id) ?? [])];
  }

  /** How many containers use the image. */
  usersOf(id: string): number {
    return this.users.get(id) ?? 0;
  }

  /** The container is gone: its image is free of it. */
  removeContainer(container: Container): void {
    const n = this.users.get(container.imageId) ?? 0;
    if (n > 1) this.users.set(container.imageId, n - 1);
    else this.users.delete(container.imageId);
  }

  /** What DELETE /images/{ref} does to image `id`; `ref` is one of its tags or digests, or its ID. */
  remove(id: string, reference: Reference): RemovalEffect {
    const none: RemovalEffect = { deleted: [], freedBytes: 0, freedLayers: [] };
    if (!this.images.has(id)) return none;
    const refs = this.refs.get(id)!;
    const ref = reference.name;
    if (reference.kind === 'id') {
      if (refs.length > 0 && !isSingleRepository(refs)) {
        return { ...none, refused: 'it is referenced in several repositories: remove its references one by one' };
      }
      const refusal = this.conflict(id);
      if (refusal) return { ...none, refused: refusal };
      refs.length = 0;
      return this.delete(id);
    }
    if (!refs.includes(ref)) return none;
    if (isSingleRepository(refs) && this.usersOf(id) > 0) {
      return { ...none, refused: 'a container uses it: its last name cannot be removed without force' };
    }
    const remaining = refs.filter((r) => r !== ref);
    // A tag's removal takes the digests of its repository along when no other tag of it remains.
    const repo = repositoryOf(ref);
    const lastTagOfRepo = !isDigest(ref) && !remaining.some((r) => !isDigest(r) && repositoryOf(r) === repo);
    this.refs.set(id, lastTagOfRepo ? remaining.filter((r) => !(isDigest(r) && repositoryOf(r) === repo)) : remaining);
    if (this.refs.get(id)!.length > 0 || this.conflict(id)) return none;
    return this.delete(id);
  }

  /**
   * Removes every tag and digest of the image, then the image unless something keeps it (as
   * `docker image prune` does, one reference at a time).
   */
  removeEverything(id: string): RemovalEffect {
    const none: RemovalEffect = { deleted: [], freedBytes: 0, freedLayers: [] };
    if (!this.images.has(id)) return none;
    if (this.usersOf(id) > 0) return { ...none, refused: 'a container uses it' };
    this.refs.set(id, []);
    return this.conflict(id) ? none : this.delete(id);
  }

  /** Why the image cannot go now (a container uses it, an image is built on it), if it cannot. */
  private conflict(id: string): string | undefined {
    const children = this.childIds(id);
    if (children.length) {
      const names = children.map((c) => this.nameOf(c)).join(', ');
      return children.length === 1 ? `image ${names} is built on it` : `images ${names} are built on it`;
    }
    if (this.usersOf(id) > 0) return 'a container uses it';
    return undefined;
  }

  private delete(id: string): RemovalEffect {
    const effect: RemovalEffect = { deleted: [], freedBytes: 0, freedLayers: [] };
    for (let current: string | undefined = id; current !== undefined; ) {
      const image: Image = this.images.get(current)!;
      this.images.delete(current);
      this.refs.delete(current);
      effect.deleted.push(current);
      effect.freedBytes += ownContentBytes(image);
      for (const layer of image.layers) {
        const n = (this.holders.get(layer.chainId) ?? 1) - 1;
        this.holders.set(layer.chainId, n);
        if (n === 0) {
          effect.freedBytes += this.layerSize.get(layer.chainId) ?? 0;
          effect.freedLayers.push(layer.chainId);
        }
      }
      const parent = image.parentId;
      this.children.get(parent)?.delete(current);
      // The parent is pruned when nothing names it, uses it, or is built on it any more.
      current =
        parent && this.images.has(parent) && this.refs.get(parent)!.length === 0 && this.conflict(parent) === undefined ? parent : undefined;
    }
    return effect;
  }

  private childrenOf(id: string): Set<string> {
    let set = this.children.get(id);
    if (!set) this.children.set(id, (set = new Set()));
    return set;
  }

  /** The first name of an image, or its short ID, for messages. */
  nameOf(id: string): string {
    const image = this.images.get(id);
    return image?.tags[0] ?? id.replace(/^sha256:/, '').slice(0, 12);
  }
}

// moby's isSingleReference: at most one tag, and every reference in one repository.
function isSingleRepository(refs: readonly string[]): boolean {
  if (refs.filter((r) => !isDigest(r)).length > 1) return false;
  return new Set(refs.map(repositoryOf)).size === 1;
}

/**
 * Replays reference removals in order on the image store model: what each deletes or only
 * untags, the bytes it frees, and those of them that stay on disk in the build cache.
 */
export class RemovalReplay {
  readonly model: ImageStoreModel;
  /** The build-cache records the removals so far leave as the cache's own (what they held with the images goes with them). */
  readonly cachedRecords: BuildCacheRecord[] = [];
  private readonly released = new Set<BuildCacheRecord>();
  private readonly cache: SharedBuildCache;
  private readonly layerOf: Map<string, Layer>;

  /** `containersGone`: removed before any image. */
  constructor(snapshot: Snapshot, containersGone: readonly Container[] = []) {
    this.model = new ImageStoreModel(snapshot.images, snapshot.containers);
    for (const c of containersGone) this.model.removeContainer(c);
    this.cache = new SharedBuildCache(snapshot.buildCache, snapshot.imageStore ?? 'classic', snapshot.buildCacheKnown !== false);
    this.layerOf = new Map(snapshot.images.flatMap((i) => i.layers.map((l) => [l.chainId, l] as const)));
  }

  /** Removes `refs` of `image` in order, stopping at the first the daemon would refuse. */
  apply(image: Image, refs: readonly Reference[]): { done: Reference[]; refused?: string; action: 'delete' | 'untag'; bytes: number; cachedBytes: number } {
    let freed = 0;
    let cachedBytes = 0;
    const done: Reference[] = [];
    for (const ref of refs) {
      const effect = this.model.remove(image.id, ref);
      if (effect.refused) return { done, refused: effect.refused, action: this.model.has(image.id) ? 'untag' : 'delete', bytes: freed - cachedBytes, cachedBytes };
      done.push(ref);
      freed += effect.freedBytes;
      for (const chainId of effect.freedLayers) {
        const cached = this.cache.claim(this.layerOf.get(chainId)!);
        if (!cached) continue;
        cachedBytes += cached.bytes;
        for (const r of cached.records) {
          if (this.released.has(r)) continue;
          this.released.add(r);
          this.cachedRecords.push(r);
        }
      }
    }
    return { done, action: this.model.has(image.id) ? 'untag' : 'delete', bytes: freed - cachedBytes, cachedBytes };
  }
}

