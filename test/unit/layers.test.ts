import { describe, expect, it } from 'vitest';
import { EMPTY_LAYER_DIFF_ID, pairHistoryWithLayers } from '../../src/core/layers.js';

const h = (size: number, createdBy = '/bin/sh -c run') => ({ size, createdBy });

describe('pairHistoryWithLayers', () => {
  it('maps one entry per layer directly', () => {
    expect(pairHistoryWithLayers(['a', 'b'], [h(3), h(5)])).toEqual({ sizes: [5, 3], exact: true });
  });

  it('skips metadata-only steps (legacy #(nop) and BuildKit forms)', () => {
    const history = [h(0, 'CMD ["sh"]'), h(7), h(0, '/bin/sh -c #(nop)  ENV X=1'), h(11, '')];
    expect(pairHistoryWithLayers(['a', 'b'], history)).toEqual({ sizes: [11, 7], exact: true });
  });

  it('keeps a zero-byte layer in place when only one placement fits', () => {
    // Captured from engine 20.10: base, RUN head (100000 B), ENV, RUN mkdir (layer, 0 B),
    // RUN true (no layer), RUN rm (whiteout layer, 0 B).
    const history = [
      h(0, '/bin/sh -c rm /pad'),
      h(0, '/bin/sh -c true'),
      h(0, '/bin/sh -c mkdir /x'),
      h(0, '/bin/sh -c #(nop)  ENV X=1'),
      h(100000, '/bin/sh -c head -c 100000 /dev/urandom > /a'),
      h(4982284, ''),
    ];
    expect(pairHistoryWithLayers(['l1', 'l2', 'l3', 'l4'], history)).toEqual({ sizes: [4982284, 100000, 0, 0], exact: true });
  });

  it('uses the empty-layer diff ID to place a zero-byte layer', () => {
    // Entries oldest first: 5, 0, 3, 0 with three layers; the third layer is the empty tar.
    const history = [h(0), h(3), h(0), h(5)];
    expect(pairHistoryWithLayers(['a', 'b', EMPTY_LAYER_DIFF_ID], history)).toEqual({ sizes: [5, 3, 0], exact: true });
    expect(pairHistoryWithLayers(['a', EMPTY_LAYER_DIFF_ID, 'c'], history)).toEqual({ sizes: [5, 0, 3], exact: true });
  });

  it('flags an ambiguous placement as inexact', () => {
    const history = [h(0), h(3), h(0), h(5)];
    const result = pairHistoryWithLayers(['a', 'b', 'c'], history);
    expect(result.exact).toBe(false);
    expect(result.sizes.reduce((s, x) => s + x, 0)).toBe(8);
  });

  it('keeps the bytes but flags them when history has more sized entries than layers', () => {
    const result = pairHistoryWithLayers(['a'], [h(2), h(3)]);
    expect(result).toEqual({ sizes: [5], exact: false });
  });
});
