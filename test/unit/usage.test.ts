import { describe, expect, it } from 'vitest';
import type { Image, Snapshot } from '../../src/core/snapshot.js';
import { analyzeImages, layerBytesFreed, computeDiskUsage, totalLayerBytes } from '../../src/core/usage.js';
import { container, image } from './builders.js';

// base (100) <- app (100 + 20) used by a running container; tool (100 + 30) and old (100 + 30 + 5) unused.
const images = [
  image('base', [['c1', 100]]),
  image('app', [['c1', 100], ['c2', 20]]),
  image('tool', [['c1', 100], ['c3', 30]]),
  image('old', [['c1', 100], ['c3', 30], ['c4', 5]]),
];

describe('layerBytesFreed', () => {
  it('frees nothing for a layer another image still holds', () => {
    expect(layerBytesFreed(images, new Set(['base']))).toBe(0);
  });

  it('counts a layer held only by removed images once', () => {
    expect(layerBytesFreed(images, new Set(['tool', 'old']))).toBe(35);
  });

  it('frees everything when every image goes', () => {
    expect(layerBytesFreed(images, new Set(images.map((i) => i.id)))).toBe(totalLayerBytes(images));
    expect(totalLayerBytes(images)).toBe(155);
  });
});

describe('analyzeImages', () => {
  const snapshot: Snapshot = { images, containers: [container('web', 'app', 'running')], volumes: [], buildCache: [] };
  const byId = new Map(analyzeImages(snapshot).map((u) => [u.image.id, u]));

  it('splits each image into unique and shared bytes', () => {
    expect(byId.get('app')).toMatchObject({ sizeBytes: 120, sharedBytes: 100, uniqueBytes: 20 });
    expect(byId.get('old')).toMatchObject({ sizeBytes: 135, sharedBytes: 130, uniqueBytes: 5 });
  });

  it('marks images by the containers that use their ID', () => {
    expect(byId.get('app')!.unused).toBe(false);
    expect(byId.get('base')!.unused).toBe(true);
    expect(byId.get('app')!.containers.map((c) => c.name)).toEqual(['web']);
  });

  it('flags dangling and local-only images', () => {
    const s: Snapshot = {
      images: [image('a', [['x', 1]], { tags: [] }), image('b', [['y', 1]], { digests: ['b@sha256:1'] }), image('c', [['z', 1]])],
      containers: [],
      volumes: [],
      buildCache: [],
    };
    const [a, b, c] = analyzeImages(s);
    expect([a!.dangling, a!.localOnly]).toEqual([true, false]);
    expect([b!.dangling, b!.localOnly]).toEqual([false, false]);
    expect([c!.dangling, c!.localOnly]).toEqual([false, true]);
  });
});

describe('exactness', () => {
  // Two images share c1..c3; history could not split the bytes of c2 and c3 in the first image.
  const unsure = (known: boolean[]): Image => {
    const x = image('x', [['c1', 10], ['c2', 0], ['c3', 7]]);
    return { ...x, layers: x.layers.map((l, i) => ({ ...l, known: known[i]! })) };
  };
  const sibling = image('y', [['c1', 10], ['c2', 0], ['c3', 7], ['c4', 1]]);

  it('stays exact when the unknown split lies between points no figure needs', () => {
    const s: Snapshot = { images: [unsure([true, false, true]), sibling], containers: [], volumes: [], buildCache: [] };
    expect(analyzeImages(s).map((u) => u.exact)).toEqual([true, true]);
  });

  it('is inexact when another image ends inside the unknown stretch', () => {
    const short = image('z', [['c1', 10], ['c2', 0]]);
    const s: Snapshot = { images: [unsure([true, false, true]), short], containers: [], volumes: [], buildCache: [] };
    expect(analyzeImages(s).map((u) => u.exact)).toEqual([false, false]);
    expect(computeDiskUsage(s).images.exact).toBe(false);
  });

  it('is inexact when two images disagree on a shared layer size', () => {
    const other = image('w', [['c1', 11], ['c5', 1]]);
    const s: Snapshot = { images: [unsure([true, true, true]), other], containers: [], volumes: [], buildCache: [] };
    expect(computeDiskUsage(s).images.exact).toBe(false);
  });
});

describe('the containerd image store', () => {
  it('marks figures inexact, and an image local-only only when its registry said it has no copy', () => {
    const pulled = image('a', [['x', 1]], { tags: ['a:1'], digests: ['a@sha256:1'] });
    const s: Snapshot = { images: [pulled], containers: [], volumes: [], buildCache: [], imageStore: 'containerd' };
    expect(analyzeImages(s)[0]).toMatchObject({ localOnly: false, exact: false });
    expect(computeDiskUsage(s).images.exact).toBe(false);
    const asked = (copy: 'verified' | 'absent' | 'unknown'): boolean =>
      analyzeImages({ ...s, images: [{ ...pulled, remoteCopy: { copy, detail: '' } }] })[0]!.localOnly;
    expect([asked('verified'), asked('absent'), asked('unknown')]).toEqual([false, true, false]);
  });
});

describe('computeDiskUsage', () => {
  const snapshot: Snapshot = {
    images,
    containers: [container('web', 'app', 'running', 7), container('job', 'base', 'exited', 3)],
    volumes: [
      { name: 'data', driver: 'local', size: 50, refCount: 1, anonymous: false, labels: {} },
      { name: 'old', driver: 'local', size: 40, refCount: 0, anonymous: false, labels: {} },
    ],
    buildCache: [
      { id: 'a', type: 'regular', description: '', size: 10, inUse: false, shared: false, lastUsedAt: null, createdAt: 0 },
      { id: 'b', type: 'regular', description: '', size: 20, inUse: true, shared: false, lastUsedAt: null, createdAt: 0 },
      { id: 'c', type: 'source.local', description: '', size: 99, inUse: false, shared: true, lastUsedAt: null, createdAt: 0 },
    ],
  };
  const usage = computeDiskUsage(snapshot);

  it('counts reclaimable image bytes only in layers no used image holds', () => {
    // base and app are used; tool and old are not: c3 + c4 free 35, c1 is held by used images.
    expect(usage.images).toMatchObject({ total: 4, active: 2, sizeBytes: 155, reclaimableBytes: 35 });
  });

  it('counts stopped containers, unreferenced volumes and idle build cache', () => {
    expect(usage.containers).toMatchObject({ total: 2, active: 1, sizeBytes: 10, reclaimableBytes: 3 });
    expect(usage.volumes).toMatchObject({ total: 2, active: 1, sizeBytes: 90, reclaimableBytes: 40 });
    expect(usage.buildCache).toMatchObject({ total: 3, active: 1, sizeBytes: 30, reclaimableBytes: 10 });
  });
});
