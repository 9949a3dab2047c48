// The image store model against the rules moby applies, and what plans built on it say, on the
// shapes real hosts have: legacy-builder chains with intermediate images, a container made from
// an intermediate image's ID, digests in several repositories, parents whose children stay.
import { describe, expect, it } from 'vitest';
import { ImageStoreModel } from '../../src/core/image-store.js';
import { referenceOf } from '../../src/core/reference.js';
import { planPrune, type PruneRequest } from '../../src/core/plan-prune.js';
import { planRemoval, referencesToDelete, type RemovalRequest } from '../../src/core/plan-removal.js';
import { attributeBuildCache, bytesMovedToBuildCache } from '../../src/core/build-cache.js';
import { ownContentBytes, placeBlobs } from '../../src/core/content.js';
import type { BuildCacheRecord, Image, Snapshot } from '../../src/core/snapshot.js';
import { analyzeImages, computeDiskUsage } from '../../src/core/usage.js';
import { container, image } from './builders.js';

const id = (c: string): string => 'sha256:' + c.repeat(64).slice(0, 64);
const request = (r: Partial<RemovalRequest>): RemovalRequest => ({
  images: [],
  match: [],
  filter: {},
  exclude: [],
  withContainers: false,
  includeLocal: true,
  save: false,
  ...r,
});
const snapshot = (images: Image[], containers = [] as ReturnType<typeof container>[]): Snapshot => ({ images, containers, volumes: [], buildCache: [] });

// A legacy build: base (pulled) <- i1 <- i2 (intermediate, nameless) <- app:1; the base frees 100
// bytes, each step adds its own layer.
const base = image(id('a'), [['l1', 100]], { tags: ['base:1'], digests: [`base@${id('d')}`] });
const i1 = image(id('b'), [['l1', 100], ['l2', 10]], { tags: [], parentId: id('a') });
const i2 = image(id('c'), [['l1', 100], ['l2', 10], ['l3', 20]], { tags: [], parentId: id('b') });
const app = image(id('e'), [['l1', 100], ['l2', 10], ['l3', 20], ['l4', 40]], { tags: ['app:1'], parentId: id('c') });
const chain = [base, i1, i2, app];

describe('ImageStoreModel', () => {
  it('deletes the nameless parents with the image built on them, and frees their layers', () => {
    const model = new ImageStoreModel(chain, []);
    const effect = model.remove(app.id, referenceOf('app:1'));
    expect(effect.deleted).toEqual([app.id, i2.id, i1.id]);
    expect(effect.freedBytes).toBe(70);
    expect(model.has(base.id)).toBe(true);
  });

  it('stops at an intermediate image a container was made from: its layers stay', () => {
    const model = new ImageStoreModel(chain, [container('from-i1', i1.id, 'exited')]);
    const effect = model.remove(app.id, referenceOf('app:1'));
    expect(effect.deleted).toEqual([app.id, i2.id]);
    expect(effect.freedBytes).toBe(60);
  });

  it('only untags a parent while an image built on it stays', () => {
    const model = new ImageStoreModel([base, image(id('f'), [['l1', 100], ['x', 1]], { tags: ['child:1'], parentId: base.id })], []);
    expect(model.remove(base.id, referenceOf('base:1'))).toMatchObject({ deleted: [], freedBytes: 0 });
    // The digest of the repository went with its last tag; the data stays for the child.
    expect(model.referencesOf(base.id)).toEqual([]);
    expect(model.has(base.id)).toBe(true);
  });

  it('keeps an image alive while a digest of another repository names it', () => {
    const two = image(id('9'), [['z', 5]], { tags: ['foo:1'], digests: [`foo@${id('1')}`, `bar@${id('2')}`] });
    const model = new ImageStoreModel([two], []);
    expect(model.remove(two.id, referenceOf('foo:1'))).toMatchObject({ deleted: [] });
    expect(model.referencesOf(two.id)).toEqual([`bar@${id('2')}`]);
    expect(model.remove(two.id, referenceOf(`bar@${id('2')}`))).toMatchObject({ deleted: [two.id], freedBytes: 5 });
  });

  it('refuses an image ID with references in several repositories, as the daemon does', () => {
    const dangling = image(id('8'), [['z', 5]], { tags: [], digests: [`foo@${id('1')}`, `bar@${id('2')}`] });
    expect(new ImageStoreModel([dangling], []).remove(dangling.id, referenceOf(dangling.id)).refused).toMatch(/several repositories/);
    expect(referencesToDelete(dangling).map((r) => r.name)).toEqual([`foo@${id('1')}`, `bar@${id('2')}`]);
  });
});

describe('plans on intermediate images', () => {
  it('counts an image a container made from an intermediate ID uses, and what it holds', () => {
    const s = snapshot(chain, [container('from-i1', i1.id, 'exited')]);
    const usage = computeDiskUsage(s);
    // i1 is listed because a container uses it; i2 stays hidden, as docker image ls hides it.
    expect(usage.images.total).toBe(3);
    expect(usage.images.active).toBe(1);
    // Removing every unused image: app and i2 go (60), i1 stays for its container, base for i1.
    expect(usage.images.reclaimableBytes).toBe(60);
    const byId = new Map(analyzeImages(s).map((u) => [u.image.id, u]));
    expect(byId.get(app.id)).toMatchObject({ uniqueBytes: 60, sharedBytes: 110 });
    expect(byId.get(i2.id)).toMatchObject({ intermediate: true, unused: true });
  });

  it('plans the removal of an image built on intermediates with the bytes its parents free', () => {
    const plan = planRemoval(snapshot(chain), request({ images: ['app:1'] }));
    expect(plan.removals.map((r) => [r.action, r.refs.map((x) => x.name), r.bytes])).toEqual([['delete', ['app:1'], 70]]);
  });

  it('finds an intermediate image by its ID, and keeps it while an image is built on it', () => {
    const plan = planRemoval(snapshot(chain), request({ images: [i2.id.slice(7, 19)] }));
    expect(plan.removals).toEqual([]);
    expect(plan.kept.map((k) => k.reason)).toEqual(['docker would refuse: image app:1 is built on it']);
  });

  it('plans a parent whose child stays as an untag when asked by name, and keeps it when only a filter chose it', () => {
    const child = image(id('f'), [['l1', 100], ['x', 1]], { tags: ['child:1'], parentId: base.id });
    const s = snapshot([base, child], [container('c', child.id, 'running')]);
    expect(planRemoval(s, request({ images: ['base:1'] })).removals.map((r) => [r.action, r.bytes])).toEqual([['untag', 0]]);
    const unused = planRemoval(s, request({ filter: { unused: true } }));
    expect(unused.removals).toEqual([]);
    expect(unused.kept[0]!.reason).toMatch(/^image child:1 is built on it and stays/);
  });

  it('removes every digest of an untagged image named in two repositories, one by one', () => {
    const dangling = image(id('8'), [['z', 5]], { tags: [], digests: [`foo@${id('1')}`, `bar@${id('2')}`] });
    const plan = planRemoval(snapshot([dangling]), request({ filter: { dangling: true } }));
    expect(plan.removals.map((r) => [r.action, r.refs.map((x) => x.name), r.bytes])).toEqual([['delete', [`foo@${id('1')}`, `bar@${id('2')}`], 5]]);
  });

  it('removes the digest of another repository when every tag goes, so that the image really goes', () => {
    const two = image(id('9'), [['z', 5]], { tags: ['foo:1'], digests: [`foo@${id('1')}`, `bar@${id('2')}`] });
    const plan = planRemoval(snapshot([two]), request({ images: ['foo:1'] }));
    expect(plan.removals.map((r) => [r.action, r.refs.map((x) => x.name), r.bytes])).toEqual([['delete', [`bar@${id('2')}`, 'foo:1'], 5]]);
  });

  it('--keep-last counts an image pulled by digest only as a member of its repository', () => {
    const old = image(id('1'), [['o', 1]], { tags: ['pg:old'], digests: [`pg@${id('5')}`], created: 1 });
    const byDigest = image(id('2'), [['n', 1]], { tags: [], digests: [`pg@${id('6')}`], created: 2 });
    const plan = planRemoval(snapshot([old, byDigest]), request({ match: [/^pg:/], keepLast: 1 }));
    expect(plan.removals.map((r) => r.refs.map((x) => x.name))).toEqual([['pg:old']]);
    expect(plan.kept.map((k) => [k.shown, k.reason])).toEqual([[['pg:<none>'], 'the newest image of pg (--keep-last 1)']]);
  });
});

describe('--keep-under', () => {
  const prune = (extra: Partial<PruneRequest>): PruneRequest => ({
    containers: true,
    images: 'unused',
    networks: false,
    volumes: 'none',
    buildCache: 'none',
    labels: [],
    exclude: [],
    includeLocal: true,
    save: false,
    ...extra,
  });

  it('frees nothing by untagging a parent first: it goes on to the next image until the limit is met', () => {
    // parent (oldest) <- child; both unused. Removing the parent first would only untag it.
    const parent = image(id('1'), [['p', 100]], { tags: ['p:1'], digests: [`p@${id('5')}`], created: 1 });
    const child = image(id('2'), [['p', 100], ['c', 50]], { tags: ['c:1'], digests: [`c@${id('6')}`], parentId: parent.id, created: 2 });
    const other = image(id('3'), [['o', 30]], { tags: ['o:1'], digests: [`o@${id('7')}`], created: 3 });
    const plan = planPrune(snapshot([parent, child, other]), prune({ keepUnder: 40 }));
    // 180 bytes; the limit needs child (50) then parent (100): 30 left, within 40.
    expect(plan.keepUnder).toMatchObject({ beforeBytes: 180, afterBytes: 30, shortByBytes: 0 });
    expect(plan.removal.removals.map((r) => [r.image.id, r.action, r.bytes])).toEqual([
      [child.id, 'delete', 50],
      [parent.id, 'delete', 100],
    ]);
  });
});

describe('the build cache BuildKit built images with', () => {
  const record = (id: string, size: number, shared: boolean): BuildCacheRecord => ({
    id,
    type: 'regular',
    description: '',
    size,
    inUse: false,
    shared,
    lastUsedAt: null,
    createdAt: Date.UTC(2026, 0, 1) / 1000,
  });
  const web = image(id('7'), [['bb', 2800], ['run', 200], ['copy', 300]], { tags: ['webapp:latest'] });
  const busybox = image(id('6'), [['bb', 2800]], { tags: ['busybox:latest'], digests: [`busybox@${id('5')}`] });

  it('on the classic store, claims none of the bytes the cache keeps, and says how many stay', () => {
    const s: Snapshot = { ...snapshot([busybox, web]), buildCache: [record('r1', 200, true), record('r2', 300, true), record('src', 83, false)] };
    const plan = planRemoval(s, request({ images: ['webapp:latest'] }));
    expect(plan.removals.map((r) => [r.action, r.bytes, r.cachedBytes])).toEqual([['delete', 0, 500]]);
    expect(plan.estimatedBytes).toBe(0);
    expect(plan.cachedRecords.map((r) => r.id).sort()).toEqual(['r1', 'r2']);
    // prune --build-cache in the same sweep frees them: they are the cache's own by then.
    const swept = planPrune(s, { containers: false, images: 'unused', networks: false, volumes: 'none', buildCache: 'dangling', labels: [], exclude: [/^busybox/], includeLocal: true, save: false });
    expect(swept.buildCache.map((b) => b.id).sort()).toEqual(['r1', 'r2', 'src']);
    expect(swept.bytes).toMatchObject({ images: 0, buildCache: 583 });
    expect(swept.cachedBytes).toBe(0);
  });

  describe('on the containerd store', () => {
    // Measured on engines 26 and 28.5 (core/build-cache.ts): a step's record is BuildKit's own
    // snapshot and the layer's blob; a base image's record is its layer's blob and holds its snapshot.
    const BLOCK = 4096;
    const DIRS = 3 * BLOCK;
    const blobs: Record<string, number> = { bb: 1800, run: 190, copy: 280 };
    const steps: Record<string, string> = { run: 'RUN /bin/sh -c head -c 200 /dev/urandom > /www # buildkit', copy: 'COPY site.bin /site.bin # buildkit' };
    const withContent = (i: Image, own: number): Image => ({
      ...i,
      layers: i.layers.map((l) => ({ ...l, ...(steps[l.chainId] ? { buildkit: true, step: steps[l.chainId]! } : { buildkit: false }) })),
      content: { total: own + i.layers.reduce((s, l) => s + blobs[l.chainId]!, 0), own },
    });
    const web2 = withContent(image(id('7'), [['bb', 2 * BLOCK], ['run', BLOCK], ['copy', BLOCK]], { tags: ['webapp:latest'] }), 1500);
    const busybox2 = withContent(image(id('6'), [['bb', 2 * BLOCK]], { tags: ['busybox:latest'], digests: [`busybox@${id('5')}`] }), 700);
    const rec = (recordId: string, description: string, size: number): BuildCacheRecord => ({ ...record(recordId, size, true), description });
    const world = (records: BuildCacheRecord[]): Snapshot => {
      const images = [busybox2, web2].map((i) => ({ ...i, layers: i.layers.map((l) => ({ ...l })) }));
      placeBlobs(images);
      return { ...snapshot(images), imageStore: 'containerd', buildCache: attributeBuildCache(records, images, 'containerd') };
    };
    const records = [
      rec('base', '', 1800),
      rec('run', 'mount / from exec /bin/sh -c head -c 200 /dev/urandom > /www', BLOCK + 190),
      rec('copy', '[3/3] COPY site.bin /site.bin', BLOCK + 280),
      // A build stage's step: a snapshot alone, which no image has.
      rec('stage', 'mount / from exec /bin/sh -c make', 2 * BLOCK),
      { ...record('src', 83, false), type: 'source.local' },
    ];

    it('matches each record with the layer it holds, by the step its description names and its size', () => {
      const s = world(records);
      expect(s.buildCache.map((b) => [b.id, b.shared, b.layer?.chainId])).toEqual([
        ['base', true, 'bb'],
        ['run', true, 'run'],
        ['copy', true, 'copy'],
        ['stage', false, undefined],
        ['src', false, undefined],
      ]);
      // df: what the cache holds that no image does: the steps' own snapshots, the stage, the sources.
      expect(computeDiskUsage(s).buildCache.reclaimableBytes).toBe(2 * (BLOCK + DIRS) + (2 * BLOCK + DIRS) + 83);
    });

    it("removing an image frees its snapshots; the blobs its steps' records hold stay, and a base's record holds the base layer whole", () => {
      const s = world(records);
      const own = (i: Image) => ownContentBytes(i);
      const web = planRemoval(s, request({ images: ['webapp:latest'] }));
      expect([web.estimatedBytes, web.cachedBytes]).toEqual([2 * (BLOCK + DIRS) + own(web2), 2 * BLOCK]);
      expect(web.cachedRecords.map((r) => r.id).sort()).toEqual(['copy', 'run']);
      // Both images: the base layer too stays on disk with its record.
      const both = planRemoval(s, request({ images: ['webapp:latest', 'busybox:latest'] }));
      expect([both.estimatedBytes, both.cachedBytes]).toEqual([2 * (BLOCK + DIRS) + own(web2) + own(busybox2), 2 * BLOCK + (2 * BLOCK + DIRS + BLOCK)]);
      // Without the records, the blobs and the base layer go with the images.
      const uncached = planRemoval({ ...s, buildCache: [] }, request({ images: ['webapp:latest', 'busybox:latest'] }));
      expect(uncached.estimatedBytes).toBe(both.estimatedBytes + both.cachedBytes);
    });

    it('prune -a frees, in one sweep, the images and every record whole: what the disk holds', () => {
      const s = world(records);
      const plan = planPrune(s, { containers: false, images: 'unused', networks: false, volumes: 'none', buildCache: 'all', labels: [], exclude: [], includeLocal: true, save: false });
      expect(plan.buildCache.map((b) => b.id).sort()).toEqual(['base', 'copy', 'run', 'src', 'stage']);
      const disk = (2 * BLOCK + DIRS + BLOCK) + 2 * (BLOCK + DIRS + BLOCK) + ownContentBytes(web2) + ownContentBytes(busybox2) + 2 * (BLOCK + DIRS) + (2 * BLOCK + DIRS) + 83;
      expect(plan.estimatedBytes).toBe(disk);
      expect(plan.cachedBytes).toBe(0);
      // Without --all, only what no image holds goes while the images stay.
      const dangling = planPrune(s, { containers: false, images: 'none', networks: false, volumes: 'none', buildCache: 'dangling', labels: [], exclude: [], includeLocal: true, save: false });
      expect(dangling.buildCache.map((b) => b.id).sort()).toEqual(['src', 'stage']);
    });

    it("a build FROM an image built here: its step's record holds that image's snapshots, which stay when both images go", () => {
      const step2 = 'RUN /bin/sh -c make more # buildkit';
      const app2: Image = {
        ...image(id('8'), [['bb', 2 * BLOCK], ['run', BLOCK], ['copy', BLOCK], ['more', BLOCK]], { tags: ['app:2'] }),
        content: { total: 1800 + 190 + 280 + 100 + 1500, own: 1500 },
      };
      app2.layers = app2.layers.map((l) => ({ ...l, buildkit: l.chainId !== 'bb', ...(steps[l.chainId] ? { step: steps[l.chainId]! } : l.chainId === 'more' ? { step: step2 } : {}) }));
      const images = [busybox2, web2, app2].map((i) => ({ ...i, layers: i.layers.map((l) => ({ ...l })) }));
      placeBlobs(images);
      const withMore = [...records, rec('more', 'mount / from exec /bin/sh -c make more', BLOCK + 100)];
      const s: Snapshot = { ...snapshot(images), imageStore: 'containerd', buildCache: attributeBuildCache(withMore, images, 'containerd') };
      // webapp's top is app:2's parent layer: the record of app:2's step holds webapp's snapshots (busybox's has its base record).
      expect(s.buildCache.find((b) => b.id === 'more')!.below).toEqual([
        { chainId: 'run', held: BLOCK + DIRS },
        { chainId: 'copy', held: BLOCK + DIRS },
      ]);
      const both = planRemoval(s, request({ images: ['app:2', 'webapp:latest'] }));
      // Only the two manifests and configs and app:2's own snapshot go; the blobs and webapp's snapshots stay with the records.
      expect(both.estimatedBytes).toBe(BLOCK + DIRS + ownContentBytes(web2) + ownContentBytes(app2));
      expect(both.cachedRecords.map((r) => r.id).sort()).toEqual(['copy', 'more', 'run']);
    });

    it('a record whose step no image has, but whose size fits a layer, is not taken for a base', () => {
      // A step record matched only by size needs to be close; far off, it is the cache's own.
      const s = world([rec('other', 'mount / from exec /bin/sh -c other', 3 * BLOCK + 100)]);
      expect(s.buildCache[0]).toMatchObject({ shared: false, free: 4 * BLOCK + DIRS });
    });

    it("a base's record takes a layer a step's record holds only with that record's very blob", () => {
      // 281 bytes: near the COPY layer's blob (280), but not what its step's record holds (the
      // sizes differ by more than whole blocks): a legacy base's layer, not this one.
      const near = world([...records, rec('legacy', '', 281)]);
      expect(near.buildCache.find((b) => b.id === 'legacy')).toMatchObject({ shared: false });
      // 280: a build FROM webapp took it as a base (x4:1 FROM x1:1): the record holds the layer,
      // and webapp's snapshot of the layer below it, which no base's record holds.
      const from = world([...records, rec('from-web', '', 280)]);
      expect(from.buildCache.find((b) => b.id === 'from-web')).toMatchObject({ shared: true, layer: { chainId: 'copy' }, below: [{ chainId: 'run', held: BLOCK + DIRS }] });
      // The blob is counted once: with the base's record, not the step's.
      expect(from.buildCache.find((b) => b.id === 'copy')!.layer).toEqual({ chainId: 'copy', held: 0 });
    });

    it('of twin records (a step rebuilt with --no-cache that made the same bytes), the one the daemon calls shared holds the layer', () => {
      const twin = { ...rec('a-twin', '[3/3] COPY site.bin /site.bin', BLOCK + 280), shared: false };
      const s = world([twin, ...records]);
      expect(s.buildCache.find((b) => b.id === 'copy')!.layer?.chainId).toBe('copy');
      expect(s.buildCache.find((b) => b.id === 'a-twin')).toMatchObject({ shared: false });
    });

    it("a base's record whose image is gone frees its blob and the layer's snapshot, taken to be at least as big", () => {
      const s = world([rec('gone', '', 702_027)]);
      expect(s.buildCache[0]).toMatchObject({ shared: false, free: 2 * 172 * BLOCK + DIRS });
    });
  });

  it('measures what moved into the cache from two reads of it', () => {
    expect(bytesMovedToBuildCache([record('a', 200, true), record('b', 300, true), record('c', 9, false)], [record('a', 200, false), record('b', 300, true), record('c', 9, false)])).toBe(
      200,
    );
  });
});
