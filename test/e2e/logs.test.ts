// Container log files, on a world of its own: containers that wrote known amounts of log (running,
// stopped, with and without rotation, the local driver, syslog with docker's cache, journald,
// none), read by docker tidy here and through its helper container, checked against stat on the
// private daemon's own files; the helper never left behind, also when interrupted; rm and prune
// counting the logs of the containers they remove.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync, chmodSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { formatBytes } from '../../src/core/units.js';
import type { LogEntryV1 as LogEntry, LogSectionV1 as LogSection, LogsDocumentV1 } from '../../src/render/documents.js';
import { containerdStore, describeE2E, docker, engine, freshWorld, run, world as suite } from './harness.js';

/** 99 characters and a newline: each line's payload is 100 bytes. */
const LINE = 'x'.repeat(99);
const writes = (lines: number): string => `i=0; while [ $i -lt ${lines} ]; do echo ${LINE}; i=$((i+1)); done`;
const HELPER_FILTER = encodeURIComponent(JSON.stringify({ label: ['org.docker-tidy.helper'] }));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface ApiContainer {
  Id: string;
  Names: string[];
  State: string;
  SizeRw?: number;
}

describeE2E('container logs', () => {
  const world = freshWorld();
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...world.env(), ...extra });
  const host = (): string => world.daemon().host;
  const ok = async (args: string[], extra: Record<string, string> = {}) => {
    const r = await docker(args, env(extra));
    expect(r.code, `docker ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  const ids = new Map<string, string>();
  const idOf = (name: string): string => ids.get(name)!;

  /** A container's log files as stat sees them in the daemon's data root: json-file's LogPath and its rotations, the local driver's directory, docker's cache. */
  function statLog(id: string): { bytes: number; files: string[] } {
    const dir = join(world.daemon().env.TIDY_DATA_ROOT!, 'containers', id);
    if (!existsSync(dir)) return { bytes: 0, files: [] };
    const files = [
      ...readdirSync(dir).filter((n) => n.startsWith(`${id}-json.log`) || n.startsWith('container-cached.log')),
      ...(existsSync(join(dir, 'local-logs')) ? readdirSync(join(dir, 'local-logs')).map((n) => `local-logs/${n}`) : []),
    ];
    return { bytes: files.reduce((s, f) => s + statSync(join(dir, f)).size, 0), files: files.sort() };
  }
  const containers = async (): Promise<ApiContainer[]> => (await engine<ApiContainer[]>('GET', '/containers/json?all=1', host())).body;
  const helpersLeft = async (): Promise<string[]> =>
    (await engine<ApiContainer[]>('GET', `/containers/json?all=1&filters=${HELPER_FILTER}`, host())).body.map((c) => c.Names[0]!);
  /** The Container logs figures as stat sees them, over every container of the daemon (the world's too). */
  async function expected(): Promise<{ total: number; active: number; sizeBytes: number; reclaimableBytes: number }> {
    let total = 0;
    let active = 0;
    let sizeBytes = 0;
    let reclaimableBytes = 0;
    for (const c of await containers()) {
      const log = statLog(c.Id);
      const running = ['running', 'paused', 'restarting'].includes(c.State);
      if (log.files.length) total += 1;
      if (log.files.length && running) active += 1;
      sizeBytes += log.bytes;
      if (!running) reclaimableBytes += log.bytes;
    }
    return { total, active, sizeBytes, reclaimableBytes };
  }

  beforeAll(async () => {
    const runIt = async (name: string, flags: string[], script: string, image = 'busybox:latest'): Promise<void> => {
      const r = await ok(['run', '-d', '--network', 'none', '--name', name, ...flags, image, 'sh', '-c', script]);
      ids.set(name, r.stdout.trim());
    };
    await runIt('log-running', [], `${writes(3000)}; exec sleep 100000`);
    await runIt('log-stopped', [], writes(2000));
    await runIt('log-rotated', ['--log-opt', 'max-size=10k', '--log-opt', 'max-file=3'], writes(2000));
    await runIt('log-local', ['--log-driver', 'local'], writes(2000));
    await runIt('log-local-rotated', ['--log-driver', 'local', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=3'], writes(2000));
    // syslog to a port nobody listens on (UDP: sent all the same): docker keeps its cache for `docker logs`.
    await runIt('log-syslog', ['--log-driver', 'syslog', '--log-opt', 'syslog-address=udp://127.0.0.1:9'], writes(500));
    await runIt('log-none', ['--log-driver', 'none'], writes(100));
    // journald: created only (this machine has no journal to start it with); it would keep no file.
    ids.set('log-journald', (await ok(['create', '--network', 'none', '--name', 'log-journald', '--log-driver', 'journald', 'busybox:latest', 'true'])).stdout.trim());
    // For rm --with-containers: an image of its own (a leaf), used by one stopped container with a log.
    await ok(['commit', 'log-none', 'logimg:1']);
    await runIt('log-rm', [], writes(1000), 'logimg:1');
    await ok(['wait', 'log-stopped', 'log-rotated', 'log-local', 'log-local-rotated', 'log-syslog', 'log-none', 'log-rm']);
    // The running one has written all its lines once its log stops growing.
    let last = -1;
    for (let i = 0; i < 200; i++) {
      const now = statLog(idOf('log-running')).bytes;
      if (now >= 300_000 && now === last) break;
      last = now;
      await sleep(100);
    }
  });

  it('df, df -v and df --json show every log file as stat sees it: running, stopped, rotated, local, cached', async () => {
    const [json, table, verbose] = await Promise.all([ok(['tidy', 'df', '-v', '--json']), ok(['tidy', 'df']), ok(['tidy', 'df', '-v'])]);
    const logs = JSON.parse(json.stdout).logs as LogSection;
    const want = await expected();
    expect(logs).toMatchObject({ ...want, exact: true, via: 'local' });
    expect(want.sizeBytes).toBeGreaterThan(1_000_000);
    // Each container's bytes, to the byte, largest first.
    const items = logs.items!;
    expect(items).toHaveLength((await containers()).length);
    for (const item of items) expect(item.sizeBytes, item.name).toBe(statLog(item.containerId).bytes);
    expect(items.map((i) => i.sizeBytes)).toEqual([...items.map((i) => i.sizeBytes)].sort((a, b) => b - a));
    const by = (name: string): LogEntry => items.find((i) => i.name === name)!;

    // What each one wrote: 100-byte lines, plus json-file's record around each.
    expect(by('log-running')).toMatchObject({ state: 'running', driver: 'json-file', rotation: null, storage: 'file' });
    expect(by('log-running').sizeBytes).toBeGreaterThan(3000 * 100);
    expect(by('log-stopped')).toMatchObject({ driver: 'json-file', rotation: null });
    expect(by('log-stopped').sizeBytes).toBeGreaterThan(2000 * 100);
    expect(by('log-stopped').sizeBytes).toBeLessThan(2000 * 200);
    // Rotated: three files of at most 10 KiB (and one record) each, the older lines gone.
    expect(by('log-rotated')).toMatchObject({ rotation: { maxSize: 10240, maxFile: 3 } });
    expect(statLog(idOf('log-rotated')).files).toHaveLength(3);
    expect(by('log-rotated').sizeBytes).toBeLessThanOrEqual(3 * (10240 + 200));
    expect(by('log-local')).toMatchObject({ driver: 'local', rotation: { maxSize: 20 * 1024 * 1024, maxFile: 5 }, storage: 'file' });
    expect(by('log-local').sizeBytes).toBeGreaterThan(2000 * 100);
    expect(statLog(idOf('log-local-rotated')).files).toEqual(['local-logs/container.log', 'local-logs/container.log.1.gz', 'local-logs/container.log.2.gz']);
    expect(by('log-local-rotated')).toMatchObject({ rotation: { maxSize: 10240, maxFile: 3 } });
    // syslog keeps no file of its own; docker's cache for `docker logs` is on disk all the same.
    expect(by('log-syslog')).toMatchObject({ driver: 'syslog', storage: 'cache' });
    expect(statLog(idOf('log-syslog')).files).toEqual(['container-cached.log']);
    expect(by('log-syslog').sizeBytes).toBeGreaterThan(500 * 100);
    expect(by('log-journald')).toMatchObject({ driver: 'journald', storage: 'none', sizeBytes: 0, rotation: null });
    expect(by('log-none')).toMatchObject({ driver: 'none', storage: 'none', sizeBytes: 0 });

    // The table's row, in docker's units, and -v's rows.
    const row = table.stdout.split('\n').find((l) => l.startsWith('Container logs'))!;
    const percent = Math.floor((want.reclaimableBytes * 100) / want.sizeBytes);
    expect(row.split(/\s{2,}/)).toEqual(['Container logs', String(want.total), String(want.active), formatBytes(want.sizeBytes, 4), `${formatBytes(want.reclaimableBytes, 4)} (${percent}%)`]);
    expect(verbose.stdout).toContain('Container logs space usage:');
    expect(verbose.stdout).toMatch(new RegExp(`\\n${idOf('log-stopped').slice(0, 12)}\\s+log-stopped\\s+exited\\s+json-file\\s+${formatBytes(by('log-stopped').sizeBytes, 4)}\\s+none: keeps every line\\n`));
    expect(verbose.stdout).toMatch(/\s+log-rotated\s+exited\s+json-file\s+[\d.]+kB\s+10k x 3 files\n/);
    expect(verbose.stdout).toMatch(/\s+log-journald\s+created\s+journald\s+0B\s+no file: lines go to journald\n/);
  });

  it('logs lists containers by log size, marks the ones without a cap, and prints the setting that caps them', async () => {
    const [text, json, df] = await Promise.all([ok(['tidy', 'logs']), ok(['tidy', 'logs', '--json']), ok(['tidy', 'df', '-v', '--json'])]);
    const doc = JSON.parse(json.stdout) as LogsDocumentV1;
    expect(doc.schemaVersion).toBe(1);
    expect(doc.containers).toEqual((JSON.parse(df.stdout).logs as LogSection).items);
    expect(doc.sizeBytes).toBe((await expected()).sizeBytes);
    expect(doc.uncapped).toContain(idOf('log-running'));
    expect(doc.uncapped).toContain(idOf('log-stopped'));
    expect(doc.uncapped).not.toContain(idOf('log-rotated'));
    expect(doc.uncapped).not.toContain(idOf('log-local'));
    expect(doc.growing).toContain(idOf('log-running'));
    expect(doc.growing).not.toContain(idOf('log-stopped'));
    expect(doc.cap).toEqual({ daemonJson: { 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m', 'max-file': '3' } }, logOpts: ['max-size=10m', 'max-file=3'] });

    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^CONTAINER ID\s+NAME\s+STATE\s+DRIVER\s+SIZE\s+ROTATION$/);
    // Largest first: the running one wrote the most.
    expect(lines[1]).toMatch(/^[0-9a-f]{12}\s+log-running\s+running\s+json-file\s+[\d.]+kB\s+none: keeps every line$/);
    expect(text.stdout).toMatch(/containers keep every line of their logs \(json-file without max-size\): .*log-stopped/);
    expect(text.stdout).toMatch(/Running, so their logs keep growing until the disk is full: .*log-running/);
    expect(text.stdout).toContain('  {"log-driver":"json-file","log-opts":{"max-size":"10m","max-file":"3"}}\n');
    expect(text.stdout).toContain('  docker run --log-opt max-size=10m --log-opt max-file=3 ...\n');
    expect(text.stdout).toContain('docker tidy never truncates a log file.');
    // It truncated nothing.
    expect(statLog(idOf('log-stopped')).bytes).toBe(doc.containers.find((c) => c.name === 'log-stopped')!.sizeBytes);
  });

  it('through the helper container (as if the files were not readable here): the same figures, and no container left', async () => {
    const via = { DOCKER_TIDY_LOGS_VIA: 'helper' };
    const [local, helper, logsLocal, logsHelper] = await Promise.all([
      ok(['tidy', 'df', '-v', '--json']),
      ok(['tidy', 'df', '-v', '--json'], via),
      ok(['tidy', 'logs', '--json']),
      ok(['tidy', 'logs', '--json'], via),
    ]);
    const here = JSON.parse(local.stdout).logs as LogSection;
    const there = JSON.parse(helper.stdout).logs as LogSection;
    // The world's smallest busybox-like image: busybox:latest, never pulled.
    expect(there).toMatchObject({ via: 'helper', helperImage: 'busybox:latest', exact: true });
    const { via: _there, helperImage: _image, ...sameThere } = there;
    const { via: _here, ...sameHere } = here;
    expect(sameThere).toEqual(sameHere);
    expect(JSON.parse(logsHelper.stdout).containers).toEqual(JSON.parse(logsLocal.stdout).containers);
    const text = await ok(['tidy', 'df'], via);
    expect(text.stdout).toMatch(/^Container logs\s+\d+\s+\d+\s+[\d.]+[kM]B\s+/m);
    expect(await helpersLeft()).toEqual([]);
    // A named image works too; the helper only stats, so the files are unchanged.
    const named = JSON.parse((await ok(['tidy', 'df', '--json', '--helper', 'alpine:3.19'], via)).stdout).logs as LogSection;
    expect(named).toMatchObject({ via: 'helper', helperImage: 'alpine:3.19', sizeBytes: here.sizeBytes });
    expect(await helpersLeft()).toEqual([]);
  });

  it('as a user who may use the daemon but not read its files: through the helper, the same figures; with no helper image, unknown and why', async () => {
    // The private daemon's socket opened to everyone, its directory passable: its data root stays root's (0710).
    const dir = world.daemon().dir;
    const socket = join(dir, 'docker.sock');
    const home = mkdtempSync(join(tmpdir(), 'tidy-nobody-'));
    chmodSync(home, 0o777);
    chmodSync(dir, 0o711);
    chmodSync(socket, 0o666);
    try {
      const asNobody = (args: string[]) =>
        run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', suite.exe!, ...args], { ...env(), HOME: home, DOCKER_CONFIG: home, XDG_CACHE_HOME: home });
      const [root, nobody, none] = await Promise.all([ok(['tidy', 'logs', '--json']), asNobody(['logs', '--json']), asNobody(['df', '--helper', 'nosuch/helper:1'])]);
      expect(nobody.code, nobody.stderr).toBe(0);
      const doc = JSON.parse(nobody.stdout);
      expect(doc).toMatchObject({ via: 'helper', helperImage: 'busybox:latest', exact: true });
      expect(doc.containers).toEqual(JSON.parse(root.stdout).containers);
      expect(none.code, none.stderr).toBe(0);
      expect(none.stdout).toMatch(/^Container logs\s+\d+\s+\d+\s+unknown\s+unknown$/m);
      expect(none.stdout).toContain(`container log sizes unknown: cannot read ${join(world.daemon().env.TIDY_DATA_ROOT!, 'containers')} on this machine: permission denied; `);
      expect(none.stdout).toMatch(/^to read them: run it as root \(sudo\), or name an image on the daemon that has find and stat for the helper container: --helper IMAGE/m);
    } finally {
      chmodSync(socket, 0o660);
      chmodSync(dir, 0o700);
    }
    expect(await helpersLeft()).toEqual([]);
  });

  it('when neither works: the row says unknown with the reason and the fix, and nothing else in the report changes', async () => {
    const [normal, unknown, table] = await Promise.all([
      ok(['tidy', 'df', '--json']),
      ok(['tidy', 'df', '--json', '--helper', 'nosuch/helper:1'], { DOCKER_TIDY_LOGS_VIA: 'helper' }),
      ok(['tidy', 'df', '--helper', 'nosuch/helper:1'], { DOCKER_TIDY_LOGS_VIA: 'helper' }),
    ]);
    const a = JSON.parse(normal.stdout);
    const b = JSON.parse(unknown.stdout);
    expect(b.logs).toMatchObject({ sizeBytes: null, reclaimableBytes: null, exact: false, via: 'unknown' });
    expect(b.logs.unknown.reason).toMatch(/nosuch\/helper:1 is not on the daemon \(docker tidy never pulls an image\)/);
    expect(b.logs.unknown.fix).toMatch(/--helper IMAGE/);
    for (const section of ['images', 'containers', 'volumes', 'buildCache']) expect(b[section]).toEqual(a[section]);
    expect(table.stdout).toMatch(/^Container logs\s+\d+\s+\d+\s+unknown\s+unknown$/m);
    expect(table.stdout).toMatch(/^container log sizes unknown: DOCKER_TIDY_LOGS_VIA=helper; the helper container from nosuch\/helper:1 failed: /m);
    expect(table.stdout).toMatch(/^to read them: name an image on the daemon that has find and stat for the helper container: --helper IMAGE/m);
    expect(await helpersLeft()).toEqual([]);
    // A bad setting or image name is a usage error before docker is asked anything.
    const bad = await docker(['tidy', 'logs'], env({ DOCKER_TIDY_LOGS_VIA: 'maybe' }));
    expect(bad.code).toBe(125);
    expect(bad.stderr).toBe('invalid DOCKER_TIDY_LOGS_VIA "maybe": use auto, local or helper\n');
    const badImage = await docker(['tidy', 'df', '--helper', 'Not An Image'], env());
    expect(badImage.code).toBe(125);
    expect(badImage.stderr).toMatch(/^invalid argument "Not An Image" for "--helper" flag: not an image reference/);
  });

  it('interrupted (SIGTERM) while its helper container runs: exits 130 and removes the helper', async () => {
    // An image whose sh waits 30 s before it runs anything: the helper is still running when the signal comes.
    const root = mkdtempSync(join(tmpdir(), 'tidy-slow-'));
    mkdirSync(join(root, 'bin'));
    copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
    chmodSync(join(root, 'bin', 'busybox'), 0o755);
    writeFileSync(join(root, 'bin', 'sh'), '#!/bin/busybox sh\n/bin/busybox sleep 30\nexec /bin/busybox sh "$@"\n', { mode: 0o755 });
    expect((await run('tar', ['-C', root, '-cf', `${root}.tar`, '.'], process.env)).code).toBe(0);
    await ok(['import', `${root}.tar`, 'slowsh:1']);

    let pid = 0;
    const started = Date.now();
    const finished = run('docker', ['tidy', 'logs', '--helper', 'slowsh:1'], env({ DOCKER_TIDY_LOGS_VIA: 'helper' }), { onSpawn: (p) => (pid = p), timeoutMs: 120_000 });
    let running: string[] = [];
    for (let i = 0; i < 300 && running.length === 0; i++) {
      await sleep(50);
      running = (await engine<ApiContainer[]>('GET', `/containers/json?filters=${HELPER_FILTER}`, host())).body.map((c) => c.Names[0]!);
    }
    expect(running).toHaveLength(1);
    process.kill(pid, 'SIGTERM');
    const r = await finished;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toBe('interrupted\n');
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(await helpersLeft()).toEqual([]);
  });

  it("rm --with-containers counts the container's log in its estimate and in what it freed", async () => {
    const id = idOf('log-rm');
    const log = statLog(id).bytes;
    expect(log).toBeGreaterThan(1000 * 100);
    const sizeRw = (await engine<{ Containers: ApiContainer[] }>('GET', '/system/df', host())).body.Containers.find((c) => c.Id === id)!.SizeRw ?? 0;
    const plan = JSON.parse((await ok(['tidy', 'rm', 'logimg:1', '--with-containers', '--include-local', '--dry-run', '--json'])).stdout);
    expect(plan.containers).toEqual([{ id, name: 'log-rm', state: 'exited', bytes: sizeRw + log, logBytes: log }]);
    expect(plan.estimatedBytes).toBeGreaterThanOrEqual(sizeRw + log);
    const done = JSON.parse((await ok(['tidy', 'rm', 'logimg:1', '--with-containers', '--include-local', '-f', '--json'])).stdout);
    expect(done.containers).toEqual(plan.containers);
    expect(existsSync(join(world.daemon().env.TIDY_DATA_ROOT!, 'containers', id))).toBe(false);
    if (containerdStore) expect(done.reclaimedBytes).toBeGreaterThanOrEqual(sizeRw + log);
    else expect(done.reclaimedBytes).toBe(plan.estimatedBytes);
  });

  it("prune counts the stopped containers' logs in its estimate (read here and through the helper) and frees them", async () => {
    const df = (await engine<{ Containers: ApiContainer[] }>('GET', '/system/df', host())).body.Containers;
    const stopped = df.filter((c) => ['exited', 'created', 'dead'].includes(c.State));
    const logs = new Map(stopped.map((c) => [c.Id, statLog(c.Id).bytes]));
    const want = stopped.reduce((s, c) => s + (c.SizeRw ?? 0) + logs.get(c.Id)!, 0);
    expect([...logs.values()].reduce((s, b) => s + b, 0)).toBeGreaterThan(600_000);

    const [here, helper] = await Promise.all([
      ok(['tidy', 'prune', '--containers', '--dry-run', '--json']),
      ok(['tidy', 'prune', '--containers', '--dry-run', '--json'], { DOCKER_TIDY_LOGS_VIA: 'helper' }),
    ]);
    const plan = JSON.parse(here.stdout);
    expect(JSON.parse(helper.stdout)).toEqual(plan);
    expect(plan.estimatedBytesByCategory.containers).toBe(want);
    expect(plan.estimatedBytes).toBe(want);
    expect(plan.exact).toBe(true);
    for (const c of plan.containers) expect(c.logBytes, c.name).toBe(logs.get(c.id));
    const text = await ok(['tidy', 'prune', '--containers', '--dry-run']);
    expect(text.stdout).toMatch(/^Stopped containers \(\d+\), freeing [\d.]+[kM]B:\nCONTAINER ID\s+NAME\s+STATE\s+SIZE\s+LOGS\n/);
    expect(text.stdout).toMatch(new RegExp(`\\n${idOf('log-stopped').slice(0, 12)}\\s+log-stopped\\s+exited\\s+\\S+\\s+${formatBytes(logs.get(idOf('log-stopped'))!, 4)}\\n`));
    expect(await helpersLeft()).toEqual([]);

    const done = JSON.parse((await ok(['tidy', 'prune', '--containers', '-f', '--json'])).stdout);
    expect(done.reclaimedBytes).toBe(want);
    for (const c of stopped) expect(existsSync(join(world.daemon().env.TIDY_DATA_ROOT!, 'containers', c.Id))).toBe(false);
    // What is left: the running containers' logs.
    const after = JSON.parse((await ok(['tidy', 'df', '--json'])).stdout).logs as LogSection;
    expect(after).toMatchObject({ reclaimableBytes: 0, sizeBytes: (await expected()).sizeBytes });
    expect(after.sizeBytes).toBeGreaterThan(3000 * 100);
  });

  it("prefers docker tidy's own helper image once scripts/helper-image.sh has made it", async () => {
    const made = await run('sh', [join(import.meta.dirname, '..', '..', 'scripts', 'helper-image.sh')], env());
    expect(made.code, made.stderr).toBe(0);
    const [here, helper] = await Promise.all([ok(['tidy', 'logs', '--json']), ok(['tidy', 'logs', '--json'], { DOCKER_TIDY_LOGS_VIA: 'helper' })]);
    const doc = JSON.parse(helper.stdout);
    expect(doc).toMatchObject({ via: 'helper', helperImage: 'docker-tidy/helper:1', exact: true });
    expect(doc.containers).toEqual(JSON.parse(here.stdout).containers);
    expect(await helpersLeft()).toEqual([]);
  });
});
