// The honest-reclaimable promise, checked the only way that counts: remove exactly the images no
// container uses and compare the bytes the daemon freed with what `docker tidy df` said.
// Destructive, so it runs on a world of its own.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertPrivateDaemon, buildWorld, startDaemon, type TestDaemon } from '../support/daemon.js';
import { containerdStore, describeE2E, docker, engine, userEnv, world } from './harness.js';

describeE2E('docker tidy df reclaimable', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await startDaemon();
    await buildWorld(daemon);
  });
  afterAll(async () => {
    await daemon?.stop();
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
      // There the daemon also drops snapshots no image lists (build steps' leftovers), and
      // compressed content no docker figure reports: the estimate, marked as one, is a lower bound.
      expect(before.body.LayersSize - after.body.LayersSize).toBeGreaterThanOrEqual(estimate);
    } else {
      expect(held(before.body) - held(after.body)).toBe(estimate);
    }
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
