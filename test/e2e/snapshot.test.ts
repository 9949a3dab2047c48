// The snapshot reader (the docker adapter) against the private daemon: what commands build on,
// including what no command shows yet, and the layer cache never trusted blindly.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { EngineClient } from '../../src/docker/engine.js';
import { readSnapshot } from '../../src/docker/read-snapshot.js';
import { dockerTarget } from '../../src/docker/target.js';
import { describeE2E, docker, userEnv } from './harness.js';

describeE2E('the snapshot', () => {
  it('reads when each container last stopped, only when asked', async () => {
    const env = { ...userEnv(), DOCKER_TIDY_NO_CACHE: '1' };
    const client = new EngineClient(dockerTarget({ argv: [], debug: false }, new AbortController().signal, env));
    try {
      await client.connect();
      const now = Date.now() / 1000;
      const snapshot = await readSnapshot(client, { usage: false, finishTimes: true });
      const byName = new Map(snapshot.containers.map((c) => [c.name, c]));
      expect(byName.get('job-exited')!.finishedAt).toBeGreaterThan(now - 3600);
      expect(byName.get('job-exited')!.finishedAt).toBeLessThanOrEqual(now);
      expect(byName.get('db-created')!.finishedAt).toBe(0);
      expect(byName.get('web-running')!.state).toBe('running');
      const plain = await readSnapshot(client, { usage: false });
      expect(plain.containers.every((c) => c.finishedAt === undefined)).toBe(true);
    } finally {
      client.close();
    }
  });

  it('ignores a corrupt layer cache and rewrites it', async () => {
    const env = userEnv();
    const reference = await docker(['tidy', 'unused', '--json'], { ...env, DOCKER_TIDY_NO_CACHE: '1' });
    await docker(['tidy', 'unused', '--json'], env);
    const dir = join(env.XDG_CACHE_HOME!, 'docker-tidy');
    const file = join(dir, readdirSync(dir).find((f) => f.startsWith('layers-'))!);
    writeFileSync(file, '{"schemaVersion":1,"images":{"sha256:x": [');
    const r = await docker(['tidy', 'unused', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(reference.stdout);
    expect(JSON.parse(readFileSync(file, 'utf8')).schemaVersion).toBe(4);
  });

  it('ignores a cache entry that no longer agrees with the image the daemon reports', async () => {
    const env = userEnv();
    const reference = await docker(['tidy', 'df', '-v', '--json'], { ...env, DOCKER_TIDY_NO_CACHE: '1' });
    await docker(['tidy', 'df', '-v', '--json'], env);
    const dir = join(env.XDG_CACHE_HOME!, 'docker-tidy');
    const file = join(dir, readdirSync(dir).find((f) => f.startsWith('layers-'))!);
    const cache = JSON.parse(readFileSync(file, 'utf8'));
    for (const entry of Object.values(cache.images) as { imageSize: number; sizes: number[] }[]) {
      // Stale: as if the image had other sizes; and sizes that no longer add up.
      entry.sizes = entry.sizes.map((s) => s + 1);
    }
    const [first] = Object.values(cache.images) as { imageSize: number }[];
    first!.imageSize += 1;
    writeFileSync(file, JSON.stringify(cache));
    const r = await docker(['tidy', 'df', '-v', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(reference.stdout);
  });
});
