// Pairing an image's history with its layers, to get exact bytes per layer.
//
// `docker history` (GET /images/{id}/history) lists one entry per build step, newest first. Steps
// that made no layer (ENV, CMD, ...) have size 0, but so can a real layer (`RUN mkdir /x`, or a
// `RUN rm` that leaves only a whiteout). The non-zero entries are certainly layers, in order; the
// only question is which zero-size entries are the zero-size layers. We count the placements that
// fit; when more than one gives a different size sequence the result is flagged inexact.

/** The diff ID of an empty layer (an empty tar): always 0 bytes. */
export const EMPTY_LAYER_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** One entry of an image's history, as the Engine API gives it. */
export interface HistoryEntry {
  size: number;
  createdBy: string;
}

/** Per-layer bytes, base first, and whether the history pinned them down exactly. */
export interface LayerSizes {
  sizes: number[];
  exact: boolean;
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
  if (n === 0) return { sizes: [], exact: entries.every((e) => e.size === 0) };

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

  // ways[a][z]: ways to place the remaining zeros given `a` gaps done and `z` zeros used (capped at 2).
  const memo = new Map<string, { ways: number; choice: number }>();
  const solve = (a: number, used: number): number => {
    const key = `${a}:${used}`;
    const hit = memo.get(key);
    if (hit) return hit.ways;
    let ways = 0;
    let choice = -1;
    const pos = a + used; // index of the next layer to place
    const maxT = Math.min(gaps[a]!, zeros - used);
    for (let t = 0; t <= maxT; t++) {
      let w: number;
      if (a === r) {
        w = used + t === zeros ? 1 : 0;
      } else {
        // Layer pos+t gets the next non-zero entry: it cannot be the empty layer.
        w = isEmpty[pos + t] ? 0 : solve(a + 1, used + t);
      }
      if (w > 0 && choice < 0) choice = t;
      ways = Math.min(2, ways + w);
    }
    memo.set(key, { ways, choice });
    return ways;
  };
  const ways = solve(0, 0);
  if (ways === 0) return fallback(n, nonZero);

  const sizes: number[] = [];
  let used = 0;
  for (let a = 0; a <= r; a++) {
    const t = memo.get(`${a}:${used}`)!.choice;
    for (let i = 0; i < t; i++) sizes.push(0);
    used += t;
    if (a < r) sizes.push(nonZero[a]!);
  }
  return { sizes, exact: ways === 1 };
}

// History and layers disagree (a daemon quirk we do not know): keep the bytes, flag them inexact.
function fallback(n: number, nonZero: number[]): LayerSizes {
  const sizes = new Array<number>(n).fill(0);
  const total = nonZero.reduce((s, x) => s + x, 0);
  sizes[n - 1] = total;
  return { sizes, exact: false };
}
