import { describe, expect, it } from 'vitest';
import { labelsMatch, planPrune, type PruneRequest } from '../../src/core/plan-prune.js';
import type { BuildCacheRecord, Network, Snapshot, Volume } from '../../src/core/snapshot.js';
import { container, image } from './builders.js';

const request = (extra: Partial<PruneRequest> = {}): PruneRequest => ({
  containers: true,
  images: 'dangling',
  networks: true,
  volumes: 'none',
  buildCache: 'dangling',
  labels: [],
  exclude: [],
  includeLocal: false,
  save: false,
  ...extra,
});
const volume = (name: string, size: number, extra: Partial<Volume> = {}): Volume => ({
  name,
  driver: 'local',
  size,
  refCount: 0,
  anonymous: false,
  labels: {},
  ...extra,
});
const network = (name: string, extra: Partial<Network> = {}): Network => ({ id: `id-${name}`, name, driver: 'bridge', scope: 'local', created: 100, labels: {}, ...extra });
const cache = (id: string, size: number, extra: Partial<BuildCacheRecord> = {}): BuildCacheRecord => ({
  id,
  type: 'regular',
  description: '',
  size,
  inUse: false,
  shared: false,
  lastUsedAt: Date.UTC(2026, 0, 1) / 1000,
  createdAt: Date.UTC(2026, 0, 1) / 1000,
  ...extra,
});
const pulled = (id: string, layers: [string, number][], created = 0) => image(id, layers, { digests: [`${id}@sha256:${'0'.repeat(64)}`], created });

describe('planPrune', () => {
  it('removes a stopped container first, so the dangling image only it used goes too', () => {
    const snapshot: Snapshot = {
      images: [image('old', [['a', 10]], { tags: [] }), pulled('base', [['b', 5]])],
      containers: [{ ...container('pinned', 'old', 'created', 3), volumes: [] }],
      volumes: [],
      buildCache: [],
    };
    const swept = planPrune(snapshot, request());
    expect(swept.removal.containers.map((c) => c.name)).toEqual(['pinned']);
    expect(swept.removal.removals.map((r) => r.image.id)).toEqual(['old']);
    expect(swept.estimatedBytes).toBe(13);
    // Without the containers category the image stays in use, so it stays.
    expect(planPrune(snapshot, request({ containers: false })).removal.removals).toEqual([]);
  });

  it('never touches a running container, its image, its volumes or its networks', () => {
    const snapshot: Snapshot = {
      images: [pulled('app', [['a', 10]])],
      containers: [{ ...container('web', 'app', 'running', 7), volumes: ['data'], networks: ['net'] }],
      volumes: [volume('data', 100)],
      buildCache: [],
      networks: [network('net')],
    };
    const swept = planPrune(snapshot, request({ images: 'unused', volumes: 'all' }));
    expect([swept.removal.containers, swept.removal.removals, swept.volumes, swept.networks]).toEqual([[], [], [], []]);
    expect(swept.estimatedBytes).toBe(0);
  });

  it('volumes: anonymous ones with --volumes, named ones too with --all-volumes, a mounted one never unless its container goes', () => {
    const snapshot: Snapshot = {
      images: [pulled('x', [['a', 1]])],
      containers: [
        { ...container('stays', 'x', 'running'), volumes: ['named-used'] },
        { ...container('goes', 'x', 'exited'), volumes: ['anon-of-stopped'] },
      ],
      volumes: [volume('named-used', 1), volume('named-free', 20), volume('anon-free', 300, { anonymous: true }), volume('anon-of-stopped', 4000, { anonymous: true })],
      buildCache: [],
    };
    expect(planPrune(snapshot, request({ volumes: 'anonymous' })).volumes.map((v) => v.name)).toEqual(['anon-free', 'anon-of-stopped']);
    expect(planPrune(snapshot, request({ volumes: 'anonymous', containers: false })).volumes.map((v) => v.name)).toEqual(['anon-free']);
    const all = planPrune(snapshot, request({ volumes: 'all' }));
    expect(all.volumes.map((v) => v.name)).toEqual(['named-free', 'anon-free', 'anon-of-stopped']);
    expect(all.bytes.volumes).toBe(4320);
  });

  it('networks: never predefined ones, never one a remaining container is attached to', () => {
    const snapshot: Snapshot = {
      images: [pulled('x', [['a', 1]])],
      containers: [{ ...container('kept', 'x', 'exited'), networks: ['attached'] }],
      volumes: [],
      buildCache: [],
      networks: [network('bridge'), network('host'), network('none'), network('free'), network('attached'), network('swarm-net', { scope: 'swarm' })],
    };
    expect(planPrune(snapshot, request({ containers: false })).networks.map((n) => n.name)).toEqual(['free']);
    expect(planPrune(snapshot, request()).networks.map((n) => n.name)).toEqual(['free', 'attached']);
  });

  it('build cache: what docker builder prune takes without -a, all unused records with it, never one in use; shared records free nothing', () => {
    const snapshot: Snapshot = {
      images: [],
      containers: [],
      volumes: [],
      buildCache: [cache('r', 10), cache('i', 20, { type: 'internal' }), cache('f', 40, { type: 'frontend' }), cache('s', 80, { shared: true }), cache('u', 160, { inUse: true })],
    };
    const dangling = planPrune(snapshot, request());
    expect(dangling.buildCache.map((b) => b.id)).toEqual(['r']);
    const all = planPrune(snapshot, request({ buildCache: 'all' }));
    expect(all.buildCache.map((b) => b.id)).toEqual(['r', 'i', 'f', 's']);
    expect(all.bytes.buildCache).toBe(70);
  });

  it('--until: containers by when they stopped, images by when they were last used', () => {
    const snapshot: Snapshot = {
      images: [pulled('recent', [['a', 1]], 10), pulled('stale', [['b', 2]], 10), pulled('retagged', [['c', 4]], 10)],
      containers: [
        { ...container('stopped-long-ago', 'stale', 'exited'), finishedAt: 100 },
        { ...container('stopped-just-now', 'recent', 'exited'), finishedAt: 5000 },
      ],
      volumes: [],
      buildCache: [],
    };
    snapshot.images[2]!.lastTagged = 6000;
    const swept = planPrune(snapshot, request({ images: 'unused', until: 1000, includeLocal: true }));
    expect(swept.removal.containers.map((c) => c.name)).toEqual(['stopped-long-ago']);
    expect(swept.removal.removals.map((r) => r.image.id)).toEqual(['stale']);
  });

  it('label filters: label=, label!=, with and without a value', () => {
    expect(labelsMatch({ a: '1' }, [{ key: 'a', negate: false }])).toBe(true);
    expect(labelsMatch({ a: '1' }, [{ key: 'a', value: '2', negate: false }])).toBe(false);
    expect(labelsMatch({ a: '1' }, [{ key: 'a', value: '1', negate: true }])).toBe(false);
    expect(labelsMatch({}, [{ key: 'a', negate: true }])).toBe(true);
    expect(labelsMatch(undefined, [{ key: 'a', negate: false }])).toBe(false);
    const snapshot: Snapshot = { images: [], containers: [], volumes: [], buildCache: [cache('r', 1)] };
    const swept = planPrune(snapshot, request({ labels: [{ key: 'a', negate: false }] }));
    expect(swept.buildCache).toEqual([]);
    expect(swept.notes[0]).toMatch(/build-cache records have no labels/);
  });

  describe('--keep-under', () => {
    // Three unused images sharing a base layer, used at 100, 200 and 300; one image in use.
    const snapshot = (): Snapshot => ({
      images: [
        pulled('first', [['base', 50], ['f', 10]]),
        pulled('second', [['base', 50], ['s', 20]]),
        pulled('third', [['t', 40]]),
        pulled('busy', [['busy', 1000]]),
      ],
      containers: [
        { ...container('c1', 'first', 'exited'), finishedAt: 100 },
        { ...container('c2', 'second', 'exited'), finishedAt: 200 },
        { ...container('c3', 'third', 'exited'), finishedAt: 300 },
        container('web', 'busy', 'running'),
      ],
      volumes: [],
      buildCache: [],
    });

    it('removes least recently used first and stops as soon as the limit is reached', () => {
      // Total 1120. Removing "first" frees 10 (base is shared): 1110; then "second" frees 70: 1040.
      const swept = planPrune(snapshot(), request({ keepUnder: 1100 }));
      expect(swept.keepUnder!.steps.map((s) => [s.id, s.freedBytes])).toEqual([
        ['first', 10],
        ['second', 70],
      ]);
      expect(swept.keepUnder!).toMatchObject({ beforeBytes: 1120, afterBytes: 1040, shortByBytes: 0 });
      expect(swept.bytes.images).toBe(80);
      expect(planPrune(snapshot(), request({ keepUnder: 1120 })).removal.removals).toEqual([]);
      // Under the limit already: nothing goes, and no image is listed as kept for a reason of its own.
      const local = (): Snapshot => ({ ...snapshot(), images: snapshot().images.map((i) => ({ ...i, digests: [] })) });
      expect(planPrune(local(), request({ images: 'unused', keepUnder: 1100 })).removal.kept.length).toBeGreaterThan(0);
      expect(planPrune(local(), request({ images: 'unused', keepUnder: 1120 })).removal.kept).toEqual([]);
    });

    it('ranks images by when their containers stopped, also when the sweep removes those containers', () => {
      const world: Snapshot = {
        images: [pulled('a', [['la', 10]]), pulled('b', [['lb', 20]]), pulled('c', [['lc', 40]]), pulled('busy', [['busy', 1000]])],
        containers: [
          { ...container('ca', 'a', 'exited'), finishedAt: 300 },
          { ...container('cb', 'b', 'exited'), finishedAt: 100 },
          { ...container('cc', 'c', 'exited'), finishedAt: 200 },
          container('web', 'busy', 'running'),
        ],
        volumes: [],
        buildCache: [],
      };
      // 1070 in all; b was used longest ago (20 freed: 1050), then c (40: 1010). a, used last, stays.
      const swept = planPrune(world, request({ images: 'unused', keepUnder: 1040 }));
      expect(swept.removal.containers.map((c) => c.name).sort()).toEqual(['ca', 'cb', 'cc']);
      expect(swept.keepUnder!.steps.map((s) => [s.id, s.lastUsed])).toEqual([
        ['b', 100],
        ['c', 200],
      ]);
      expect(swept.removal.removals.map((r) => r.image.id).sort()).toEqual(['b', 'c']);
    });

    it('removes no image that frees nothing towards the limit, unless a later removal needs it gone', () => {
      const world: Snapshot = {
        images: [
          // Its one layer is the running image's too: removing it frees nothing.
          pulled('idle', [['held', 100]], 1),
          // Two images of one layer: the first removal frees nothing, the second the layer.
          pulled('twin1', [['both', 60]], 2),
          pulled('twin2', [['both', 60]], 3),
          pulled('busy', [['held', 100], ['own', 900]], 0),
          // Untagged, and its layer is the running image's too: it goes as prune's own, losing nothing.
          image('leftover', [['held', 100]], { tags: [], digests: [], created: 1 }),
        ],
        containers: [container('web', 'busy', 'running')],
        volumes: [],
        buildCache: [],
      };
      // 1060 in all; under 1000 needs the twins' layer.
      const swept = planPrune(world, request({ images: 'unused', keepUnder: 1000 }));
      expect(swept.removal.removals.map((r) => r.image.id).sort()).toEqual(['leftover', 'twin1', 'twin2']);
      expect(swept.keepUnder!.steps.map((s) => s.id)).toEqual(['leftover', 'twin1', 'twin2']);
      expect(swept.keepUnder).toMatchObject({ afterBytes: 1000, shortByBytes: 0 });
      expect(swept.bytes.images).toBe(60);
    });

    it('on the containerd store, lists no image it did not need as kept for its unasked registry; one it would have needed, it does', () => {
      const s = (): Snapshot => ({ ...snapshot(), imageStore: 'containerd' });
      // The registries of first and second were asked (they go); third's was not: not needed.
      const asked = (): Snapshot => {
        const world = s();
        for (const i of world.images) if (i.id === 'first' || i.id === 'second') i.remoteCopy = { copy: 'verified', detail: 'asked' };
        return world;
      };
      const reached = planPrune(asked(), request({ images: 'unused', keepUnder: 1100 }));
      expect(reached.removal.removals.map((r) => r.image.id)).toEqual(['first', 'second']);
      expect(reached.removal.kept.map((k) => k.image.id)).not.toContain('third');
      // Short of the limit, third could have helped: it is kept, and says why.
      const short = planPrune(asked(), request({ images: 'unused', keepUnder: 500 }));
      expect(short.removal.kept.find((k) => k.image.id === 'third')?.reason).toMatch(/its registry was not asked/);
      // Without --keep-under nothing changes: kept, with the reason.
      expect(planPrune(asked(), request({ images: 'unused' })).removal.kept.find((k) => k.image.id === 'third')?.reason).toMatch(/its registry was not asked/);
    });

    it('says by how much it falls short when images in use keep it above the limit', () => {
      const swept = planPrune(snapshot(), request({ keepUnder: 500 }));
      expect(swept.removal.removals.map((r) => r.image.id).sort()).toEqual(['first', 'second', 'third']);
      expect(swept.keepUnder!).toMatchObject({ afterBytes: 1000, shortByBytes: 500 });
    });
  });
});
