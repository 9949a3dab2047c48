// Pairing an image's history with its layers, to get exact bytes per layer.
//
// `docker history` (GET /images/{id}/history) lists one entry per build step, newest first. Steps
// that made no layer (ENV, CMD, ...) have size 0, but so can a real layer (`RUN mkdir /x`, or a
// `RUN rm` that leaves only a whiteout). The non-zero entries are certainly layers, in order; the
// only question is which zero-size entries are the zero-size layers. We walk every placement that
// fits: where they all agree on the bytes up to a layer, that layer's cumulative size is known.

import { BLOCK } from './content.js';
import type { Layer } from './snapshot.js';

/** The diff ID of an empty layer (an empty tar): always 0 bytes. */
export const EMPTY_LAYER_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** One entry of an image's history, as the Engine API gives it. */
export interface HistoryEntry {
  size: number;
  createdBy: string;
  /** BuildKit marks the steps it ran "buildkit.dockerfile.v0". */
  comment?: string;
}

/** The history comment of a step BuildKit ran from a Dockerfile. */
export const BUILDKIT_COMMENT = 'buildkit.dockerfile.v0';

/** Per-layer bytes, base first, and whether the history pinned every layer's size down. */
export interface LayerSizes {
  sizes: number[];
  /** True when every layer's own size is known; false when some stretch's split is not. */
  exact: boolean;
  /** Per layer: whether the bytes up to and including it are known (always true for the top). */
  determined: boolean[];
}

// Build steps that only change the image's config: never a layer, whatever the builder.
const METADATA_STEP = /^(?:\/bin\/sh -c #\(nop\)\s*)?(ENV|CMD|LABEL|EXPOSE|ENTRYPOINT|USER|ARG|HEALTHCHECK|STOPSIGNAL|SHELL|VOLUME|ONBUILD|MAINTAINER)\b/;

/**
 * Sizes of the layers `diffIds` (base first) from `historyNewestFirst`.
 * Non-zero history entries map to layers in order; zero-size entries may or may not be layers.
 */
export function pairHistoryWithLayers(diffIds: readonly string[], historyNewestFirst: readonly HistoryEntry[]): LayerSizes {
  const entries = [...historyNewestFirst].reverse();
  const n = diffIds.length;
  if (n === 0) return { sizes: [], exact: entries.every((e) => e.size === 0), determined: [] };

  // Gaps: candidate zero-size layer entries between consecutive non-zero entries.
  const nonZero: number[] = [];
  const gaps: number[] = [0];
  for (const entry of entries) {
    if (entry.size > 0) {
      nonZero.push(entry.size);
      gaps.push(0);
    } else if (!METADATA_STEP.test(entry.createdBy.trim())) {
      gaps[gaps.length - 1]! += 1;
    }
  }
  const r = nonZero.length;
  const zeros = n - r;
  const isEmpty = diffIds.map((d) => d === EMPTY_LAYER_DIFF_ID);
  if (zeros < 0) return fallback(n, nonZero);

  // Whether layer `layer` can take the non-zero entry `a`: the empty layer (an empty tar) holds
  // nothing, but on the containerd store a step that changed nothing after another (RUN true)
  // has it with a history Size of 4096, its empty snapshot's one block (engines 26 and 28.5).
  const takes = (layer: number, a: number): boolean => !isEmpty[layer] || nonZero[a] === BLOCK;
  // feasible(a, used): the remaining zeros can be placed once `a` gaps are done and `used` zeros placed.
  const memo = new Map<string, boolean>();
  const feasible = (a: number, used: number): boolean => {
    const key = `${a}:${used}`;
    let ok = memo.get(key);
    if (ok !== undefined) return ok;
    ok = false;
    const pos = a + used;
    for (let t = 0; t <= Math.min(gaps[a]!, zeros - used) && !ok; t++) {
      // After the zeros, layer pos+t takes the next non-zero entry: the empty layer only one of
      // a block (the containerd store's usage of an empty snapshot).
      ok = a === r ? used + t === zeros : takes(pos + t, a) && feasible(a + 1, used + t);
    }
    memo.set(key, ok);
    return ok;
  };
  if (!feasible(0, 0)) return fallback(n, nonZero);

  // Walk every feasible placement at once: the bytes up to and including each layer (its
  // cumulative size) across all placements. Where they all agree, the chain's size is known.
  const prefix = [0];
  for (const size of nonZero) prefix.push(prefix[prefix.length - 1]! + size);
  const cumulative: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  const seen = new Set<string>();
  const walk = (a: number, used: number): void => {
    const key = `${a}:${used}`;
    if (seen.has(key)) return;
    seen.add(key);
    const pos = a + used;
    for (let t = 0; t <= Math.min(gaps[a]!, zeros - used); t++) {
      const valid = a === r ? used + t === zeros : takes(pos + t, a) && feasible(a + 1, used + t);
      if (!valid) continue;
      for (let i = 0; i < t; i++) cumulative[pos + i]!.add(prefix[a]!);
      if (a < r) {
        cumulative[pos + t]!.add(prefix[a + 1]!);
        walk(a + 1, used + t);
      }
    }
  };
  walk(0, 0);

  // Bytes of a stretch whose split is unknown go to the stretch's last layer, where the total is
  // known again: every figure that only needs cumulative sizes at known points stays exact.
  const sizes: number[] = [];
  let known = 0;
  let exact = true;
  for (let i = 0; i < n; i++) {
    const values = cumulative[i]!;
    if (values.size === 1) {
      const value = [...values][0]!;
      sizes.push(value - known);
      known = value;
    } else {
      sizes.push(0);
      exact = false;
    }
  }
  return { sizes, exact, determined: cumulative.map((v) => v.size === 1) };
}

// History and layers disagree (a daemon quirk we do not know): keep the bytes, flag them inexact.
function fallback(n: number, nonZero: number[]): LayerSizes {
  const sizes = new Array<number>(n).fill(0);
  const total = nonZero.reduce((s, x) => s + x, 0);
  sizes[n - 1] = total;
  return { sizes, exact: false, determined: sizes.map((_, i) => i === n - 1) };
}

/**
 * Per layer (sizes as paired above, base first): the BuildKit step that made it (its history's
 * CreatedBy), undefined when no BuildKit step did. Such a layer's bytes are also the build
 * cache's: when the image goes, they stay on disk in the cache until it is pruned. Layers of 0
 * bytes: undefined.
 */
export function buildKitStepsOf(sizes: readonly number[], historyNewestFirst: readonly HistoryEntry[]): (string | undefined)[] {
  const entries = [...historyNewestFirst].reverse().filter((e) => e.size > 0);
  let next = 0;
  return sizes.map((size) => {
    let covered = 0;
    let step: string | undefined;
    while (size > 0 && covered < size && next < entries.length) {
      const entry = entries[next]!;
      covered += entry.size;
      if (entry.comment === BUILDKIT_COMMENT) step = entry.createdBy;
      next += 1;
    }
    return step;
  });
}

/**
 * The layers of an image whose own history cannot say their bytes (an image without history, as
 * `docker load` of one made by other tools gives, or a history that does not fit its layers), on
 * the classic store, where an image's size is the sum of its layers: the bottom layers other
 * images pinned down (`known`, by chain ID) keep their sizes, and the rest of the image's size
 * goes to its top layer, which is then exact; layers in between are 0 and not known.
 */
export function fillFromKnown(chainIds: readonly string[], imageSize: number, known: ReadonlyMap<string, number>): Layer[] {
  const layers: Layer[] = [];
  let below = 0;
  for (const chainId of chainIds.slice(0, -1)) {
    const size = layers.every((l) => l.known) ? known.get(chainId) : undefined;
    layers.push({ chainId, size: size ?? 0, known: size !== undefined });
    below += size ?? 0;
  }
  const top = chainIds[chainIds.length - 1];
  if (top === undefined) return layers;
  if (below > imageSize) {
    // The known sizes do not fit this image: keep its total, on its top layer.
    for (const l of layers) Object.assign(l, { size: 0, known: false });
    below = 0;
  }
  layers.push({ chainId: top, size: imageSize - below, known: true });
  return layers;
}

/**
 * Shares what each image's history pinned down with every image holding the same layers (a chain
 * ID names a layer and everything below it, so the bytes up to it are the same in every image):
 * a legacy build's intermediate images often tell where a child's zero-byte steps fall. Classic
 * store only (there a layer's bytes are the same wherever it is used). Changes `images` in place.
 */
export function shareKnownLayers(images: readonly { layers: Layer[] }[]): void {
  const upTo = new Map<string, number>();
  for (const { layers } of images) {
    let total = 0;
    for (const layer of layers) {
      total += layer.size;
      if (layer.known) upTo.set(layer.chainId, total);
    }
  }
  for (const { layers } of images) {
    if (layers.every((l) => l.known)) continue;
    let before = 0;
    let stretch: Layer[] = [];
    for (const layer of layers) {
      const total = upTo.get(layer.chainId);
      if (total === undefined) {
        stretch.push(layer);
        continue;
      }
      // An unknown stretch's bytes sit on the first layer after it whose total is known.
      for (const l of stretch) Object.assign(l, { size: 0, known: false });
      Object.assign(layer, { size: total - before, known: true });
      before = total;
      stretch = [];
    }
  }
}
