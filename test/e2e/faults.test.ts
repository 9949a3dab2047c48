// Removal under faults, on a world of its own: interrupted in the middle (SIGTERM to docker, which
// closes the plugin socket), the daemon dying in the middle, and 5,000 references in one run.
// Each asserts what was reported against what the daemon then holds: nothing lost unreported,
// nothing left running, and the same command, run again, finishing the job.
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeE2E, docker, engine, freshWorld, run, scratchDir, watchImageDeletions } from './harness.js';

interface RmDoc {
  images: { id: string; tags: string[] }[];
  failed: { id: string; tags: string[]; error: string }[];
  interrupted?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Processes whose environment points DOCKER_HOST at `host` (the plugin's docker children among them). */
function processesFor(host: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      if (environ.includes(`DOCKER_HOST=${host}`) && /dial-stdio|docker-tidy/.test(cmd)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
}

describeE2E('removal under faults', () => {
  const world = freshWorld();
  const host = (): string => world.daemon().host;
  /** The tags starting with `prefix`. On the containerd store a listing made while images are being
   * deleted can fail (seen in CI: not a list); such an answer is asked again. */
  const bulkTags = async (prefix: string): Promise<string[]> => {
    for (let attempt = 0; ; attempt++) {
      const r = await engine<{ RepoTags: string[] | null }[]>('GET', '/images/json', host());
      if (r.status === 200) return r.body.flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(prefix));
      if (attempt >= 20) throw new Error(`GET /images/json: ${r.status} ${JSON.stringify(r.body)}`);
      await sleep(50);
    }
  };

  /** `count` distinct small images named PREFIX-N:1, imported from tars with their own bytes. */
  async function makeImages(prefix: string, count: number): Promise<void> {
    const dir = scratchDir('bulk');
    const make = async (n: number): Promise<void> => {
      const root = join(dir, String(n));
      mkdirSync(root);
      writeFileSync(join(root, 'data'), `${prefix} ${n} ${Math.random()}`.repeat(2000));
      expect((await run('tar', ['-C', root, '-cf', `${root}.tar`, '.'], process.env)).code).toBe(0);
      const r = await docker(['import', `${root}.tar`, `${prefix}-${n}:1`], world.env());
      expect(r.code, r.stderr).toBe(0);
    };
    for (let n = 0; n < count; n += 6) await Promise.all(Array.from({ length: Math.min(6, count - n) }, (_, i) => make(n + i)));
  }

  /** Starts `docker tidy rm` on the bulk images; resolves once the daemon has deleted `gone` of them. */
  async function startRemoval(prefix: string, gone: number) {
    let pid = 0;
    const deletions = await watchImageDeletions(host());
    const finished = run('docker', ['tidy', 'rm', '--match', `^${prefix}-`, '--include-local', '-f', '--json'], world.env(), {
      onSpawn: (p) => (pid = p),
      timeoutMs: 120_000,
    });
    let done = false;
    void finished.finally(() => (done = true));
    while (!done && deletions.count() < gone) await sleep(2);
    deletions.close();
    return { pid, finished };
  }

  it('SIGTERM in the middle: stops starting removals, reports exactly what was done, exits 130, leaves no docker child', async () => {
    await makeImages('interrupt', 60);
    const { pid, finished } = await startRemoval('interrupt', 3);
    const children = processesFor(host());
    expect(children.length).toBeGreaterThan(0);
    process.kill(pid, 'SIGTERM');
    const r = await finished;
    expect(r.code, r.stderr).toBe(130);
    const doc = JSON.parse(r.stdout) as RmDoc;
    expect(doc.interrupted).toBe(true);
    const left = new Set(await bulkTags('interrupt'));
    // Everything reported removed is gone; everything not reported is still there.
    const reported = doc.images.flatMap((x) => x.tags);
    expect(reported.length).toBeGreaterThan(0);
    expect(reported.length).toBeLessThan(60);
    for (const tag of reported) expect(left.has(tag)).toBe(false);
    expect(left.size + reported.length).toBe(60);
    // No docker process it started outlives it.
    for (let i = 0; i < 100 && processesFor(host()).some((p) => children.includes(p)); i++) await sleep(50);
    expect(processesFor(host()).filter((p) => children.includes(p))).toEqual([]);
    // The same command finishes the job.
    const again = await docker(['tidy', 'rm', '--match', '^interrupt-', '--include-local', '-f', '--json'], world.env());
    expect(again.code, again.stderr).toBe(0);
    expect(await bulkTags('interrupt')).toEqual([]);
  });

  it('the daemon dying in the middle: reports what was removed and what failed, exits 1; run again after it is back, it finishes', async () => {
    await makeImages('crash', 60);
    const { finished } = await startRemoval('crash', 3);
    process.kill(Number(readFileSync(join(world.daemon().dir, 'dockerd.pid'), 'utf8')), 'SIGKILL');
    const r = await finished;
    await world.daemon().restart();
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as RmDoc;
    // Removals in flight when the daemon died are reported as failed (they may or may not have happened).
    expect(doc.failed.length).toBeGreaterThan(0);
    expect(doc.images.length + doc.failed.length).toBeLessThanOrEqual(60);
    expect(doc.failed[0]!.error).toMatch(/daemon|connect|EOF|closed|reset/i);

    const env = { ...world.env(), DOCKER_HOST: world.daemon().host };
    const left = await bulkTags('crash');
    // Nothing reported removed came back; nothing else went.
    for (const tag of doc.images.flatMap((x) => x.tags)) expect(left).not.toContain(tag);
    expect(left.length).toBeGreaterThanOrEqual(60 - doc.images.length - 4);
    const again = await docker(['tidy', 'rm', '--match', '^crash-', '--include-local', '-f', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(await bulkTags('crash')).toEqual([]);
  });

  it('prune: SIGTERM in the middle, then the daemon dying in the middle; each reported exactly, and a rerun finishes', async () => {
    const containerNames = async (): Promise<string[]> =>
      (await engine<{ Names: string[] }[]>('GET', '/containers/json?all=1', host())).body.map((c) => c.Names[0]!.slice(1)).filter((n) => n.startsWith('stopped-'));
    const create = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i += 10) {
        await Promise.all(
          Array.from({ length: Math.min(10, n - i) }, async (_, k) => {
            const r = await engine('POST', `/containers/create?name=stopped-${i + k}`, host(), { Image: 'busybox:latest', Cmd: ['true'], NetworkDisabled: true });
            expect(r.status).toBe(201);
          }),
        );
      }
    };
    const prune = (env: NodeJS.ProcessEnv) => {
      let pid = 0;
      const finished = run('docker', ['tidy', 'prune', '--containers', '-f', '--json'], env, { onSpawn: (p) => (pid = p), timeoutMs: 120_000 });
      return { pid: () => pid, finished };
    };
    const waitUntilFewer = async (than: number): Promise<void> => {
      for (let i = 0; i < 2000 && (await containerNames()).length >= than; i++) await sleep(10);
    };

    await create(80);
    const first = prune(world.env());
    await waitUntilFewer(77);
    process.kill(first.pid(), 'SIGTERM');
    const r1 = await first.finished;
    expect(r1.code, r1.stderr).toBe(130);
    const doc1 = JSON.parse(r1.stdout) as { containers: { name: string }[]; interrupted?: boolean };
    expect(doc1.interrupted).toBe(true);
    const left1 = await containerNames();
    expect(doc1.containers.length).toBeGreaterThan(0);
    for (const c of doc1.containers.filter((x) => x.name.startsWith('stopped-'))) expect(left1).not.toContain(c.name);
    expect(left1.length + doc1.containers.filter((x) => x.name.startsWith('stopped-')).length).toBe(80);

    const second = prune(world.env());
    await waitUntilFewer(left1.length - 2);
    process.kill(Number(readFileSync(join(world.daemon().dir, 'dockerd.pid'), 'utf8')), 'SIGKILL');
    const r2 = await second.finished;
    await world.daemon().restart();
    expect(r2.code).toBe(1);
    const doc2 = JSON.parse(r2.stdout) as { containers: { name: string }[]; failed: { kind: string; error: string }[] };
    expect(doc2.failed.length).toBeGreaterThan(0);
    expect(doc2.failed[0]).toMatchObject({ kind: 'container', error: expect.stringMatching(/lost the connection|cannot connect/) });

    const env = { ...world.env(), DOCKER_HOST: world.daemon().host };
    const left2 = await containerNames();
    for (const c of doc2.containers) expect(left2).not.toContain(c.name);
    const again = await run('docker', ['tidy', 'prune', '--containers', '-f', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(await containerNames()).toEqual([]);
  });

  // The load test: minutes of the daemon's own tagging. With CI=true (or TIDY_E2E_LOAD=1) only.
  it.runIf(process.env.CI === 'true' || process.env.TIDY_E2E_LOAD === '1')('removes 5,000 references in one run, with progress on a terminal', async () => {
    // 5,000 tags of one image: each a reference to remove, no argument list anywhere.
    const target = (await engine<{ Id: string; RepoTags: string[] | null }[]>('GET', '/images/json', host())).body.find((i) =>
      (i.RepoTags ?? []).includes('busybox:latest'),
    )!.Id;
    for (let n = 0; n < 5000; n += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const r = await engine('POST', `/images/${target}/tag?repo=many/ref${n + i}&tag=v1`, host());
          expect(r.status).toBe(201);
        }),
      );
    }
    expect(await bulkTags('many/')).toHaveLength(5000);
    // `script` gives it a terminal, so it shows progress (stdout and stderr both land there).
    const r = await run('script', ['-qec', "docker tidy rm --match '^many/' -f", '/dev/null'], world.env(), { timeoutMs: 600_000 });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/Removing: \d+\/5000 references/);
    expect(r.stdout).toContain('Removing: 5000/5000 references');
    // Each progress line clears what a longer one before it left on the line.
    expect(r.stdout).toMatch(/\rRemoving: \d+\/5000 references, [^\r\n]* freed\x1b\[K/);
    expect(await bulkTags('many/')).toEqual([]);
    expect((await engine('GET', '/images/busybox:latest/json', host())).status).toBe(200);
    // The daemon's own cost of 5,000 tags grows with their number (its reference store is rewritten
    // on every change): minutes on the containerd store under load. Engine 28.5's containerd store
    // took 734 s for this test in a run of the three default engines on 2 busy cores (tagging alone
    // took 537 s, the removal 188 s, measured apart).
  }, 1_200_000);
});
