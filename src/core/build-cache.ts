// BuildKit's build cache and images share layers: a record is "Shared" while an image holds the
// same bytes. When such an image goes, its layers do not leave the disk: the records become the
// cache's own (docker system df moves them from Images to Build Cache) until the cache is pruned.
// Measured on engine 20.10: removing a BuildKit-built image dropped LayersSize by 500,000 bytes
// while the data root lost 5 kB, and its two records (200,000 and 300,000 bytes) turned unshared.
import { BLOCK, blocks, layerDiskBytes, placeBlobs, SNAPSHOT_DIRS } from './content.js';
import type { BuildCacheRecord, Image, Layer } from './snapshot.js';

/** A freed layer whose bytes stay in the build cache, and the records that hold them when known. */
export interface CachedLayer {
  bytes: number;
  records: BuildCacheRecord[];
}

/** Bytes on disk pruning `record` frees while the images stay. */
export function freeBytes(record: BuildCacheRecord): number {
  return record.free ?? (record.shared ? 0 : Math.max(0, record.size));
}

/** Bytes on disk `record` and an image hold together: they go once both do. */
export function heldBytes(record: BuildCacheRecord): number {
  const below = (record.below ?? []).reduce((s, b) => s + b.held, 0);
  return (record.layer?.held ?? (record.shared ? Math.max(0, record.size) : 0)) + below;
}

/** Tells which freed image layers stay on disk in the build cache. */
export class SharedBuildCache {
  private readonly bySize: Map<number, BuildCacheRecord[]>;
  private readonly byLayer: Map<string, { chainId: string; record: BuildCacheRecord; held: number }[]>;

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
    const holdings = records.flatMap((record) => [...(record.layer ? [record.layer] : []), ...(record.below ?? [])].map(({ chainId, held }) => ({ chainId, record, held })));
    this.byLayer = groupBy(holdings, (h) => h.chainId);
    const shared = records.filter((r) => r.shared && r.size > 0);
    this.bySize = groupBy([...shared].sort((a, b) => (a.id < b.id ? -1 : 1)), (r) => r.size);
  }

  /** The bytes of `layer`, freed from the images, that the build cache keeps; undefined when none. */
  claim(layer: Layer): CachedLayer | undefined {
    if (this.store === 'containerd') {
      if (!this.known) return layer.buildkit === true && layer.blob ? { bytes: blocks(layer.blob), records: [] } : undefined;
      const holders = this.byLayer.get(layer.chainId);
      return holders ? { bytes: holders.reduce((s, h) => s + h.held, 0), records: holders.map((h) => h.record) } : undefined;
    }
    if (layer.size <= 0 || layer.buildkit === false) return undefined;
    if (!this.known) return layer.buildkit === true ? { bytes: layer.size, records: [] } : undefined;
    const record = this.bySize.get(layer.size)?.shift();
    return record ? { bytes: layer.size, records: [record] } : undefined;
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
// The daemon says nearly every record is Shared and names neither parents nor layers, so each record is
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
/** How far (a factor) a base record's size may be from its layer's blob as placed from the image's content total. */
const BASE_RATIO = 2;

/**
 * The containerd store's build-cache records, each with what pruning it frees on disk while the
 * images stay (`free`) and, when an image holds part of it, that image layer and the bytes the
 * two hold together (`layer`); `shared` then says whether an image holds any. A layer can have
 * two: the record of the step that made it, and a base record of a build FROM its image (x4:1,
 * ENV-only FROM x1:1); and a record can hold the snapshots of the image below its layer
 * (`below`). The layers' blobs are placed again with what the matched records tell (changes
 * `images` in place). Classic store: the records as they are.
 */
export function attributeBuildCache(records: readonly BuildCacheRecord[], images: readonly Image[], store: 'classic' | 'containerd'): BuildCacheRecord[] {
  if (store !== 'containerd') return [...records];
  // Every layer with content, a blob placed at 0 too: a record can tell it better (a --target
  // image's own layer, on a stretch shared with another, was placed at 0).
  const layers = new Map<string, Layer>();
  for (const image of images) for (const l of image.layers) if (!layers.has(l.chainId) && l.blob !== undefined) layers.set(l.chainId, l);
  const regular = records.flatMap((r, i) => (r.type === 'regular' && r.size > 0 ? [i] : []));

  // The steps' records first: they tell the blobs of the layers they made.
  const stepOf = matchSteps(records, regular, layers);
  const known = new Map<string, number>();
  for (const [i, l] of stepOf) known.set(l.chainId, Math.max(0, records[i]!.size - l.size));
  if (known.size) placeBlobs(images, known);
  const parentOf = parentsOf(images);
  const baseOf = matchBases(records, regular, layers, images, parentOf, stepOf, known);
  const withBase = new Set([...baseOf.values()].map((l) => l.chainId));
  const below = snapshotsBelow(images, layers, parentOf, stepOf, baseOf, withBase);

  return records.map((r, i) => {
    if (r.type !== 'regular') return r;
    const base = baseOf.get(i);
    // A base's record holds the layer's blob and snapshot: nothing of it goes while the image stays.
    if (base) return { ...r, shared: true, free: 0, layer: { chainId: base.chainId, held: layerDiskBytes(base) }, ...(below.has(i) ? { below: below.get(i)! } : {}) };
    const step = stepOf.get(i);
    // No image has its layer any more. A base's record then holds that layer's snapshot besides
    // its blob, and no figure gives the snapshot's size: it is at least about the blob's (measured:
    // lb:1's, 704,512 beside a 702,027-byte blob of random bytes; text unpacks to two or three times).
    if (!step) return { ...r, shared: false, free: (isBaseRecord(r) ? 2 * blocks(r.size) : blocks(r.size)) + SNAPSHOT_DIRS };
    // A step's record holds the blob beside its own snapshot; when a base record holds the layer
    // too, the blob is counted with that one.
    const blob = step.blob ?? 0;
    return {
      ...r,
      shared: true,
      free: blocks(Math.max(0, r.size - blob)) + SNAPSHOT_DIRS,
      layer: { chainId: step.chainId, held: withBase.has(step.chainId) ? 0 : blocks(blob) },
      ...(below.has(i) ? { below: below.get(i)! } : {}),
    };
  });
}

/**
 * Each build step's record (by index in `records`) and the layer it made: by the step its
 * description names and its size, else by its size alone, closely.
 */
function matchSteps(records: readonly BuildCacheRecord[], regular: readonly number[], layers: ReadonlyMap<string, Layer>): Map<number, Layer> {
  // A snapshot alone (whole blocks) holds no blob: no image has what it made. Of twins (a step
  // built again with --no-cache that made the same bytes: same description, same size), the one
  // the daemon calls shared is the one an image holds.
  const twinShared = new Set(regular.filter((i) => records[i]!.shared).map((i) => `${records[i]!.size} ${records[i]!.description}`));
  const stepRecords = regular.filter((i) => {
    const r = records[i]!;
    return !isBaseRecord(r) && r.size % BLOCK !== 0 && (r.shared || !twinShared.has(`${r.size} ${r.description}`));
  });
  const expected = (l: Layer): number => l.size + l.blob!;
  const stepOf = new Map<number, Layer>();
  const taken = new Set<string>();
  const keep = (found: Map<number, Layer>): void => {
    for (const [i, l] of found) {
      stepOf.set(i, l);
      taken.add(l.chainId);
    }
  };
  // Named by its step: any size a snapshot and a blob of it can add up to (BuildKit's snapshot and
  // the image's differ by a few blocks; a blob is at most about its snapshot's size).
  const layersByStep = groupBy([...layers.values()], (l) => (l.step ? stepKey(l.step) : undefined));
  for (const [key, group] of groupBy(stepRecords, (i) => stepKey(records[i]!.description))) {
    const named = layersByStep.get(key);
    if (!named) continue;
    keep(
      closestPairs(
        group.map((index) => ({ index, value: records[index]!.size })),
        named.map((layer) => ({ layer, value: expected(layer) })),
        (i, l) => records[i]!.size >= l.size - SNAPSHOT_DIRS && records[i]!.size <= 2.2 * l.size + SNAPSHOT_DIRS,
      ),
    );
  }
  // Else the size alone, closely.
  keep(
    closestPairs(
      stepRecords.filter((i) => !stepOf.has(i)).map((index) => ({ index, value: records[index]!.size })),
      [...layers.values()].filter((l) => l.buildkit !== false && !taken.has(l.chainId)).map((layer) => ({ layer, value: expected(layer) })),
      (i, l) => Math.abs(records[i]!.size - expected(l)) <= SIZE_ONLY_TOLERANCE * expected(l),
    ),
  );
  return stepOf;
}

/**
 * Each base's record (by index in `records`) and the layer whose blob it is (its size, to the
 * byte). A build's base has a record for every layer of it: a layer is a base's only when the
 * layer below it is a base's or a step's too. Each round places the blobs again (into `known`,
 * and the images' layers) with what the records matched so far tell, which brings the other
 * layers of a base closer to theirs.
 */
function matchBases(
  records: readonly BuildCacheRecord[],
  regular: readonly number[],
  layers: ReadonlyMap<string, Layer>,
  images: readonly Image[],
  parentOf: ReadonlyMap<string, string | undefined>,
  stepOf: ReadonlyMap<number, Layer>,
  known: Map<string, number>,
): Map<number, Layer> {
  const stepSize = new Map([...stepOf].map(([i, l]) => [l.chainId, records[i]!.size] as const));
  const baseRecords = regular.filter((i) => isBaseRecord(records[i]!));
  const baseOf = new Map<number, Layer>();
  const taken = new Set<string>();
  const eligible = (l: Layer): boolean => {
    const parent = parentOf.get(l.chainId);
    return !taken.has(l.chainId) && (parent === undefined || taken.has(parent) || stepSize.has(parent));
  };
  for (let progress = baseRecords.length > 0; progress; ) {
    // A layer a step made, whose step's record is there, is a base's only when the base's record
    // has the very blob that step's record holds: the two sizes differ by whole blocks (BuildKit's
    // snapshot). Measured: x4:1, only ENV FROM x1:1, got base records for x1:1's ADD, COPY --link
    // and RUN true layers (29, 9,691 and 9,710 bytes; the steps' records 8,221, 1,668,571 and
    // 1,672,686), which then held x1:1's snapshots; svc:2, a RUN FROM svc:1, got none.
    const found = new Map<number, Layer>();
    const used = new Set<string>();
    const byResidue = groupBy(
      [...layers.values()].filter((l) => stepSize.has(l.chainId) && eligible(l)),
      (l) => stepSize.get(l.chainId)! % BLOCK,
    );
    for (const i of baseRecords) {
      const b = records[i]!.size;
      if (baseOf.has(i)) continue;
      const best = (byResidue.get(b % BLOCK) ?? [])
        .filter((l) => !used.has(l.chainId) && stepSize.get(l.chainId)! >= b)
        .sort((x, y) => Math.abs(x.blob! - b) - Math.abs(y.blob! - b) || (x.chainId < y.chainId ? -1 : 1))[0];
      if (!best) continue;
      found.set(i, best);
      used.add(best.chainId);
    }
    // Any other layer: by its blob as placed, within a factor of two.
    const others = closestPairs(
      baseRecords.filter((i) => !baseOf.has(i) && !found.has(i)).map((index) => ({ index, value: records[index]!.size })),
      [...layers.values()].filter((l) => !stepSize.has(l.chainId) && eligible(l)).map((layer) => ({ layer, value: layer.blob! })),
      (i, l) => l.blob! > 0 && records[i]!.size <= BASE_RATIO * l.blob! && l.blob! <= BASE_RATIO * records[i]!.size,
    );
    for (const [i, l] of others) found.set(i, l);
    for (const [i, l] of found) {
      baseOf.set(i, l);
      taken.add(l.chainId);
      if (!known.has(l.chainId)) known.set(l.chainId, records[i]!.size);
    }
    progress = found.size > 0;
    if (progress) placeBlobs(images, known);
  }
  return baseOf;
}

/**
 * The images' snapshots a record holds below its own layer (by index in `records`):
 * - A build FROM an image built here (svc:2 FROM svc:1) has no base records for the layers a step
 *   made: BuildKit takes them from its cache, and makes the first step's snapshot on the image's
 *   own snapshots, which then stay on disk until that step's record goes (measured on engine
 *   28.5: removing svc:1 after svc:2 freed nothing; pruning svc:2's step record then freed
 *   svc:1's two snapshots with its own). Such a step's layer sits on an image's top layer.
 * - A base's record sits on the image's snapshots below its layer, down to the next layer a
 *   base's record holds: it holds them too (x1:1's first two snapshots, under its ADD layer).
 * Each snapshot is counted with one record, and none a base's record holds as its own layer.
 */
function snapshotsBelow(
  images: readonly Image[],
  layers: ReadonlyMap<string, Layer>,
  parentOf: ReadonlyMap<string, string | undefined>,
  stepOf: ReadonlyMap<number, Layer>,
  baseOf: ReadonlyMap<number, Layer>,
  withBase: ReadonlySet<string>,
): Map<number, { chainId: string; held: number }[]> {
  const held = new Set(withBase);
  const below = new Map<number, { chainId: string; held: number }[]>();
  const hold = (record: number, layer: Layer): void => {
    if (held.has(layer.chainId)) return;
    held.add(layer.chainId);
    const list = below.get(record) ?? [];
    list.push({ chainId: layer.chainId, held: Math.max(0, layer.size) + SNAPSHOT_DIRS });
    below.set(record, list);
  };
  const tops = new Map<string, Image>();
  for (const image of images) {
    const top = image.layers[image.layers.length - 1];
    if (top && !tops.has(top.chainId)) tops.set(top.chainId, image);
  }
  const stepRecordOf = new Map([...stepOf].map(([i, l]) => [l.chainId, i] as const));
  for (const image of images) {
    image.layers.forEach((l, k) => {
      const record = stepRecordOf.get(l.chainId);
      const from = k > 0 ? tops.get(image.layers[k - 1]!.chainId) : undefined;
      if (record !== undefined && from) for (const q of from.layers) hold(record, q);
    });
  }
  for (const [i, l] of baseOf) {
    for (let p = parentOf.get(l.chainId); p !== undefined && !withBase.has(p); p = parentOf.get(p)) {
      const q = layers.get(p);
      if (q) hold(i, q);
    }
  }
  return below;
}

/** Each layer's parent (the layer below it), by chain ID. */
function parentsOf(images: readonly Image[]): Map<string, string | undefined> {
  const parentOf = new Map<string, string | undefined>();
  for (const image of images) image.layers.forEach((l, i) => parentOf.set(l.chainId, image.layers[i - 1]?.chainId));
  return parentOf;
}

/** `items` by `key`, in their order (an item whose key is undefined is in no group). */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K | undefined): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Pairs records with layers by how close their values are, the closest first, each in one pair at
 * most (`accept` refuses a pair). On a line the closest of the pairs left are always neighbours
 * in value order, so only neighbours are compared: O(n log n) where trying every pair was
 * quadratic (1,000 images of one Dockerfile, 3,000 records of the same steps: 39 ms, where every
 * pair took 4.7 s; 5,000 images: 317 ms).
 */
function closestPairs(
  records: readonly { index: number; value: number }[],
  layers: readonly { layer: Layer; value: number }[],
  accept: (index: number, layer: Layer) => boolean,
): Map<number, Layer> {
  const items = [
    ...records.map((r) => ({ record: r.index, layer: undefined as Layer | undefined, value: r.value, key: `r${r.index}` })),
    ...layers.map((l) => ({ record: -1, layer: l.layer as Layer | undefined, value: l.value, key: `l${l.layer.chainId}` })),
  ].sort((a, b) => a.value - b.value || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const n = items.length;
  const next = items.map((_, i) => i + 1);
  const prev = items.map((_, i) => i - 1);
  const alive = items.map(() => true);
  const heap = new MinHeap<[number, number, number]>((a, b) => a[0] - b[0] || a[1] - b[1]);
  const edge = (i: number, j: number): void => {
    if (i < 0 || j >= n || (items[i]!.layer === undefined) === (items[j]!.layer === undefined)) return;
    const [a, b] = [items[i]!.value, items[j]!.value];
    heap.push([Math.abs(a - b) / Math.max(1, a, b), i, j]);
  };
  for (let i = 0; i + 1 < n; i++) edge(i, i + 1);
  const found = new Map<number, Layer>();
  for (let top = heap.pop(); top; top = heap.pop()) {
    const [, i, j] = top;
    if (!alive[i] || !alive[j] || next[i] !== j) continue;
    const [record, layer] = items[i]!.layer ? [items[j]!, items[i]!] : [items[i]!, items[j]!];
    if (!accept(record.record, layer.layer!)) continue;
    found.set(record.record, layer.layer!);
    alive[i] = alive[j] = false;
    const [p, q] = [prev[i]!, next[j]!];
    if (p >= 0) next[p] = q;
    if (q < n) prev[q] = p;
    edge(p, q);
  }
  return found;
}

/** A binary heap, least first. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}
  push(item: T): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (this.less(a[i]!, a[parent]!) >= 0) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let least = i;
        if (l < a.length && this.less(a[l]!, a[least]!) < 0) least = l;
        if (r < a.length && this.less(a[r]!, a[least]!) < 0) least = r;
        if (least === i) break;
        [a[i], a[least]] = [a[least]!, a[i]!];
        i = least;
      }
    }
    return top;
  }
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
