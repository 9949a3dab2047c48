// Pairing an image's history with its layers, to get exact bytes per layer.
//
// `docker history` (GET /images/{id}/history) lists one entry per build step, newest first. Steps
// that made no layer (ENV, CMD, ...) have size 0, but so can a real layer (`RUN mkdir /x`, or a
// `RUN rm` that leaves only a whiteout). The non-zero entries are certainly layers, in order; the
// only question is which zero-size entries are the zero-size layers. We walk every placement that
// fits: where they all agree on the bytes up to a layer, that layer's cumulative size is known.

/** The diff ID of an empty layer (an empty tar): always 0 bytes. */
export const EMPTY_LAYER_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** One entry of an image's history, as the Engine API gives it. */
export interface HistoryEntry {
  size: number;
  createdBy: string;
}

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

  // feasible(a, used): the remaining zeros can be placed once `a` gaps are done and `used` zeros placed.
  const memo = new Map<string, boolean>();
  const feasible = (a: number, used: number): boolean => {
    const key = `${a}:${used}`;
    let ok = memo.get(key);
    if (ok !== undefined) return ok;
    ok = false;
    const pos = a + used;
    for (let t = 0; t <= Math.min(gaps[a]!, zeros - used) && !ok; t++) {
      // After the zeros, layer pos+t takes the next non-zero entry: it cannot be the empty layer.
      ok = a === r ? used + t === zeros : !isEmpty[pos + t] && feasible(a + 1, used + t);
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
      const valid = a === r ? used + t === zeros : !isEmpty[pos + t] && feasible(a + 1, used + t);
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
