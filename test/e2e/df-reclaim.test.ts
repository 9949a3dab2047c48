// The honest-reclaimable promise, checked the only way that counts: remove exactly the images no
// container uses and compare the bytes the daemon freed with what `docker tidy df` said.
// Destructive, so it runs on a world of its own.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertPrivateDaemon, buildWorld, startDaemon, type TestDaemon } from '../support/daemon.js';
import { accountedBytes, containerdStore, dataRootBytes, describeE2E, docker, engine, userEnv, withinFivePercent, world } from './harness.js';

describeE2E('docker tidy df reclaimable', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await startDaemon();
    // With a build host's builds: their records hold blobs and base layers the images have too.
    await buildWorld(daemon, { builds: true });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  // The containerd store: an image is its content and its snapshots, and the disk is the judge.
  it.runIf(containerdStore)("rm's estimate and outcome are within 5% of what the data root loses", async () => {
    const env = userEnv({ DOCKER_HOST: daemon.host });
    await assertPrivateDaemon(env);
    const before = await dataRootBytes(daemon.dir);
    // Its base layer stays with postgres:13-beta1, which a stopped container uses.
    const r = await docker(['tidy', 'rm', 'postgres:13-beta2', '--include-local', '-f', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { estimatedBytes: number; reclaimedBytes: number; exact: boolean };
    const lost = before - (await dataRootBytes(daemon.dir));
    expect(doc.exact).toBe(false);
    expect(withinFivePercent(doc.estimatedBytes, lost), `estimated ${doc.estimatedBytes}, the disk lost ${lost}`).toBe(true);
    expect(withinFivePercent(doc.reclaimedBytes, lost), `reclaimed ${doc.reclaimedBytes}, the disk lost ${lost}`).toBe(true);
  });

  it('df and unused reclaimable equal the bytes the daemon frees when exactly the unused images go', async () => {
    const env = userEnv({ DOCKER_HOST: daemon.host });
    await assertPrivateDaemon(env);
    const [df, unused] = await Promise.all([docker(['tidy', 'df', '--json'], env), docker(['tidy', 'unused', '--json'], env)]);
    expect(df.code, df.stderr).toBe(0);
    expect(unused.code, unused.stderr).toBe(0);
    const estimate = JSON.parse(df.stdout).images.reclaimableBytes;
    const doc = JSON.parse(unused.stdout) as { images: { id: string }[]; reclaimableBytes: number; exact: boolean };
    expect(estimate).toBeGreaterThan(0);
    expect(doc.reclaimableBytes).toBe(estimate);
    expect(doc.exact).toBe(!containerdStore);
    expect(JSON.parse(df.stdout).images.exact).toBe(!containerdStore);

    // What the images and the build cache hold together: a BuildKit image's layers move from the
    // one to the other when it goes, and leave the disk only when the cache is pruned.
    type Df = { LayersSize: number; BuildCache: { Size: number; Shared: boolean }[] | null };
    const held = (d: Df): number => d.LayersSize + (d.BuildCache ?? []).filter((b) => !b.Shared).reduce((s, b) => s + b.Size, 0);
    const before = await engine<Df>('GET', '/v1.41/system/df', daemon.host);
    const diskBefore = containerdStore ? await dataRootBytes(daemon.dir) : 0;
    let pending = doc.images.map((i) => i.id);
    // Children before parents: retry what docker refused while another removal made progress.
    for (let round = 0; pending.length > 0 && round < 10; round++) {
      const refused: string[] = [];
      for (const id of pending) {
        const r = await engine<{ message?: string }>('DELETE', `/images/${id}?force=1`, daemon.host);
        if (r.status === 409) refused.push(id);
        else expect(r.status, JSON.stringify(r.body)).toBe(200);
      }
      if (refused.length === pending.length) break;
      pending = refused;
    }
    const after = await engine<Df>('GET', '/v1.41/system/df', daemon.host);
    if (containerdStore) {
      // There no docker figure says what goes (engine 26's LayersSize counts no content at all):
      // the data root does. BuildKit's layer blobs stay with its cache, and the estimate says so.
      const lost = diskBefore - (await dataRootBytes(daemon.dir));
      expect(withinFivePercent(estimate, lost), `estimated ${estimate}, the disk lost ${lost}`).toBe(true);
    } else {
      expect(held(before.body) - held(after.body)).toBe(estimate);
    }
  });
});

// A build host's build cache (world.sh --builds): multi-stage builds, a rebuild with --no-cache,
// an image built on another, layers that compress well and ones that do not, a legacy-built base.
// On the containerd store the daemon calls every record shared and says what pruning it frees
// no better (engine 28.5: "29.09MB" reclaimed where the disk lost 16.8 MB); the disk is the judge.
describeE2E('the build cache of a build host, against the disk', () => {
  let cacheOnly: TestDaemon;
  let sweep: TestDaemon;
  beforeAll(async () => {
    [cacheOnly, sweep] = await Promise.all([startDaemon(), startDaemon()]);
    await Promise.all([buildWorld(cacheOnly, { builds: true }), buildWorld(sweep, { builds: true })]);
  });
  afterAll(async () => {
    await Promise.all([cacheOnly?.stop(), sweep?.stop()]);
  });
  type Records = { BuildCache: { ID: string; InUse: boolean }[] | null };
  const records = async (host: string): Promise<string[]> =>
    ((await engine<Records>('GET', '/system/df?type=build-cache', host)).body.BuildCache ?? []).filter((b) => !b.InUse).map((b) => b.ID);

  it("df's build-cache reclaimable is what pruning all of it frees while the images stay (within 5%)", async () => {
    const env = userEnv({ DOCKER_HOST: cacheOnly.host });
    await assertPrivateDaemon(env);
    const df = await docker(['tidy', 'df', '--json'], env);
    expect(df.code, df.stderr).toBe(0);
    const said = (JSON.parse(df.stdout) as { buildCache: { reclaimableBytes: number } }).buildCache.reclaimableBytes;
    expect(said).toBeGreaterThan(1_000_000);
    // The containerd store is judged by the disk; the classic store by the daemon's own accounting,
    // which docker tidy's figures are there to the byte (the disk gives back more: overlay2's directories).
    const measure = (): Promise<number> => (containerdStore ? dataRootBytes(cacheOnly.dir) : accountedBytes(cacheOnly.host));
    const before = await measure();
    const pruned = await engine('POST', '/build/prune?all=1', cacheOnly.host);
    expect(pruned.status).toBe(200);
    expect(await records(cacheOnly.host)).toEqual([]);
    const lost = before - (await measure());
    if (containerdStore) expect(withinFivePercent(said, lost), `df said ${said}, the disk lost ${lost}`).toBe(true);
    else expect(said).toBe(lost);
  });

  it('prune -a frees every unused image and every record in one run, within 5% of the disk, and a second run finds nothing', async () => {
    const env = userEnv({ DOCKER_HOST: sweep.host });
    await assertPrivateDaemon(env);
    const measure = (): Promise<number> => (containerdStore ? dataRootBytes(sweep.dir) : accountedBytes(sweep.host));
    const before = await measure();
    const r = await docker(['tidy', 'prune', '-a', '--include-local', '-f', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { estimatedBytes: number; reclaimedBytes: number; buildCache: unknown[] };
    const lost = before - (await measure());
    if (containerdStore) {
      expect(withinFivePercent(doc.estimatedBytes, lost), `estimated ${doc.estimatedBytes}, the disk lost ${lost}`).toBe(true);
      expect(withinFivePercent(doc.reclaimedBytes, lost), `reclaimed ${doc.reclaimedBytes}, the disk lost ${lost}`).toBe(true);
    } else expect([doc.estimatedBytes, doc.reclaimedBytes]).toEqual([lost, lost]);
    // Every record went in this one run, those the others were built on too.
    expect(await records(sweep.host)).toEqual([]);
    const again = await docker(['tidy', 'prune', '-a', '--include-local', '-f', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { buildCache: unknown[] }).buildCache).toEqual([]);
  });
});

describeE2E('the destructive-test guard', () => {
  it('refuses a daemon this run did not start', async () => {
    await expect(assertPrivateDaemon({ DOCKER_HOST: 'unix:///var/run/docker.sock' })).rejects.toThrow(/not a daemon this test run started/);
    await expect(assertPrivateDaemon({})).rejects.toThrow(/the default daemon/);
    await expect(assertPrivateDaemon({ DOCKER_HOST: world.host, DOCKER_CONTEXT: 'prod' })).rejects.toThrow(/DOCKER_CONTEXT/);
  });

  it('accepts the daemon global setup started', async () => {
    await expect(assertPrivateDaemon({ ...process.env, DOCKER_HOST: world.host, DOCKER_CONTEXT: undefined })).resolves.toBeUndefined();
  });
});
