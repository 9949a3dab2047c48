// Engines that speak newer Engine API versions than Debian has: the built executable against a
// replayed daemon (test/fixtures/fake-docker.mjs, mode replay) that answers with engine 28.5's
// captured answers in the shape of the version asked, and refuses versions below its minimum, as
// Docker 29.0 to 29.2 refuse anything below 1.44 and as an engine that stops serving 1.51 would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { THROUGH_DOCKER, describeE2E, run, userEnv, world, scratchDir } from './harness.js';

const fake = join(import.meta.dirname, '..', 'fixtures', 'fake-docker.mjs');
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'engines');

/** Runs the executable against a replayed daemon; its output and the requests it made. */
async function replayed(args: string[], fixture: string, api: string, minApi: string): Promise<{ code: number | null; stdout: string; stderr: string; log: string }> {
  const log = join(scratchDir('replay'), 'log');
  const env = userEnv({
    DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: fake,
    DOCKER_HOST: THROUGH_DOCKER,
    FAKE_DOCKER_MODE: 'replay',
    FAKE_DOCKER_FIXTURE: join(fixtures, `${fixture}.json`),
    FAKE_DOCKER_API: api,
    FAKE_DOCKER_MIN_API: minApi,
    FAKE_DOCKER_LOG: log,
  });
  const r = await run(world.exe!, args, env, { timeoutMs: 60_000 });
  let requests = '';
  try {
    requests = readFileSync(log, 'utf8');
  } catch {
    // No request was made.
  }
  return { ...r, log: requests };
}

describeE2E('engines newer than 1.51', () => {
  it.each(['28.5', '28.5-containerd'])(
    'df -v --json reads the same from an API 1.56 daemon that refuses below 1.52 as from the 1.51 engine it replays (%s)',
    async (fixture) => {
      const old = await replayed(['df', '-v', '--json'], fixture, '1.51', '1.24');
      expect(old.code, old.stderr).toBe(0);
      // From API 1.42 each part alone (the daemon computes them side by side), never its image part.
      for (const type of ['container', 'volume', 'build-cache']) expect(old.log).toContain(`GET /v1.51/system/df?type=${type}\n`);
      expect(old.log).not.toMatch(/system\/df(\?verbose=1)?$/m);
      // Before 1.42 (engine 20.10 speaks 1.41) the whole of /system/df, one request: the same document.
      const whole = await replayed(['df', '-v', '--json'], fixture, '1.41', '1.24');
      expect(whole.code, whole.stderr).toBe(0);
      expect(whole.log).toMatch(/^GET \/v1\.41\/system\/df$/m);
      expect(whole.log).not.toContain('type=');
      expect(JSON.parse(whole.stdout)).toEqual(JSON.parse(old.stdout));
      const current = await replayed(['df', '-v', '--json'], fixture, '1.56', '1.52');
      expect(current.code, current.stderr).toBe(0);
      expect(current.stderr).toBe('');
      // Asked at the newest version docker tidy speaks, for the objects themselves.
      for (const type of ['container', 'volume', 'build-cache']) expect(current.log).toContain(`GET /v1.55/system/df?type=${type}&verbose=1\n`);
      expect(current.log).not.toMatch(/\/v1\.5[01]\//);
      const doc = JSON.parse(current.stdout);
      expect(doc).toEqual(JSON.parse(old.stdout));
      expect(doc.images.total).toBe(14);
      expect(doc.images.items).toHaveLength(14);
      expect(doc.containers.total).toBe(7);
      expect(doc.volumes.total).toBe(3);
      expect(doc.buildCache.total).toBeGreaterThan(0);
    },
  );

  it('prune -a --dry-run plans the same on both, reading build cache and volumes from the new shape', async () => {
    const args = ['prune', '-a', '--volumes', '--include-local', '--dry-run', '--json'];
    const old = await replayed(args, '28.5', '1.51', '1.24');
    const current = await replayed(args, '28.5', '1.55', '1.44');
    expect(old.code, old.stderr).toBe(0);
    expect(current.code, current.stderr).toBe(0);
    for (const type of ['container', 'volume', 'build-cache']) expect(current.log).toContain(`GET /v1.55/system/df?type=${type}&verbose=1\n`);
    const doc = JSON.parse(current.stdout);
    expect(doc).toEqual(JSON.parse(old.stdout));
    expect(doc.images.length).toBeGreaterThan(0);
    expect(doc.volumes).toHaveLength(1);
    expect(doc.buildCache.length).toBeGreaterThan(0);
    expect(doc.estimatedBytes).toBeGreaterThan(0);
  });

  it("images --json reads the same lists at the daemon's own 1.53", async () => {
    const old = await replayed(['images', '--json'], '28.5-containerd', '1.51', '1.24');
    const current = await replayed(['images', '--json'], '28.5-containerd', '1.53', '1.52');
    expect(current.code, current.stderr).toBe(0);
    expect(current.log).toMatch(/^GET \/v1\.53\/images\/json/m);
    expect(JSON.parse(current.stdout)).toEqual(JSON.parse(old.stdout));
  });

  it("a daemon that refuses the version asked says so in the daemon's words", async () => {
    // A daemon whose minimum is above the newest version docker tidy speaks.
    const r = await replayed(['df', '--json'], '28.5', '1.60', '1.56');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/client version 1\.55 is too old\. Minimum supported API version is 1\.56/);
  });
});
