// Many hosts from one terminal (#16): df, images, unused and rm with --contexts across the suite's
// world daemon, a second private daemon of another engine, a third private daemon reached only over
// ssh (a private sshd on a loopback port, key authentication, whose sessions' DOCKER_HOST is that
// daemon's socket: scripts/sshd.sh), and a context whose socket does not exist, each as a docker
// context in the test's own DOCKER_CONFIG. Each host's figures are checked against that host's own
// daemon; rm removes on all three daemons and is checked on each.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertPrivateDaemon, startDaemon, type TestDaemon } from '../support/daemon.js';
import { describeE2E, docker, engine, run, scratchDir, userEnv, watchImageDeletions, world } from './harness.js';

const sshdScript = join(import.meta.dirname, '..', '..', 'scripts', 'sshd.sh');

interface DaemonDf {
  LayersSize: number;
  Images: { Id: string }[];
  Containers: { Id: string; State: string }[];
  Volumes: unknown[];
}
interface HostEntry {
  context: string;
  endpoint: string;
  ok: boolean;
  result?: Record<string, unknown> & { images: { id: string; sizeBytes: number; unused: boolean }[] };
  error?: { message: string; hint?: string };
}

describeE2E('docker tidy across docker contexts', () => {
  let second: TestDaemon;
  let remote: TestDaemon;
  let sshDir: string;
  let sshHost: string;
  let env: NodeJS.ProcessEnv;
  let down: string;
  const tidy = (args: string[]) => docker(['tidy', ...args], env);

  /** Imports a tiny image (static busybox, `pad` random bytes) into the daemon at `host` as `name`. */
  async function importImage(host: string, name: string, pad: number): Promise<void> {
    const dir = scratchDir('rootfs');
    mkdirSync(join(dir, 'root', 'bin'), { recursive: true });
    writeFileSync(join(dir, 'root', 'pad'), Buffer.from(Array.from({ length: pad }, () => Math.floor(Math.random() * 256))));
    await run('cp', ['/bin/busybox', join(dir, 'root', 'bin', 'busybox')], process.env);
    await run('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'image.tar'), '.'], process.env);
    const done = await docker(['-H', host, 'import', join(dir, 'image.tar'), name], env);
    expect(done.code, done.stderr).toBe(0);
  }
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    // Another engine than the suite's: engine 20.10 beside 28.5, 28.5 beside the rest.
    [second, remote] = await Promise.all([startDaemon({ engine: world.engine === '20.10' ? '28.5' : '20.10' }), startDaemon({ engine: '20.10' })]);
    // The remote daemon's socket is reached only through ssh: docker runs `ssh ... docker system
    // dial-stdio` with the `ssh` first on PATH, which uses the private sshd's keys.
    sshDir = scratchDir('sshd');
    const started = await run(sshdScript, ['start', sshDir, remote.host], process.env);
    expect(started.code, started.stderr).toBe(0);
    const sshEnv = Object.fromEntries(readFileSync(join(sshDir, 'env'), 'utf8').trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
    sshHost = sshEnv.TIDY_SSH_HOST!;
    env = userEnv();
    delete env.DOCKER_HOST;
    env.PATH = `${sshEnv.TIDY_SSH_PATH}:${env.PATH}`;
    down = join(scratchDir('down'), 'docker.sock');
    for (const [name, host] of [
      ['world', world.host!],
      ['second', second.host],
      ['remote', sshHost],
      ['down', `unix://${down}`],
    ]) {
      const made = await docker(['context', 'create', name!, '--docker', `host=${host}`], env);
      expect(made.code, made.stderr).toBe(0);
    }
    await importImage(second.host, 'ctx-e2e/big:1', 900_000);
    await importImage(second.host, 'ctx-e2e/small:1', 1000);
    await importImage(remote.host, 'ctx-e2e/remote:1', 400_000);
  });
  afterAll(async () => {
    if (sshDir) await run(sshdScript, ['stop', sshDir], process.env);
    await Promise.all([second?.stop(), remote?.stop()]);
  });

  it('df: a document per context, each as its own daemon has it (one over ssh), the unreachable one with why, and the total (exit 1)', async () => {
    const [ran, worldDf, secondDf, remoteDf] = await Promise.all([
      tidy(['df', '--json', '--contexts', 'world,second', '--contexts', 'remote,down']),
      engine<DaemonDf>('GET', '/system/df'),
      engine<DaemonDf>('GET', '/system/df', second.host),
      engine<DaemonDf>('GET', '/system/df', remote.host),
    ]);
    expect(ran.code, ran.stderr).toBe(1);
    const doc = JSON.parse(ran.stdout) as { schemaVersion: number; contexts: HostEntry[]; total: Record<string, { total: number; sizeBytes: number }> };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.contexts.map((c) => [c.context, c.endpoint, c.ok])).toEqual([
      ['world', world.host, true],
      ['second', second.host, true],
      ['remote', sshHost, true],
      ['down', `unix://${down}`, false],
    ]);
    const [w, s, r, d] = doc.contexts as [HostEntry, HostEntry, HostEntry, HostEntry];
    for (const [entry, df] of [
      [w, worldDf.body],
      [s, secondDf.body],
      [r, remoteDf.body],
    ] as const) {
      const result = entry.result as unknown as Record<string, { total: number; sizeBytes: number }>;
      expect(result.images!.total, entry.context).toBe(df.Images.length);
      expect(result.containers!.total, entry.context).toBe(df.Containers.length);
      expect(result.volumes!.total, entry.context).toBe(df.Volumes.length);
    }
    // The second and remote daemons are on the classic store (engine 20.10 or 28.5): SIZE is their own LayersSize.
    expect((s.result as unknown as Record<string, { sizeBytes: number }>).images!.sizeBytes).toBe(secondDf.body.LayersSize);
    expect((r.result as unknown as Record<string, { sizeBytes: number }>).images!.sizeBytes).toBe(remoteDf.body.LayersSize);
    // The remote daemon has only its own image; its document names its node (/info Name) as the others do.
    expect(remoteDf.body.Images).toHaveLength(1);
    expect((r.result as { node?: string }).node).toBe((await engine<{ Name: string }>('GET', '/info', remote.host)).body.Name);
    expect(d.error!.message).toMatch(/cannot connect|no such file/i);
    expect(d.error!.message).toContain('down');
    for (const key of ['images', 'containers', 'volumes', 'buildCache']) {
      const sum = [w, s, r].reduce((acc, e) => acc + (e.result as unknown as Record<string, { sizeBytes: number }>)[key]!.sizeBytes, 0);
      expect(doc.total[key]!.sizeBytes, key).toBe(sum);
    }
    // Text: a block per context and the total; the error on stdout in its block, nothing on stdout from progress.
    const text = await tidy(['df', '--contexts', 'world,second,remote,down']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`Context world (${world.host}):\nTYPE`);
    expect(text.stdout).toContain(`Context remote (${sshHost}):\nTYPE`);
    expect(text.stdout).toContain(`Context down (unix://${down}):\nerror: `);
    expect(text.stdout).toMatch(/\nTotal, 3 of 4 contexts:\nTYPE +TOTAL/);
  });

  it('an ssh context whose sshd refuses the key: that host says why, the others are shown (exit 1)', async () => {
    const made = await docker(['context', 'create', 'badkey', '--docker', `host=${sshHost.replace('root@', 'nobody@')}`], env);
    expect(made.code, made.stderr).toBe(0);
    const ran = await tidy(['df', '--json', '--contexts', 'world,badkey']);
    expect(ran.code).toBe(1);
    const doc = JSON.parse(ran.stdout) as { contexts: HostEntry[] };
    expect(doc.contexts.map((c) => c.ok)).toEqual([true, false]);
    expect(doc.contexts[1]!.error!.message).toMatch(/^ssh could not reach the Docker daemon \(context "badkey"\): nobody@127\.0\.0\.1: Permission denied \(publickey\)/);
    expect(doc.contexts[1]!.error!.hint).toMatch(/^check that "ssh -p \d+ nobody@127\.0\.0\.1 docker version" works without a prompt/);
  });

  it('images --sort size: one table with a CONTEXT column, sorted across hosts; --json per host as each daemon lists them', async () => {
    const [ran, worldImages, secondImages, remoteImages] = await Promise.all([
      tidy(['images', '--json', '--contexts', 'second,world,remote']),
      engine<{ Id: string }[]>('GET', '/images/json'),
      engine<{ Id: string }[]>('GET', '/images/json', second.host),
      engine<{ Id: string }[]>('GET', '/images/json', remote.host),
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    const doc = JSON.parse(ran.stdout) as { contexts: HostEntry[]; total: { images: number } };
    const [s, w, r] = doc.contexts as [HostEntry, HostEntry, HostEntry];
    expect(new Set(s.result!.images.map((i) => i.id))).toEqual(new Set(secondImages.body.map((i) => i.Id)));
    expect(new Set(w.result!.images.map((i) => i.id))).toEqual(new Set(worldImages.body.map((i) => i.Id)));
    expect(new Set(r.result!.images.map((i) => i.id))).toEqual(new Set(remoteImages.body.map((i) => i.Id)));
    expect(doc.total.images).toBe(s.result!.images.length + w.result!.images.length + r.result!.images.length);

    // The largest image anywhere is the first row, whichever host it is on.
    const all = [...s.result!.images.map((i) => ({ ...i, context: 'second' })), ...w.result!.images.map((i) => ({ ...i, context: 'world' }))];
    const largest = all.reduce((a, b) => (b.sizeBytes > a.sizeBytes ? b : a));
    const text = await tidy(['images', '--contexts', 'world,second', '--sort', 'size', '--limit', '3']);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CONTEXT +REPOSITORY +TAG +IMAGE ID/);
    expect(lines).toHaveLength(4);
    const [context, , , shortId] = lines[1]!.split(/ {2,}/);
    expect([context, shortId]).toEqual([largest.context, largest.id.slice(7, 19)]);
    // The second daemon's images are in the table too, with their context.
    const bigOnSecond = await tidy(['images', '--contexts', 'world,second,remote', 'ctx-e2e/*']);
    expect(bigOnSecond.stdout).toMatch(/\nsecond +ctx-e2e\/big +1 /);
    expect(bigOnSecond.stdout).toMatch(/\nremote +ctx-e2e\/remote +1 /);
  });

  it('unused: what each host frees, and the sum', async () => {
    const ran = await tidy(['unused', '--json', '--contexts', 'world,second']);
    expect(ran.code, ran.stderr).toBe(0);
    const doc = JSON.parse(ran.stdout) as { contexts: (HostEntry & { result: { reclaimableBytes: number } })[]; total: { images: number; reclaimableBytes: number } };
    for (const c of doc.contexts) {
      // Each host's part is the one-host document of that host.
      const alone = await docker(['tidy', 'unused', '--json'], { ...env, DOCKER_HOST: c.context === 'world' ? world.host : second.host });
      expect(c.result, c.context).toEqual(JSON.parse(alone.stdout));
    }
    expect(doc.total.reclaimableBytes).toBe(doc.contexts.reduce((s, c) => s + c.result.reclaimableBytes, 0));
    expect(doc.contexts[1]!.result.images.map((i) => i.unused)).toEqual([true, true]);
  });

  it('rm --contexts -f removes a matching image on three daemons (one over ssh), keeps the rest, and says the unreachable host (exit 1)', async () => {
    await assertPrivateDaemon(userEnv({ DOCKER_HOST: world.host }));
    await assertPrivateDaemon(userEnv({ DOCKER_HOST: second.host }));
    await assertPrivateDaemon(userEnv({ DOCKER_HOST: remote.host }));
    await importImage(world.host!, 'ctx-e2e/doomed:1', 2000);
    await importImage(second.host, 'ctx-e2e/doomed:1', 3000);
    await importImage(remote.host, 'ctx-e2e/doomed:1', 4000);
    const ids = async (host: string) => (await engine<{ Id: string; RepoTags: string[] | null }[]>('GET', '/images/json', host)).body;
    const before = { world: await ids(world.host!), second: await ids(second.host), remote: await ids(remote.host) };
    const doomed = (list: { Id: string; RepoTags: string[] | null }[]) => list.find((i) => i.RepoTags?.includes('ctx-e2e/doomed:1'))!.Id;
    // Without a terminal and without -f: refused, nothing removed anywhere.
    const refused = await tidy(['rm', '--contexts', 'world,second,remote', '--match', '^ctx-e2e/doomed:', '--include-local']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refusing to remove images without confirmation');
    expect((await ids(second.host)).length).toBe(before.second.length);
    expect((await ids(remote.host)).length).toBe(before.remote.length);

    const ran = await tidy(['rm', '--contexts', 'world,second,remote,down', '--match', '^ctx-e2e/doomed:', '--include-local', '-f', '--json']);
    expect(ran.code, ran.stderr).toBe(1);
    const doc = JSON.parse(ran.stdout) as { contexts: (HostEntry & { result?: { images: { id: string; action: string }[]; failed: unknown[] } })[]; total: { images: number; failedContexts: string[] } };
    expect(doc.contexts.map((c) => c.ok)).toEqual([true, true, true, false]);
    expect(doc.contexts[0]!.result!.images).toEqual([expect.objectContaining({ id: doomed(before.world), action: 'delete' })]);
    expect(doc.contexts[1]!.result!.images).toEqual([expect.objectContaining({ id: doomed(before.second), action: 'delete' })]);
    expect(doc.contexts[2]!.result!.images).toEqual([expect.objectContaining({ id: doomed(before.remote), action: 'delete' })]);
    expect(doc.total).toMatchObject({ images: 3, failedContexts: ['down'] });
    // Each daemon: the doomed image gone, every other image still there.
    const after = { world: await ids(world.host!), second: await ids(second.host), remote: await ids(remote.host) };
    expect(after.world.map((i) => i.Id).sort()).toEqual(before.world.map((i) => i.Id).filter((id) => id !== doomed(before.world)).sort());
    expect(after.second.map((i) => i.Id).sort()).toEqual(before.second.map((i) => i.Id).filter((id) => id !== doomed(before.second)).sort());
    expect(after.remote.map((i) => i.Id).sort()).toEqual(before.remote.map((i) => i.Id).filter((id) => id !== doomed(before.remote)).sort());
  });

  it('refuses before anything runs: both flags (125), an unknown context (1), an IMAGE no host has (1)', async () => {
    const both = await tidy(['df', '--contexts', 'world', '--all-contexts']);
    expect(both.code).toBe(125);
    expect(both.stderr).toContain('--contexts and --all-contexts cannot be used together');
    const unknown = await tidy(['rm', '-f', '--contexts', 'world,nope', 'ctx-e2e/big:1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('context "nope": context not found');
    const nowhere = await tidy(['rm', '-f', '--contexts', 'world,second', 'ctx-e2e/nowhere:1']);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('No such image: ctx-e2e/nowhere:1');
    // ctx-e2e/big:1 (only on the second daemon) is still there.
    expect((await engine<{ RepoTags: string[] | null }[]>('GET', '/images/json', second.host)).body.some((i) => i.RepoTags?.includes('ctx-e2e/big:1'))).toBe(true);
  });

  it("completes --contexts with docker's context names (docker 28's __complete)", async () => {
    const r = await docker(['__completeNoDesc', 'tidy', 'df', '--contexts', 'world,'], env);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe(':4');
    const names = (await docker(['context', 'ls', '--format', '{{.Name}}'], env)).stdout.trim().split('\n');
    expect(names).toEqual(expect.arrayContaining(['default', 'world', 'second', 'remote', 'down']));
    expect(lines.slice(0, -1).sort()).toEqual(names.filter((n) => n !== 'world').map((n) => `world,${n}`).sort());
  });

  // Last: it kills the second daemon.
  it('a host whose daemon dies mid-way is reported as a one-host run is (what is left, the command that finishes), the other host finishes', async () => {
    await assertPrivateDaemon(userEnv({ DOCKER_HOST: world.host }));
    await assertPrivateDaemon(userEnv({ DOCKER_HOST: second.host }));
    await importImage(world.host!, 'ctx-left/w:1', 1000);
    for (let i = 0; i < 24; i += 4) await Promise.all([0, 1, 2, 3].map((j) => importImage(second.host, `ctx-left/s${i + j}:1`, 500 + i + j)));
    const deletions = await watchImageDeletions(second.host);
    const finished = docker(['tidy', 'rm', '--contexts', 'world,second', '--match', '^ctx-left/', '--include-local', '-f', '--json'], env);
    let ended = false;
    void finished.then(() => (ended = true));
    while (deletions.count() < 3 && !ended) await sleep(2);
    process.kill(Number(readFileSync(join(second.dir, 'dockerd.pid'), 'utf8')), 'SIGKILL');
    deletions.close();
    const ran = await finished;
    expect(ran.code, ran.stderr).toBe(1);
    type Result = { images: { id: string }[]; failed: { error: string }[]; left?: string[]; finishCommand?: string };
    const doc = JSON.parse(ran.stdout) as { contexts: (HostEntry & { result?: Result })[]; total: { failedContexts: string[] } };
    const [w, s] = doc.contexts as [HostEntry & { result: Result }, HostEntry & { result: Result }];
    // The world's host finished: its image is gone.
    expect(w.ok && w.result.failed).toEqual([]);
    expect((await engine<{ RepoTags: string[] | null }[]>('GET', '/images/json')).body.some((i) => i.RepoTags?.includes('ctx-left/w:1'))).toBe(false);
    // The second host: what it removed, and what is left with the command that finishes it.
    expect(s.ok).toBe(true);
    expect(s.result.failed.length).toBeGreaterThan(0);
    expect(s.result.left!.length).toBeGreaterThan(0);
    expect(s.result.finishCommand).toMatch(/^docker tidy rm -f --include-local( sha256:[0-9a-f]{64})+$/);
    expect(doc.total.failedContexts).toEqual(['second']);
    await second.restart();
    const present = (await engine<{ Id: string; RepoTags: string[] | null }[]>('GET', '/images/json', second.host)).body.filter((i) => i.RepoTags?.some((t) => t.startsWith('ctx-left/')));
    for (const image of present) expect(s.result.left).toContain(image.Id);
    const again = await docker(s.result.finishCommand!.split(' ').slice(1), { ...env, DOCKER_HOST: second.host });
    expect(again.code, again.stderr).toBe(0);
    expect((await engine<{ RepoTags: string[] | null }[]>('GET', '/images/json', second.host)).body.some((i) => i.RepoTags?.some((t) => t.startsWith('ctx-left/')))).toBe(false);
  });
});
