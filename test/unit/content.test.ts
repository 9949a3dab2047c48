// The containerd store's compressed blobs, placed per layer from each image's content total
// (core/content.ts), and the bytes they take on disk.
import { describe, expect, it } from 'vitest';
import { layerDiskBytes, ownContentBytes, placeBlobs } from '../../src/core/content.js';
import type { Image } from '../../src/core/snapshot.js';
import { analyzeImages, computeDiskUsage, reclaimableBytes } from '../../src/core/usage.js';
import { container, image } from './builders.js';

/** An image on the containerd store: layers (chain ID, unpacked bytes), its content total and own manifest and config. */
function stored(n: string, layers: [string, number][], total: number, own = 1000, extra: Partial<Image> = {}): Image {
  return { ...image(`sha256:${n.repeat(64)}`, layers, { tags: [`img${n}:1`], ...extra }), content: { total, own } };
}
const blobs = (i: Image): number[] => i.layers.map((l) => l.blob!);

describe('placing compressed blobs on layers', () => {
  it('gives each stretch what the image ending it adds: exact along a chain', () => {
    const base = stored('1', [['a', 3000]], 1000 + 2000);
    const mid = stored('2', [['a', 3000], ['b', 500]], 1100 + 2000 + 400, 1100);
    const top = stored('3', [['a', 3000], ['b', 500], ['c', 900]], 1200 + 2000 + 400 + 700, 1200);
    placeBlobs([top, base, mid]);
    expect([blobs(base), blobs(mid), blobs(top)]).toEqual([[2000], [2000, 400], [2000, 400, 700]]);
  });

  it('fits a base no image holds from the branches: their compression ratio from what each adds', () => {
    // Two versions of an app on a base that is not here: the base's blob is 2,500 bytes of 4,000
    // unpacked; the apps' layers do not compress (300 and 600 bytes).
    const v1 = stored('1', [['base', 4000], ['v1', 300]], 1000 + 2500 + 300);
    const v2 = stored('2', [['base', 4000], ['v2', 600]], 1000 + 2500 + 600);
    placeBlobs([v1, v2]);
    expect([blobs(v1), blobs(v2)]).toEqual([[2500, 300], [2500, 600]]);
  });

  it('without a spread to fit, takes the branches to compress as their unpacked bytes add up', () => {
    const v1 = stored('1', [['base', 3000], ['v1', 1000]], 1000 + 2000);
    const v2 = stored('2', [['base', 3000], ['v2', 1000]], 1000 + 2000);
    placeBlobs([v1, v2]);
    expect(blobs(v1)).toEqual([1500, 500]);
    expect(blobs(v2)).toEqual([1500, 500]);
  });

  it('leaves the classic store alone', () => {
    const classic = image(`sha256:${'9'.repeat(64)}`, [['a', 100]]);
    placeBlobs([classic]);
    expect(classic.layers[0]!.blob).toBeUndefined();
    expect(layerDiskBytes(classic.layers[0]!)).toBe(100);
    expect(ownContentBytes(classic)).toBe(0);
  });
});

describe('bytes on disk on the containerd store', () => {
  it('counts blobs in whole blocks, three directories per snapshot, and manifest and config a block each at least', () => {
    expect(layerDiskBytes({ size: 8192, blob: 5000 })).toBe(8192 + 3 * 4096 + 8192);
    const committed = stored('1', [['a', 4096]], 1000 + 100, 1000, { parentId: `sha256:${'8'.repeat(64)}` });
    expect(ownContentBytes(committed)).toBe(4096 + 4096 + 4096);
  });

  it('what removing images frees counts shared content once, and content a used image holds not at all', () => {
    const base = stored('1', [['a', 3000]], 1000 + 2000);
    const app = stored('2', [['a', 3000], ['b', 500]], 1000 + 2000 + 400);
    const other = stored('3', [['a', 3000], ['c', 700]], 1000 + 2000 + 600);
    const images = [base, app, other];
    placeBlobs(images);
    const snapshot = { images, containers: [container('c1', app.id)], volumes: [], buildCache: [], imageStore: 'containerd' as const };
    const disk = (l: { size: number; blob?: number }): number => layerDiskBytes(l);
    // base's layer is held by app, which a container uses: base frees its manifest and config only.
    const [u1, u2, u3] = analyzeImages(snapshot);
    expect(u1!.uniqueBytes).toBe(ownContentBytes(base));
    expect(u2!.uniqueBytes).toBe(ownContentBytes(app) + disk(app.layers[1]!));
    expect(u3!.uniqueBytes).toBe(ownContentBytes(other) + disk(other.layers[1]!));
    expect(reclaimableBytes(snapshot, new Set([base.id, other.id]))).toBe(ownContentBytes(base) + ownContentBytes(other) + disk(other.layers[1]!));
    // SIZE: every snapshot and blob once, and every image's own content.
    const total = images.reduce((s, i) => s + ownContentBytes(i), 0) + disk(base.layers[0]!) + disk(app.layers[1]!) + disk(other.layers[1]!);
    expect(computeDiskUsage(snapshot).images.sizeBytes).toBe(total);
  });
});
