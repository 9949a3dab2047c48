// The pure core on the Engine API answers captured from each engine and store
// (scripts/capture-fixtures.mjs records them with the daemon's version): what each store's figures
// mean, and that the snapshot model agrees with the daemon's own totals on every one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { planPrune } from '../../src/core/plan-prune.js';
import { planRemoval } from '../../src/core/plan-removal.js';
import { analyzeImages, computeDiskUsage, listedImages, totalLayerBytes } from '../../src/core/usage.js';
import { ContainerSummary, expectShape, ImageSummary, SystemDf, SystemInfo } from '../../src/docker/raw.js';
import { stepKey } from '../../src/core/build-cache.js';
import { imageStoreFrom, layersFrom, layersFromKnown, ownContentFrom, snapshotFrom } from '../../src/docker/read-snapshot.js';

interface Fixture {
  engine: string;
  version: { Version: string; ApiVersion: string };
  info: unknown;
  systemDf: unknown;
  images: unknown;
  containers: unknown;
  perImage: Record<string, { inspect: unknown; history: unknown }>;
}

const load = (engine: string): Fixture => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'engines', `${engine}.json`), 'utf8')) as Fixture;

/** The snapshot the adapter builds from /system/df, every image (all=1) and /info, as `docker tidy df` reads it. */
function snapshotOf(f: Fixture) {
  const df = expectShape(SystemDf, f.systemDf, 'GET /system/df');
  const images = expectShape(z.array(ImageSummary), f.images, 'GET /images/json?all=1');
  const store = imageStoreFrom(expectShape(SystemInfo, f.info, 'GET /info'));
  const layers = images.map((i) => layersFrom(f.perImage[i.Id]!.inspect, f.perImage[i.Id]!.history, i.Id, i.Size, store));
  const own = images.map((i) => (store === 'containerd' ? ownContentFrom(f.perImage[i.Id]!.inspect, f.perImage[i.Id]!.history, i.Id) : undefined));
  const snapshot = snapshotFrom(
    { images, containers: df.Containers, volumes: df.Volumes, buildCache: df.BuildCache, layersSize: df.LayersSize },
    layers,
    true,
    store,
    own,
  );
  return { df, snapshot };
}

describe.each([
  ['20.10', '20.10', 'classic'],
  ['26', '26.1', 'classic'],
  ['26-containerd', '26.1', 'containerd'],
  ['28.5', '28.5', 'classic'],
  ['28.5-containerd', '28.5', 'containerd'],
] as const)('engine %s (captured)', (engine, version, store) => {
  const fixture = load(engine);
  const { df, snapshot } = snapshotOf(fixture);

  it(`was captured on engine ${version}`, () => {
    expect(fixture.version.Version.startsWith(version)).toBe(true);
  });

  it('every answer validates, in both the list and the /system/df shape', () => {
    expect(expectShape(z.array(ContainerSummary), fixture.containers, 'GET /containers/json')).toHaveLength(df.Containers.length);
  });

  it('lists the images docker lists, and knows the intermediate ones the legacy builder left', () => {
    const usage = analyzeImages(snapshot);
    const dfImages = (fixture.systemDf as { Images: { Id: string }[] }).Images;
    expect(listedImages(usage).map((u) => u.image.id).sort()).toEqual(dfImages.map((i) => i.Id).sort());
    expect(usage.filter((u) => u.intermediate).length).toBeGreaterThan(3);
    expect(computeDiskUsage(snapshot).images.total).toBe(dfImages.length);
  });

  it(`is recognised as the ${store} store`, () => {
    expect(snapshot.imageStore).toBe(store);
  });

  it("df's totals are the daemon's own (images: on the containerd store, content and snapshots each once)", () => {
    const usage = computeDiskUsage(snapshot);
    if (store === 'classic') expect(usage.images.sizeBytes).toBe(df.LayersSize);
    else expect(usage.images.sizeBytes).toBe(totalLayerBytes(snapshot.images));
    expect(usage.containers.sizeBytes).toBe(df.Containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0));
    expect(usage.volumes.sizeBytes).toBe(df.Volumes.reduce((s, v) => s + Math.max(0, v.UsageData.Size), 0));
    const unshared = df.BuildCache.filter((b) => !b.Shared).reduce((s, b) => s + b.Size, 0);
    if (store === 'classic') expect(usage.buildCache.sizeBytes).toBe(unshared);
    // Every record is Shared there; BuildKit's own snapshots of webapp's steps are the cache's alone.
    else expect(usage.buildCache.sizeBytes).toBeGreaterThan(unshared + 200_000 + 300_000);
    expect(usage.images.exact).toBe(store === 'classic');
    expect(usage.buildCache.exact).toBe(store === 'classic');
  });

  it.runIf(store === 'containerd')("matches each build-cache record with the image layer it holds: webapp's steps and busybox's layer", () => {
    const webapp = snapshot.images.find((i) => i.tags.includes('webapp:latest'))!;
    const busybox = snapshot.images.find((i) => i.tags.includes('busybox:latest'))!;
    const held = (description: RegExp) => snapshot.buildCache.find((b) => b.type === 'regular' && description.test(b.description))?.layer?.chainId;
    const [base, run, copy] = webapp.layers.map((l) => l.chainId);
    expect(busybox.layers.map((l) => l.chainId)).toEqual([base]);
    expect(held(/^$/)).toBe(base);
    expect(held(/head -c 200000/)).toBe(run);
    expect(held(/COPY site.bin/)).toBe(copy);
    // The step records' sizes are BuildKit's snapshot (whole blocks) and the blob: the blobs they tell add up to webapp's content.
    expect(webapp.layers.reduce((s, l) => s + l.blob!, 0)).toBe(webapp.content!.total - webapp.content!.own);
    for (const b of snapshot.buildCache.filter((r) => r.layer && r.description !== '')) {
      const layer = webapp.layers.find((l) => l.chainId === b.layer!.chainId)!;
      expect(b.size - layer.blob! - layer.size, b.description).toBeGreaterThanOrEqual(-8192);
      expect(b.size - layer.blob! - layer.size, b.description).toBeLessThanOrEqual(8192);
    }
    // The rest (local sources) are the cache's own.
    expect(snapshot.buildCache.filter((b) => !b.layer).every((b) => b.type !== 'regular' && !b.shared)).toBe(true);
  });

  it("each image's size is the daemon's (containerd store: what it takes on disk, about that); on the classic store its layers add up to it", () => {
    for (const u of analyzeImages(snapshot)) {
      const layers = u.image.layers.reduce((s, l) => s + l.size, 0);
      if (store === 'classic') {
        expect(u.sizeBytes).toBe(u.image.size);
        expect(layers).toBe(u.image.size);
      } else {
        // containerd: the size also counts the compressed content, which inspect reports as Size;
        // on disk, blobs take whole blocks and snapshots their directories.
        const inspect = fixture.perImage[u.image.id]!.inspect as { Size: number };
        expect(u.image.content!.total).toBe(inspect.Size);
        expect(layers + inspect.Size).toBeLessThanOrEqual(u.image.size);
        expect(u.sizeBytes).toBeGreaterThanOrEqual(u.image.size - 64 * 1024);
        expect(Math.abs(u.sizeBytes - u.image.size) / u.image.size).toBeLessThan(0.05);
        expect(u.uniqueBytes + u.sharedBytes).toBe(u.sizeBytes);
      }
    }
    if (store === 'classic') expect(totalLayerBytes(snapshot.images)).toBe(df.LayersSize);
  });

  it.runIf(store === 'containerd')("places each image's content on its own manifest and config and its layers' blobs, adding up to the daemon's content size", () => {
    for (const image of snapshot.images) {
      const inspect = fixture.perImage[image.id]!.inspect as { Size: number };
      const blobs = image.layers.reduce((s, l) => s + l.blob!, 0);
      expect(image.content!.own).toBeGreaterThan(300);
      // An image built on another adds only its own manifest, config and new layers' blobs.
      expect(Math.abs(image.content!.own + blobs - inspect.Size), image.id).toBeLessThanOrEqual(1024);
    }
    // alpine:3.19 is busybox (which compresses) and 1.5 MB of random bytes (which do not).
    const alpine = snapshot.images.find((i) => i.tags.includes('alpine:3.19'))!;
    expect(alpine.layers[0]!.blob! / alpine.layers[0]!.size).toBeGreaterThan(0.6);
    expect(alpine.layers[0]!.blob! / alpine.layers[0]!.size).toBeLessThan(0.9);
  });

  it('without history, an image on known layers gets the same layers as with it (classic store only)', () => {
    let derived = 0;
    for (const image of snapshot.images) {
      const known = new Map<string, number>();
      for (const other of snapshot.images) if (other.id !== image.id) for (const l of other.layers) if (l.known) known.set(l.chainId, l.size);
      const fast = layersFromKnown(fixture.perImage[image.id]!.inspect, image.id, image.size, known);
      if (store === 'containerd') expect(fast).toBeUndefined();
      else if (fast) {
        derived += 1;
        expect(fast).toEqual(image.layers.map(({ chainId, size, known }) => ({ chainId, size, known })));
      }
    }
    if (store === 'classic') expect(derived).toBeGreaterThan(3);
  });

  it('build-cache records carry their parents (engines 26 and 28.5 send them as " Parents")', () => {
    const withParents = snapshot.buildCache.filter((b) => (b.parents ?? []).length > 0);
    expect(withParents.length).toBeGreaterThan(0);
    const ids = new Set(snapshot.buildCache.map((b) => b.id));
    for (const b of withParents) for (const p of b.parents!) expect(ids.has(p)).toBe(true);
  });

  it('tagged images count as local-only only where the store can tell (classic: no RepoDigests; containerd: only a registry can)', () => {
    const tagged = analyzeImages(snapshot).filter((u) => u.image.tags.length > 0);
    const local = tagged.filter((u) => u.localOnly).map((u) => u.image.tags[0]).sort();
    // Every image there has a digest, built ones too: without asking a registry, none is known to be local-only.
    if (store === 'containerd') expect(tagged.every((u) => u.image.digests.length > 0) && local.length === 0).toBe(true);
    else expect(local).toEqual(['moving:tag', 'myapp:1.0', 'myapp:1.1', 'tool:dev', 'webapp:latest']);
  });

  it('rm and prune estimates are exact on the classic store and say they are not on containerd', () => {
    const rm = planRemoval(snapshot, {
      images: [],
      match: [],
      filter: { unused: true },
      exclude: [],
      withContainers: false,
      includeLocal: true,
      save: false,
    });
    expect(rm.removals.length).toBeGreaterThan(0);
    expect(rm.exact).toBe(store === 'classic');
    const prune = planPrune(snapshot, {
      containers: true,
      images: 'unused',
      networks: false,
      volumes: 'anonymous',
      buildCache: 'all',
      labels: [],
      exclude: [],
      includeLocal: true,
      save: false,
    });
    expect(prune.exact).toBe(store === 'classic');
    // Anonymous volumes are told apart on every engine (20.10 has no label for them).
    expect(prune.volumes).toHaveLength(1);
    expect(prune.volumes[0]!.name).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('an image tagged in several repositories on the containerd store (engine 28.5)', () => {
  // GET /v1.51/images/json, captured: the image imported as myproj/dual:1, tagged into two
  // repositories of a local registry and pushed to both. image inspect lists three RepoDigests.
  const hash = 'sha256:6ba495977ea139502909a3ae471095ef144d970c3e8a6f4a9475038e13dd92e5';
  const listed = [
    {
      Containers: 0,
      Created: 1796281241,
      Id: hash,
      Labels: null,
      ParentId: '',
      RepoDigests: [`myproj/dual@${hash}`],
      RepoTags: ['127.0.0.1:53397/other/dual:2', '127.0.0.1:53397/team/dual:1', 'myproj/dual:1'],
      SharedSize: -1,
      Size: 3071318,
    },
  ];
  const images = expectShape(z.array(ImageSummary), listed, 'GET /images/json');

  it('knows its digest in every repository it has a tag in, as image inspect does', () => {
    const [image] = snapshotFrom({ images, containers: [], volumes: [], buildCache: [] }, [[]], true, 'containerd').images;
    expect(image!.digests.sort()).toEqual([`127.0.0.1:53397/other/dual@${hash}`, `127.0.0.1:53397/team/dual@${hash}`, `myproj/dual@${hash}`]);
  });

  it('and on the classic store only what the daemon lists (there a digest means the repository was pushed or pulled)', () => {
    const [image] = snapshotFrom({ images, containers: [], volumes: [], buildCache: [] }, [[]], true, 'classic').images;
    expect(image!.digests).toEqual([`myproj/dual@${hash}`]);
  });
});

describe('engine 28.5, containerd store, a build host (captured with world.sh --builds)', () => {
  const { snapshot } = snapshotOf(load('28.5-containerd-builds'));
  const tagged = (tag: string) => snapshot.images.find((i) => i.tags.includes(tag))!;
  const built = ['ms:1', 'ms:2', 'svc:1', 'svc:2', 'real:1', 'ob:1', 'webapp:latest'].map(tagged);

  it('every layer a BuildKit step made is held by a record of that step, and no two by the same', () => {
    const holder = new Map(snapshot.buildCache.filter((b) => b.layer).map((b) => [b.layer!.chainId, b]));
    const layers = new Map(built.flatMap((i) => i.layers.filter((l) => l.buildkit && l.size > 0).map((l) => [l.chainId, l] as const)));
    expect(layers.size).toBeGreaterThan(10);
    for (const l of layers.values()) {
      const record = holder.get(l.chainId);
      expect(record, l.step).toBeDefined();
      expect(stepKey(record!.description), l.step).toBe(stepKey(l.step!));
    }
    expect(new Set(snapshot.buildCache.filter((b) => b.layer).map((b) => b.layer!.chainId)).size).toBe(holder.size);
  });

  it("the build stage's records hold no image's layer; each base record holds a layer of the base it names", () => {
    const stage = snapshot.buildCache.filter((b) => /> \/[ab]$/.test(b.description));
    expect(stage).toHaveLength(4);
    for (const b of stage) expect(b).toMatchObject({ shared: false });
    const bases = new Set(['busybox:latest', 'alpine:3.19', 'lb:1'].flatMap((t) => tagged(t).layers.map((l) => l.chainId)));
    const baseRecords = snapshot.buildCache.filter((b) => b.type === 'regular' && b.description === '');
    expect(baseRecords.length).toBeGreaterThanOrEqual(3);
    for (const b of baseRecords) expect(bases.has(b.layer?.chainId ?? '')).toBe(true);
  });

  it("svc:2 is built FROM svc:1: its step's record holds svc:1's two snapshots, and ob:1's base records lb:1's layers", () => {
    const [svc1, svc2] = [tagged('svc:1'), tagged('svc:2')];
    const record = snapshot.buildCache.find((b) => b.layer?.chainId === svc2.layers[3]!.chainId)!;
    expect(record.below?.map((b) => b.chainId)).toEqual(svc1.layers.slice(1).map((l) => l.chainId));
    const lb = tagged('lb:1');
    const based = new Set(snapshot.buildCache.filter((b) => b.description === '' && b.layer).map((b) => b.layer!.chainId));
    for (const l of lb.layers) expect(based.has(l.chainId)).toBe(true);
  });

  it("the records tell each layer's blob: text compresses, random bytes do not, and the image's content still adds up", () => {
    const real = tagged('real:1');
    const layer = (step: RegExp) => real.layers.find((l) => step.test(l.step ?? ''))!;
    // seq's text compresses to under a third; 300,000 random bytes stay about that.
    expect(layer(/seq 1 150000/).blob! / layer(/seq 1 150000/).size).toBeLessThan(0.4);
    expect(layer(/COPY bin.dat/).blob).toBeGreaterThan(300_000);
    expect(layer(/COPY bin.dat/).blob).toBeLessThan(306_000);
    for (const image of built) expect(image.layers.reduce((s, l) => s + l.blob!, 0)).toBe(image.content!.total - image.content!.own);
  });
});
