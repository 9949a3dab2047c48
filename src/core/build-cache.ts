// BuildKit's build cache and images share layers: a record is "Shared" while an image holds the
// same bytes. When such an image goes, its layers do not leave the disk: the records become the
// cache's own (docker system df moves them from Images to Build Cache) until the cache is pruned.
// Measured on engine 20.10: removing a BuildKit-built image dropped LayersSize by 500,000 bytes
// while the data root lost 5 kB, and its two records (200,000 and 300,000 bytes) turned unshared.
import { BLOCK, blocks, layerDiskBytes, placeBlobs, SNAPSHOT_DIRS } from './content.js';
import type { BuildCacheRecord, Image, Layer } from './snapshot.js';

/** A freed layer whose bytes stay in the build cache, and the record that holds them when known. */
export interface CachedLayer {
  bytes: number;
  record?: BuildCacheRecord;
}

/** Bytes on disk pruning `record` frees while the images stay. */
export function freeBytes(record: BuildCacheRecord): number {
  return record.free ?? (record.shared ? 0 : Math.max(0, record.size));
}

/** Bytes on disk `record` and an image hold together: they go once both do. */
export function heldBytes(record: BuildCacheRecord): number {
  return record.layer?.held ?? (record.shared ? Math.max(0, record.size) : 0);
}

/** Tells which freed image layers stay on disk in the build cache. */
export class SharedBuildCache {
  private readonly bySize = new Map<number, BuildCacheRecord[]>();
  private readonly byLayer = new Map<string, BuildCacheRecord>();

  /**
   * Only a layer a BuildKit step made (its history says so) is held by the cache. On the classic
   * store a shared record's size is its layer's size, byte for byte: such a layer takes the shared
   * record of its size (when its history was not read, the size alone decides). On the containerd
   * store each record names the layer it holds (attributeBuildCache).
   */
  constructor(
    records: readonly BuildCacheRecord[],
    private readonly store: 'classic' | 'containerd',
    /** False when the records could not be read: then every layer BuildKit made counts as held. */
    private readonly known = true,
  ) {
    for (const r of records) if (r.layer) this.byLayer.set(r.layer.chainId, r);
    const shared = records.filter((r) => r.shared && r.size > 0);
    for (const r of [...shared].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const list = this.bySize.get(r.size);
      if (list) list.push(r);
      else this.bySize.set(r.size, [r]);
    }
  }

  /** The bytes of `layer`, freed from the images, that the build cache keeps; undefined when none. */
  claim(layer: Layer): CachedLayer | undefined {
    if (this.store === 'containerd') {
      if (!this.known) return layer.buildkit === true && layer.blob ? { bytes: blocks(layer.blob) } : undefined;
      const record = this.byLayer.get(layer.chainId);
      return record ? { bytes: heldBytes(record), record } : undefined;
    }
    if (layer.size <= 0 || layer.buildkit === false) return undefined;
    if (!this.known) return layer.buildkit === true ? { bytes: layer.size } : undefined;
    const record = this.bySize.get(layer.size)?.shift();
    return record ? { bytes: layer.size, record } : undefined;
  }
}

// On the containerd store the build cache and the images share bytes in two ways, measured on
// engine 28.5 by pruning one record at a time and removing images, with du on the data root:
// - A build step's record is BuildKit's own snapshot plus the compressed blob of the layer it
//   made: its Size is the two added (a snapshot's usage is whole 4 KiB blocks, a blob's is not).
//   The image that has the layer holds the same blob and a snapshot of its own. Pruning the record
//   while the image stays frees the record's snapshot; removing the image frees its snapshot and
//   leaves the blob to the record, which frees it when pruned.
// - A base image's record (no description) is the blob of one of its layers (its Size, to the
//   byte) and holds that layer's snapshot too: it frees nothing while the image stays, and the
//   image frees nothing when it goes, until the record is pruned.
// The daemon says every record is Shared and names neither parents nor layers, so each record is
// matched to the layer it holds: a step's by the step its description names (the layer's history
// says the same step) and its size, a base's by its size against the layer's blob. A step's
// record, once matched, also tells the layer's blob (its Size less the layer's snapshot), which
// the image's content total alone cannot split among the layers of one build.

/** A base image's record: BuildKit gives it no description, or says where it pulled it from. */
function isBaseRecord(record: BuildCacheRecord): boolean {
  return record.description === '' || record.description.startsWith('pulled from ');
}

/**
 * The build step a record's description or a layer's history names, in one form: "[stage-1 2/3]
 * COPY --from=build /a /a" and "COPY /a /a # buildkit" are both "COPY /a /a"; "mount / from exec
 * /bin/sh -c make" and "RUN |1 V=2 /bin/sh -c make # buildkit" are both "RUN make". Pure.
 */
export function stepKey(text: string): string {
  let t = text
    .trim()
    .replace(/\s+# buildkit$/, '')
    .replace(/^\[[^\]]*\]\s+/, '')
    .replace(/^mount \/ from exec /, 'RUN ');
  const args = /^RUN \|(\d+) /.exec(t);
  if (args) t = 'RUN ' + t.slice(args[0].length).split(' ').slice(Number(args[1])).join(' ');
  t = t.replace(/^RUN \/bin\/sh -c /, 'RUN ');
  return t
    .split(/\s+/)
    .filter((word) => !word.startsWith('--'))
    .join(' ');
}

/** How far a record's size may be from what its layer gives when the step text does not say which it is. */
const SIZE_ONLY_TOLERANCE = 0.1;
/** How far a base record's size may be from its layer's blob as placed from the image's content total. */
const BASE_TOLERANCE = 0.5;

/**
 * The containerd store's build-cache records, each with what pruning it frees on disk while the
 * images stay (`free`) and, when an image holds part of it, that image layer and the bytes the
 * two hold together (`layer`); `shared` then says whether an image holds any. The layers' blobs
 * are placed again with what the matched records tell (changes `images` in place). Classic store:
 * the records as they are.
 */
export function attributeBuildCache(records: readonly BuildCacheRecord[], images: readonly Image[], store: 'classic' | 'containerd'): BuildCacheRecord[] {
  if (store !== 'containerd') return [...records];
  const layers = new Map<string, Layer>();
  for (const image of images) for (const l of image.layers) if (!layers.has(l.chainId) && (l.blob ?? 0) > 0) layers.set(l.chainId, l);
  const byStep = new Map<string, Layer[]>();
  for (const l of layers.values()) {
    if (!l.step) continue;
    const key = stepKey(l.step);
    const list = byStep.get(key);
    if (list) list.push(l);
    else byStep.set(key, [l]);
  }
  // Layers by what a record of theirs would measure: a base's blob, a step's snapshot and blob.
  const bases = sortedBy([...layers.values()].filter((l) => l.buildkit !== true), (l) => l.blob!);
  const steps = sortedBy([...layers.values()].filter((l) => l.buildkit !== false), (l) => l.size + l.blob!);
  const pairs: { record: number; layer: Layer; rank: number }[] = [];
  records.forEach((r, record) => {
    if (r.type !== 'regular' || r.size <= 0) return;
    if (isBaseRecord(r)) {
      for (const l of bases.within(r.size / (1 + BASE_TOLERANCE), r.size / (1 - BASE_TOLERANCE))) {
        pairs.push({ record, layer: l, rank: Math.abs(r.size - l.blob!) / l.blob! });
      }
      return;
    }
    // A snapshot alone (whole blocks) holds no blob: no image has what it made.
    if (r.size % BLOCK === 0) return;
    const error = (l: Layer): number => Math.abs(r.size - l.size - l.blob!) / (l.size + l.blob!);
    // Named by its step: any size a snapshot and a blob of it can add up to (BuildKit's snapshot
    // and the image's differ by a few blocks; a blob is at most about its snapshot's size); else
    // the size alone, closely.
    for (const l of byStep.get(stepKey(r.description)) ?? []) {
      if (r.size >= l.size - SNAPSHOT_DIRS && r.size <= 2.2 * l.size + SNAPSHOT_DIRS) pairs.push({ record, layer: l, rank: error(l) });
    }
    for (const l of steps.within(r.size / (1 + SIZE_ONLY_TOLERANCE), r.size / (1 - SIZE_ONLY_TOLERANCE))) {
      if (error(l) <= SIZE_ONLY_TOLERANCE) pairs.push({ record, layer: l, rank: 10 + error(l) });
    }
  });
  pairs.sort((a, b) => a.rank - b.rank || (records[a.record]!.id < records[b.record]!.id ? -1 : 1) || (a.layer.chainId < b.layer.chainId ? -1 : 1));
  const matched = new Map<number, Layer>();
  const taken = new Set<string>();
  for (const p of pairs) {
    if (matched.has(p.record) || taken.has(p.layer.chainId)) continue;
    matched.set(p.record, p.layer);
    taken.add(p.layer.chainId);
  }
  const known = new Map<string, number>();
  for (const [i, l] of matched) {
    const r = records[i]!;
    known.set(l.chainId, isBaseRecord(r) ? r.size : Math.max(0, r.size - l.size));
  }
  if (known.size) placeBlobs(images, known);
  return records.map((r, i) => {
    const l = matched.get(i);
    if (r.type !== 'regular') return r;
    if (!l) return { ...r, shared: false, free: blocks(r.size) + SNAPSHOT_DIRS };
    const blob = l.blob ?? 0;
    return isBaseRecord(r)
      ? { ...r, shared: true, free: 0, layer: { chainId: l.chainId, held: layerDiskBytes(l) } }
      : { ...r, shared: true, free: blocks(Math.max(0, r.size - blob)) + SNAPSHOT_DIRS, layer: { chainId: l.chainId, held: blocks(blob) } };
  });
}

/**
 * Bytes that moved from the images into the build cache between two reads of it: records shared
 * in `before` that are still there in `after`, and no longer shared.
 */
export function bytesMovedToBuildCache(before: readonly BuildCacheRecord[], after: readonly BuildCacheRecord[]): number {
  const now = new Map(after.map((r) => [r.id, r]));
  return before.reduce((sum, r) => {
    const later = now.get(r.id);
    return sum + (r.shared && later && !later.shared ? Math.max(0, later.size) : 0);
  }, 0);
}

/** Whether any build-cache record shares bytes with an image (only then can a removal move bytes into the cache). */
export function sharesWithImages(records: readonly BuildCacheRecord[]): boolean {
  return records.some((r) => r.shared && r.size > 0);
}

/** `items` sorted by `key`, and those whose key is within [lo, hi]. */
function sortedBy<T>(items: T[], key: (item: T) => number): { within: (lo: number, hi: number) => T[] } {
  const sorted = items.map((item) => ({ item, k: key(item) })).sort((a, b) => a.k - b.k);
  return {
    within(lo, hi) {
      let a = 0;
      for (let b = sorted.length; a < b; ) {
        const mid = (a + b) >> 1;
        if (sorted[mid]!.k < lo) a = mid + 1;
        else b = mid;
      }
      const found: T[] = [];
      for (let i = a; i < sorted.length && sorted[i]!.k <= hi; i++) found.push(sorted[i]!.item);
      return found;
    },
  };
}
