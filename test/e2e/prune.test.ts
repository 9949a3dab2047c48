// `docker tidy prune` on the private world: every category, the order (an image used only by a
// container the sweep removes goes too), the volume rules, --until and label filters,
// --keep-under, and the dry-run estimate against what the daemon's own figures say was freed.
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { accountedBytes, containerdStore, dataRootBytes, describeE2E, docker, engine, freshWorld, withinFivePercent } from './harness.js';

/**
 * What was freed, against the estimate: on the classic store the daemon's figures fell by exactly
 * the estimate; on the containerd store, where the estimate is marked as one, the data root lost
 * (`diskLost`) within 5% of the images' part, and at least 95% of the rest but for the build
 * cache's (BuildKit's own record sizes there; containers and volumes take more on disk than their
 * sizes say).
 */
function expectFreed(measured: number, doc: PruneDoc, diskLost: number): void {
  expect(doc.exact).toBe(!containerdStore);
  if (!containerdStore) return void expect(measured).toBe(doc.estimatedBytes);
  const c = doc.estimatedBytesByCategory;
  if (c.containers + c.volumes === 0) expect(withinFivePercent(doc.estimatedBytes, diskLost), `estimated ${doc.estimatedBytes}, the disk lost ${diskLost}`).toBe(true);
  // A container takes more than its writable layer (its directory, its snapshots' directories):
  // docker's SizeRw is what docker tidy counts, and the disk gives back at least that.
  else expect(diskLost).toBeGreaterThanOrEqual(0.95 * doc.estimatedBytes);
}

interface ApiImage {
  Id: string;
  RepoTags: string[] | null;
}
interface ApiContainer {
  Id: string;
  Names: string[];
  ImageID: string;
  State: string;
}
interface ApiDf {
  LayersSize: number;
  Images: (ApiImage & { Size: number })[];
  Containers: (ApiContainer & { SizeRw?: number })[];
  Volumes: { Name: string; UsageData: { Size: number } | null }[];
  BuildCache: { ID: string; Size: number; Shared: boolean; InUse: boolean }[] | null;
}
interface PruneDoc {
  dryRun: boolean;
  containers: { id: string; name: string; bytes: number }[];
  images: { id: string; tags: string[]; bytes: number }[];
  volumes: { name: string; anonymous: boolean; bytes: number }[];
  networks: { id: string; name: string }[];
  buildCache: { id: string; shared: boolean; bytes: number }[];
  kept: { id: string; tags: string[]; reason: string }[];
  failed: unknown[];
  keepUnder?: {
    limitBytes: number;
    beforeBytes: number;
    afterBytes: number;
    shortByBytes: number;
    steps: { id: string; lastUsedAt: string; freedBytes: number }[];
  };
  estimatedBytesByCategory: { containers: number; images: number; volumes: number; buildCache: number };
  estimatedBytes: number;
  reclaimedBytes: number;
  cachedBytes: number;
  exact: boolean;
}

describeE2E('docker tidy prune', () => {
  const world = freshWorld();
  const host = (): string => world.daemon().host;
  const df = async (): Promise<ApiDf> => (await engine<ApiDf>('GET', '/v1.41/system/df', host())).body;
  const containers = async (): Promise<ApiContainer[]> => (await engine<ApiContainer[]>('GET', '/containers/json?all=1', host())).body;
  const names = async (): Promise<string[]> => (await containers()).map((c) => c.Names[0]!.slice(1)).sort();
  const imageIds = async (): Promise<string[]> => (await engine<ApiImage[]>('GET', '/images/json', host())).body.map((i) => i.Id).sort();
  const volumes = async (): Promise<string[]> =>
    ((await engine<{ Volumes: { Name: string }[] | null }>('GET', '/volumes', host())).body.Volumes ?? []).map((v) => v.Name).sort();
  const networks = async (): Promise<string[]> => (await engine<{ Name: string }[]>('GET', '/networks', host())).body.map((n) => n.Name).sort();
  /** Everything the daemon counts on disk, by its own figures: layers, writable layers, volumes, its own build cache. */
  const diskTotal = (): Promise<number> => accountedBytes(host());
  /** The data root on disk (the containerd store's figures are checked against it; 0 elsewhere, unused). */
  const disk = async (): Promise<number> => (containerdStore ? dataRootBytes(world.daemon().dir) : 0);
  /** The images' total as docker tidy df says it. */
  const tidySize = async (): Promise<number> => {
    const r = await docker(['tidy', 'df', '--json'], world.env());
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { images: { sizeBytes: number } }).images.sizeBytes;
  };
  const state = async (): Promise<unknown> => ({ images: await imageIds(), containers: await names(), volumes: await volumes(), networks: await networks() });
  const prune = async (args: string[]): Promise<PruneDoc> => {
    const r = await docker(['tidy', 'prune', ...args, '--json'], world.env());
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as PruneDoc;
  };

  it('refuses without a terminal and without --force, shows the plan first, and removes nothing', async () => {
    const before = await state();
    const r = await docker(['tidy', 'prune', '-a', '--all-volumes'], world.env());
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Stopped containers');
    expect(r.stderr).toContain('pass --force (-f)');
    expect(await state()).toEqual(before);
  });

  it('rejects bad input with exit 125 and changes nothing', async () => {
    const before = await state();
    for (const args of [
      ['--until', 'yesterday'],
      ['--keep-under', '-5GB'],
      ['--filter', 'until=24h'],
      ['--filter', 'dangling=true'],
      ['--quiet', '--json'],
      ['--save', '/tmp/x', '--include-local'],
      ['--containers', '--keep-under', '1GB'],
      ['--keep-last', '-1'],
      ['--exclude', '('],
    ]) {
      const r = await docker(['tidy', 'prune', '-f', ...args], world.env());
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(125);
      expect(r.stderr).toContain("See 'docker tidy prune --help'.");
    }
    expect(await state()).toEqual(before);
  });

  it('a dry run lists objects and exact bytes per category and changes nothing', async () => {
    const before = await state();
    const doc = await prune(['-a', '--all-volumes', '--dry-run']);
    expect(doc.dryRun).toBe(true);
    expect(doc.reclaimedBytes).toBe(0);
    const c = doc.estimatedBytesByCategory;
    expect(doc.estimatedBytes).toBe(c.containers + c.images + c.volumes + c.buildCache);
    expect(c.containers).toBe(doc.containers.reduce((s, x) => s + x.bytes, 0));
    expect(c.images).toBe(doc.images.reduce((s, x) => s + x.bytes, 0));
    // Running containers, and the images and volumes they use, are never in the plan.
    expect(doc.containers.map((x) => x.name)).not.toContain('web-running');
    expect(doc.volumes.map((v) => v.name)).not.toContain('app-data');
    expect(await state()).toEqual(before);
  });

  it('--containers with --until and label filters: a grace period, and label!= keeps what it names', async () => {
    const env = world.env();
    expect((await docker(['create', '--network', 'none', '--label', 'keep=yes', '--name', 'labelled', 'busybox:latest', 'true'], env)).code).toBe(0);
    // Everything stopped moments ago: a 1h grace period keeps them all.
    expect((await prune(['--containers', '--until', '1h', '--dry-run'])).containers).toEqual([]);
    // A time in the future takes every stopped container but the labelled one.
    const future = String(Math.floor(Date.now() / 1000) + 3600);
    const plan = await prune(['--containers', '--until', future, '--filter', 'label!=keep=yes', '--dry-run']);
    expect(plan.containers.map((c) => c.name).sort()).toEqual(['beta-exited', 'by-digest', 'db-created', 'job-exited', 'mongo-notag', 'pinned-old']);
    const only = await prune(['--containers', '--filter', 'label=keep', '-f']);
    expect(only.containers.map((c) => c.name)).toEqual(['labelled']);
    expect(await names()).not.toContain('labelled');
    expect(only.images).toEqual([]);
  });

  it('--networks removes a network nothing is attached to, keeps one a stopped container is attached to', async () => {
    const env = world.env();
    for (const n of ['tidy-unused', 'tidy-attached']) expect((await docker(['network', 'create', n], env)).code).toBe(0);
    expect((await docker(['create', '--network', 'tidy-attached', '--name', 'on-net', 'busybox:latest', 'true'], env)).code).toBe(0);
    const doc = await prune(['--networks', '-f']);
    expect(doc.networks.map((n) => n.name)).toEqual(['tidy-unused']);
    expect(doc.containers).toEqual([]);
    const left = await networks();
    expect(left).toContain('tidy-attached');
    expect(left).not.toContain('tidy-unused');
  });

  it('the default sweep: stopped containers, then the dangling images only they used, networks, build cache; the estimate is what the daemon frees', async () => {
    const beforeImages = (await df()).Images;
    const pinnedImage = (await containers()).find((c) => c.Names[0] === '/pinned-old')!.ImageID;
    const plan = await prune(['--dry-run']);
    // The old moving:tag build is dangling and used only by pinned-old, which the sweep removes first.
    expect(plan.images.map((i) => i.id)).toContain(pinnedImage);
    expect(plan.networks.map((n) => n.name)).toEqual(['tidy-attached']);
    const [total, onDisk] = [await diskTotal(), await disk()];
    const doc = await prune(['-f']);
    expect(doc.failed).toEqual([]);
    expect(doc.reclaimedBytes).toBe(plan.estimatedBytes);
    expectFreed(total - (await diskTotal()), plan, onDisk - (await disk()));
    expect(await names()).toEqual(['web-running']);
    // Only dangling images went; every tagged one is still there.
    const tagged = beforeImages.filter((i) => (i.RepoTags ?? []).some((t) => t !== '<none>:<none>')).map((i) => i.Id);
    expect(await imageIds()).toEqual(expect.arrayContaining(tagged));
    expect(await imageIds()).not.toContain(pinnedImage);
    // Volumes are not part of the default sweep.
    expect((await volumes()).length).toBe(3);
  });

  it('--build-cache -a: what records an image still holds stays, whatever the daemon says it reclaimed', async () => {
    // The BuildKit-built webapp:latest (local-only, kept) holds the layers of the shared records:
    // on the classic store all their bytes; on the containerd store the blobs, and busybox the
    // base record's layer, while BuildKit's own snapshots of webapp's steps go.
    const plan = await prune(['--build-cache', '-a', '--dry-run']);
    const shared = plan.buildCache.filter((b) => b.shared);
    expect(shared.length).toBeGreaterThan(0);
    if (!containerdStore) for (const b of shared) expect(b.bytes, b.id).toBe(0);
    else expect(shared.filter((b) => b.bytes === 0).length).toBe(1);
    const [total, onDisk] = [await diskTotal(), await disk()];
    const doc = await prune(['--build-cache', '-a', '-f']);
    expect(doc.failed).toEqual([]);
    expect(doc.reclaimedBytes).toBe(plan.estimatedBytes);
    const after = (await df()).BuildCache ?? [];
    for (const b of shared) expect(after.map((r) => r.ID)).not.toContain(b.id);
    // What the daemon's own figures (layers, writable layers, volumes, unshared cache) lost, or on
    // the containerd store the data root, is what was claimed: engine 20.10 answers the prune of
    // these records with their whole size as SpaceReclaimed, and the disk loses nothing of it.
    if (!containerdStore) expect(total - (await diskTotal())).toBe(doc.reclaimedBytes);
    else {
      const lost = onDisk - (await disk());
      expect(withinFivePercent(doc.reclaimedBytes, lost), `reclaimed ${doc.reclaimedBytes}, the disk lost ${lost}`).toBe(true);
    }

    // With the cache gone, webapp:latest's layers are its own: unused counts them as df does,
    // reading the build cache on its own where the API allows it (1.42+). Engine 20.10 can only
    // give it within the whole of /system/df, which unused does not ask for: there it counts them
    // as held, below df.
    const [tidyDf, unused] = await Promise.all([docker(['tidy', 'df', '--json'], world.env()), docker(['tidy', 'unused', '--json'], world.env())]);
    expect(unused.code, unused.stderr).toBe(0);
    const [dfReclaimable, unusedReclaimable] = [JSON.parse(tidyDf.stdout).images.reclaimableBytes, JSON.parse(unused.stdout).reclaimableBytes];
    const api = (await engine<{ ApiVersion: string }>('GET', '/version', host())).body.ApiVersion;
    if (api === '1.41') expect(unusedReclaimable).toBeLessThan(dfReclaimable);
    else expect(unusedReclaimable).toBe(dfReclaimable);
  });

  it('--volumes removes unused anonymous volumes only; --all-volumes named ones too; never one in use', async () => {
    const anon = await prune(['--volumes', '-f']);
    expect(anon.volumes.map((v) => v.anonymous)).toEqual([true]);
    expect(await volumes()).toEqual(['app-data', 'old-data']);
    const named = await prune(['--all-volumes', '-f']);
    expect(named.volumes.map((v) => v.name)).toEqual(['old-data']);
    expect(await volumes()).toEqual(['app-data']);
  });

  it('--keep-under that cannot be reached removes every unused image it may and says by how much it falls short', async () => {
    const plan = await prune(['--images', '--keep-under', '1', '--include-local', '--dry-run']);
    expect(plan.keepUnder!.shortByBytes).toBeGreaterThan(0);
    // The images' total as df shows it: layers that stay in the build cache (BuildKit) leave it too.
    expect(plan.keepUnder!.afterBytes).toBe(plan.keepUnder!.beforeBytes - plan.estimatedBytesByCategory.images - plan.cachedBytes);
    const inUse = new Set((await containers()).map((c) => c.ImageID));
    for (const image of plan.images) expect(inUse.has(image.id)).toBe(false);
    const r = await docker(['tidy', 'prune', '--keep-under', '1', '--include-local', '--dry-run'], world.env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cannot be reached.*over/);
  });

  it('--keep-under ends at or under the limit, least recently used first, and removes no more than needed', async () => {
    // The images' total: the daemon's own on the classic store; docker tidy df's on the containerd store.
    const layersBefore = containerdStore ? await tidySize() : (await df()).LayersSize;
    const onDisk = await disk();
    const probe = await prune(['--keep-under', '1', '--include-local', '--dry-run']);
    // A limit halfway between what the images take now and the least they can be brought down to.
    const limit = Math.round((probe.keepUnder!.beforeBytes + probe.keepUnder!.afterBytes) / 2);
    const plan = await prune(['--keep-under', String(limit), '--include-local', '--dry-run']);
    expect(plan.images.length).toBeGreaterThan(0);
    expect(plan.images.length).toBeLessThan(probe.images.length);
    const doc = await prune(['--images', '--keep-under', String(limit), '--include-local', '-f']);
    expect(doc.failed).toEqual([]);
    const k = doc.keepUnder!;
    // The plan: at or under the limit, and not more than needed (before its last step it was over).
    expect(k.afterBytes).toBeLessThanOrEqual(limit);
    expect(k.afterBytes + k.steps[k.steps.length - 1]!.freedBytes).toBeGreaterThan(limit);
    expect(k.steps.map((s) => s.id).sort()).toEqual(doc.images.map((i) => i.id).sort());
    for (let i = 1; i < k.steps.length; i++) expect(Date.parse(k.steps[i]!.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(k.steps[i - 1]!.lastUsedAt));
    // The daemon agrees: its layer total is where the plan said (containerd store: at most there).
    expect(k.beforeBytes).toBe(layersBefore);
    const layersAfter = containerdStore ? await tidySize() : (await df()).LayersSize;
    expect(layersAfter).toBeLessThanOrEqual(limit);
    expectFreed(layersBefore - layersAfter, doc, onDisk - (await disk()));
    // On the containerd store a base no image holds is shared anew by what is left: about there.
    if (containerdStore) expect(withinFivePercent(k.afterBytes, layersAfter), `${k.afterBytes} planned, ${layersAfter} after`).toBe(true);
    else expect(layersAfter).toBe(k.afterBytes);
    // The running container's image is still there.
    const running = (await containers()).find((c) => c.State === 'running')!;
    expect(await imageIds()).toContain(running.ImageID);
  });

  it('-q prints one summary line; prune -a --include-local then leaves only what the running container needs', async () => {
    const [total, onDisk] = [await diskTotal(), await disk()];
    const plan = await prune(['-a', '--include-local', '--all-volumes', '--dry-run']);
    const r = await docker(['tidy', 'prune', '-a', '--include-local', '--all-volumes', '-f', '-q'], world.env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^Removed .*; freed .*(, as estimated|; the estimate was .*)\n$/);
    expectFreed(total - (await diskTotal()), plan, onDisk - (await disk()));
    // Left: the running container's image, and the images it is built on (their names stay:
    // removing them would free nothing).
    const running = (await containers()).find((c) => c.State === 'running')!;
    const all = (await engine<{ Id: string; ParentId: string }[]>('GET', '/images/json?all=1', host())).body;
    const needed = new Set<string>();
    for (let id: string | undefined = running.ImageID; id; id = all.find((i) => i.Id === id)?.ParentId) needed.add(id);
    const left = await imageIds();
    expect(left).toContain(running.ImageID);
    for (const id of left) expect(needed.has(id)).toBe(true);
  });

  it('asks on a terminal and removes nothing when the answer is no', async () => {
    const env = world.env();
    expect((await docker(['create', '--network', 'none', '--name', 'ask-me', 'myapp:1.1', 'true'], env)).code).toBe(0);
    const child = spawn('script', ['-qec', 'docker tidy prune --containers', '/dev/null'], { env });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('[y/N]')) child.stdin.end('n\n');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(out).toContain('ask-me');
    expect(await names()).toContain('ask-me');
  });
});
