import { describe, expect, it } from 'vitest';
import { BUILDKIT_COMMENT, EMPTY_LAYER_DIFF_ID, fillFromKnown, buildKitStepsOf, pairHistoryWithLayers, shareKnownLayers } from '../../src/core/layers.js';

const h = (size: number, createdBy = '/bin/sh -c run') => ({ size, createdBy });

describe('pairHistoryWithLayers', () => {
  it('maps one entry per layer directly', () => {
    expect(pairHistoryWithLayers(['a', 'b'], [h(3), h(5)])).toEqual({ sizes: [5, 3], exact: true, determined: [true, true] });
  });

  it('skips metadata-only steps (legacy #(nop) and BuildKit forms)', () => {
    const history = [h(0, 'CMD ["sh"]'), h(7), h(0, '/bin/sh -c #(nop)  ENV X=1'), h(11, '')];
    expect(pairHistoryWithLayers(['a', 'b'], history)).toMatchObject({ sizes: [11, 7], exact: true });
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
    expect(pairHistoryWithLayers(['l1', 'l2', 'l3', 'l4'], history)).toMatchObject({ sizes: [4982284, 100000, 0, 0], exact: true });
  });

  it('uses the empty-layer diff ID to place a zero-byte layer', () => {
    // Entries oldest first: 5, 0, 3, 0 with three layers; the third layer is the empty tar.
    const history = [h(0), h(3), h(0), h(5)];
    expect(pairHistoryWithLayers(['a', 'b', EMPTY_LAYER_DIFF_ID], history)).toMatchObject({ sizes: [5, 3, 0], exact: true });
    expect(pairHistoryWithLayers(['a', EMPTY_LAYER_DIFF_ID, 'c'], history)).toMatchObject({ sizes: [5, 0, 3], exact: true });
  });

  it('on the containerd store, gives the empty layer the one block its history says', () => {
    // FROM base; RUN seq; COPY 600 kB; RUN true (changes nothing: the empty tar, history Size
    // 4096 on engines 26 and 28.5). Before, the pairing failed and the top layer took every byte.
    const history = [h(4096, 'RUN /bin/sh -c true # buildkit'), h(602112, 'COPY rnd.bin /opt/rnd.bin # buildkit'), h(12288, 'RUN /bin/sh -c seq 1 1000 > /s # buildkit'), h(3010560, '')];
    expect(pairHistoryWithLayers(['base', 'seq', 'copy', EMPTY_LAYER_DIFF_ID], history)).toMatchObject({ sizes: [3010560, 12288, 602112, 4096], exact: true });
  });

  it('puts the bytes of a stretch it cannot split on the stretch\'s last layer', () => {
    // Captured from engine 20.10 (myapp:1.0 in the test world): base, ENV, RUN mkdir (a 0-byte
    // layer), COPY, RUN head, LABEL, RUN true (no layer), CMD. Either zero-byte RUN could be the
    // layer, so the sizes of layers 2 and 3 are unknown; the bytes up to layers 1 and 4 are not.
    const history = [
      h(0, '/bin/sh -c #(nop)  CMD ["sleep" "100000"]'),
      h(0, '/bin/sh -c true'),
      h(0, '/bin/sh -c #(nop)  LABEL org.example.role=app'),
      h(250000, '/bin/sh -c head -c 250000 /dev/urandom > /app/data'),
      h(400000, '/bin/sh -c #(nop) COPY file:5665 in /app/app.bin '),
      h(0, '/bin/sh -c mkdir -p /app/logs'),
      h(0, '/bin/sh -c #(nop)  ENV APP_HOME=/app'),
      h(3482319, ''),
    ];
    expect(pairHistoryWithLayers(['a', 'b', 'c', 'd'], history)).toEqual({
      sizes: [3482319, 0, 0, 650000],
      exact: false,
      determined: [true, false, false, true],
    });
  });

  it('keeps the bytes but flags them when history has more sized entries than layers', () => {
    const result = pairHistoryWithLayers(['a'], [h(2), h(3)]);
    expect(result).toEqual({ sizes: [5], exact: false, determined: [true] });
  });
});

describe('shareKnownLayers', () => {
  const layer = (chainId: string, size: number, known: boolean) => ({ chainId, size, known });
  it("lets an intermediate image's history place what its child's could not", () => {
    // The child could not tell where RUN true (0 bytes) fell; the intermediate image of that step could.
    const child = { layers: [layer('a', 100, true), layer('b', 0, false), layer('c', 0, false), layer('d', 650, true)] };
    const step = { layers: [layer('a', 100, true), layer('b', 0, true), layer('c', 400, true)] };
    shareKnownLayers([child, step]);
    expect(child.layers).toEqual([layer('a', 100, true), layer('b', 0, true), layer('c', 400, true), layer('d', 250, true)]);
  });

  it('leaves an image alone when nothing more is known', () => {
    const only = { layers: [layer('a', 10, true), layer('b', 0, false), layer('c', 7, true)] };
    shareKnownLayers([only]);
    expect(only.layers).toEqual([layer('a', 10, true), layer('b', 0, false), layer('c', 7, true)]);
  });
});

describe('fillFromKnown', () => {
  it('gives an image without history its base layers from other images and the rest to its own top', () => {
    expect(fillFromKnown(['base', 'own'], 350, new Map([['base', 100]]))).toEqual([
      { chainId: 'base', size: 100, known: true },
      { chainId: 'own', size: 250, known: true },
    ]);
  });

  it('keeps the total on the top layer when nothing below is known', () => {
    expect(fillFromKnown(['x', 'y', 'z'], 90, new Map())).toEqual([
      { chainId: 'x', size: 0, known: false },
      { chainId: 'y', size: 0, known: false },
      { chainId: 'z', size: 90, known: true },
    ]);
  });

  it('does not trust known sizes that do not fit the image', () => {
    expect(fillFromKnown(['base', 'own'], 50, new Map([['base', 100]]))).toEqual([
      { chainId: 'base', size: 0, known: false },
      { chainId: 'own', size: 50, known: true },
    ]);
  });
});

describe('buildKitStepsOf', () => {
  it('names the step of each layer whose history entry BuildKit wrote', () => {
    const history = [
      { size: 300, createdBy: 'COPY site.bin /site.bin # buildkit', comment: BUILDKIT_COMMENT },
      { size: 200, createdBy: 'RUN /bin/sh -c head -c 200 /dev/urandom > /www', comment: BUILDKIT_COMMENT },
      { size: 0, createdBy: '/bin/sh -c #(nop)  CMD ["sh"]' },
      { size: 2800, createdBy: '', comment: 'Imported from -' },
    ];
    expect(buildKitStepsOf([2800, 200, 300], history)).toEqual([undefined, 'RUN /bin/sh -c head -c 200 /dev/urandom > /www', 'COPY site.bin /site.bin # buildkit']);
    // One layer of two steps' bytes: the last step that made it.
    expect(buildKitStepsOf([2800, 0, 500], history)).toEqual([undefined, undefined, 'COPY site.bin /site.bin # buildkit']);
  });
});
