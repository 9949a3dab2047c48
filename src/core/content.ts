// Bytes of containerd's content store, per layer. On the containerd image store an image is its
// content (manifest, config and the compressed blob of each layer) plus its unpacked snapshots.
// The daemon reports each image's content total (image inspect's Size) but not its blobs one by
// one, and a blob is shared exactly as its chain's snapshot is (an image built on another names
// the same blobs). So each image's total less its own manifest and config is the sum of its
// layers' blobs. On the tree of chain IDs, a stretch of layers that ends where an image ends takes
// that image's total less what is above it: exact. A stretch that ends where images branch off
// with no image of its own (two versions of an app whose base image is not here) is fitted: each
// branch's first image gives its total against the unpacked bytes it adds, and a straight line
// through them (the branches' compression ratio) leaves the stretch's share where it crosses 0.
import type { Image } from './snapshot.js';
/** An OCI manifest's JSON is about this long, plus about this much per layer (pulled and built ones, engines 26 and 28.5). */
const MANIFEST_BASE_BYTES = 310;
const MANIFEST_LAYER_BYTES = 217;

/** The size of an image manifest with `layers` layers, where the daemon does not give it (image inspect before API 1.48). */
export function estimateManifestBytes(layers: number): number {
  return MANIFEST_BASE_BYTES + MANIFEST_LAYER_BYTES * layers;
}

/** A node of the tree of chain IDs: a layer, its unpacked bytes, the layers built on it and the images ending at it. */
interface Node {
  chainId: string;
  size: number;
  children: Node[];
  images: Image[];
  blob: number;
}

/**
 * Places the compressed blob bytes of every layer (`blob`) of the images with `content`, in place:
 * one value per chain ID, the same in every image holding it. Images without content (the
 * classic store) are left alone. `known` blobs (by chain ID, from the build cache's records) keep
 * their bytes within their stretch's, and the other layers of the stretch share the rest.
 */
export function placeBlobs(images: readonly Image[], known: ReadonlyMap<string, number> = new Map()): void {
  const withContent = images.filter((i) => i.content !== undefined);
  const root: Node = { chainId: '', size: 0, children: [], images: [], blob: 0 };
  const nodes = new Map<string, Node>();
  for (const image of withContent) {
    let parent = root;
    for (const layer of image.layers) {
      let node = nodes.get(layer.chainId);
      if (!node) {
        node = { chainId: layer.chainId, size: Math.max(0, layer.size), children: [], images: [], blob: 0 };
        nodes.set(layer.chainId, node);
        parent.children.push(node);
      }
      parent = node;
    }
    parent.images.push(image);
  }
  const rest = (image: Image): number => image.content!.total - image.content!.own;
  const pending: { start: Node; above: number }[] = root.children.map((start) => ({ start, above: 0 }));
  while (pending.length) {
    const { start, above } = pending.pop()!;
    // The stretch: down from `start` while nothing branches off and no image ends.
    const stretch = [start];
    for (let n = start; n.children.length === 1 && n.images.length === 0; ) stretch.push((n = n.children[0]!));
    const end = stretch[stretch.length - 1]!;
    // Where images branch off with no image of their own, blobs the build cache's records tell
    // are better than the fit (two --target images of one Dockerfile share such a layer).
    const told = stretch.every((n) => known.has(n.chainId)) ? sum(stretch.map((n) => known.get(n.chainId)!)) : undefined;
    const bytes = end.images.length
      ? Math.max(0, Math.round(mean(end.images.map(rest)) - above))
      : (told ?? fitShared(end.children, above, rest, sum(stretch.map((n) => n.size))));
    spread(stretch, bytes, known);
    for (const child of end.children) pending.push({ start: child, above: above + bytes });
  }
  for (const image of withContent) for (const layer of image.layers) layer.blob = nodes.get(layer.chainId)!.blob;
}

/**
 * The blob bytes of a stretch that ends where branches part with no image of its own: for each
 * branch, its nearest image's content left after `above`, against the unpacked bytes the branch
 * adds down to it; the line through those points crosses 0 unpacked bytes at the stretch's share.
 * With no spread to fit a slope, the branches' content is taken to compress as their unpacked
 * bytes add up (`stretchSize` with each branch's).
 */
function fitShared(branches: readonly Node[], above: number, rest: (image: Image) => number, stretchSize: number): number {
  const points = branches.map((branch) => {
    // The branch's first image: breadth first, so its path down adds the fewest layers.
    let level: { node: Node; added: number }[] = [{ node: branch, added: branch.size }];
    while (level.length) {
      const found = level.find((l) => l.node.images.length);
      if (found) return { added: found.added, left: rest(found.node.images[0]!) - above };
      level = level.flatMap((l) => l.node.children.map((c) => ({ node: c, added: l.added + c.size })));
    }
    return undefined;
  }).filter((p): p is { added: number; left: number } => p !== undefined);
  if (points.length === 0) return 0;
  const meanAdded = mean(points.map((p) => p.added));
  const meanLeft = mean(points.map((p) => p.left));
  const spreadAdded = sum(points.map((p) => (p.added - meanAdded) ** 2));
  // A slope needs branches that add different amounts (at least a tenth apart); a blob is at most
  // about as big as what it unpacks to.
  const fitted = points.length > 1 && Math.max(...points.map((p) => p.added)) - Math.min(...points.map((p) => p.added)) >= 0.1 * meanAdded;
  const ratio = fitted
    ? Math.min(1.1, Math.max(0.05, sum(points.map((p) => (p.added - meanAdded) * (p.left - meanLeft))) / spreadAdded))
    : sum(points.map((p) => p.left)) / Math.max(1, sum(points.map((p) => stretchSize + p.added)));
  return Math.round(Math.min(Math.min(...points.map((p) => p.left)), Math.max(0, meanLeft - ratio * meanAdded)));
}

/**
 * Gives a stretch's bytes to its layers: a known blob keeps its bytes (all known: each its share of
 * them), the others share what is left by their unpacked size (all to the last when they have none).
 */
function spread(stretch: readonly Node[], bytes: number, known: ReadonlyMap<string, number>): void {
  const fixed = stretch.filter((n) => known.has(n.chainId));
  const rest = stretch.filter((n) => !known.has(n.chainId));
  const knownBytes = sum(fixed.map((n) => known.get(n.chainId)!));
  const scale = rest.length === 0 || knownBytes > bytes ? bytes / Math.max(1, knownBytes) : 1;
  for (const node of fixed) node.blob = Math.floor(known.get(node.chainId)! * scale);
  const left = bytes - sum(fixed.map((n) => n.blob));
  const weight = sum(rest.map((n) => n.size));
  let given = 0;
  rest.forEach((node, i) => {
    node.blob = i === rest.length - 1 ? left - given : weight > 0 ? Math.floor((left * node.size) / weight) : 0;
    given += node.blob;
  });
  // All known: what rounding left goes to the last.
  if (rest.length === 0 && fixed.length) fixed[fixed.length - 1]!.blob += left;
}

const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
const mean = (xs: readonly number[]): number => (xs.length ? sum(xs) / xs.length : 0);

/**
 * The data root's block size: ext4's and xfs's default, and Docker Desktop's VM disk's. A blob
 * takes whole blocks, and a snapshot has three directories of one block each beside the files its
 * usage counts (its folder, work/ and work/work).
 */
export const BLOCK = 4096;
export const SNAPSHOT_DIRS = 3 * BLOCK;
export const blocks = (bytes: number): number => Math.ceil(Math.max(0, bytes) / BLOCK) * BLOCK;

/**
 * Bytes a layer takes on disk: its unpacked snapshot, and on the containerd store its snapshot's
 * directories and its compressed blob in whole blocks.
 */
export function layerDiskBytes(layer: { size: number; blob?: number }): number {
  return layer.blob === undefined ? layer.size : layer.size + SNAPSHOT_DIRS + blobDiskBytes(layer);
}

/** Bytes a layer's compressed blob takes on disk (containerd store; 0 elsewhere). */
export function blobDiskBytes(layer: { blob?: number }): number {
  return blocks(layer.blob ?? 0);
}

/**
 * Bytes an image's own content takes on disk (0 on the classic store): its manifest and config
 * blobs in whole blocks, and one more for the container configuration an image committed from a
 * container (the legacy builder's, with a parent) keeps beside its config.
 */
export function ownContentBytes(image: Image): number {
  if (!image.content) return 0;
  return blocks(image.content.own) + BLOCK + (image.parentId ? BLOCK : 0);
}
