// The plugin as docker runs it: handshake, help, global options, exit codes, errors, faults and
// cancellation, through the real docker CLI (28.x and 20.10) against the private daemon.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { CLIENTS, THROUGH_DOCKER, describeE2E, docker, run, tcpProxy, tlsProxy, userEnv, world, scratchDir } from './harness.js';

const fake = join(import.meta.dirname, '..', 'fixtures', 'fake-docker.mjs');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The standalone executable with a fake docker that misbehaves as `mode` says (and is the way to the daemon). */
function fakeEnv(mode: string, extra: Record<string, string> = {}): { env: NodeJS.ProcessEnv; pidfile: string } {
  const pidfile = join(scratchDir('fake'), 'pid');
  return {
    pidfile,
    env: userEnv({ DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: fake, DOCKER_HOST: THROUGH_DOCKER, FAKE_DOCKER_MODE: mode, FAKE_DOCKER_PIDFILE: pidfile, ...extra }),
  };
}

describeE2E('the plugin handshake and help', () => {
  it('answers the metadata handshake with JSON only, without touching the daemon', async () => {
    const r = await run(world.exe!, ['docker-cli-plugin-metadata'], userEnv({ DOCKER_HOST: 'unix:///nonexistent.sock' }));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      SchemaVersion: '0.1.0',
      Vendor: 'docker-tidy',
      Version: pkg.version,
      ShortDescription: expect.any(String),
      URL: expect.stringMatching(/^https:\/\//),
    });
  });

  it.each(CLIENTS)('is listed by %s --help and answers --version', async (client) => {
    const env = userEnv();
    const help = await docker(['--help'], env, client);
    expect(help.stdout).toMatch(/\n\s+tidy\*?\s+Show where disk space goes/);
    expect(help.stdout + help.stderr).not.toContain('Invalid Plugins');
    const version = await docker(['tidy', '--version'], env, client);
    expect(version).toMatchObject({ code: 0, stdout: `docker tidy version ${pkg.version}\n` });
  });

  it('prints docker-style help for docker help tidy, --help and a command', async () => {
    const env = userEnv();
    const viaHelp = await docker(['help', 'tidy'], env);
    const viaFlag = await docker(['tidy', '--help'], env);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toContain('Usage:  docker tidy [OPTIONS] COMMAND');
    expect(viaFlag.stdout).toBe(viaHelp.stdout);
    const df = await docker(['tidy', 'df', '--help'], env);
    expect(df.code).toBe(0);
    expect(df.stdout).toContain('Usage:  docker tidy df [OPTIONS]');
    expect(df.stdout).toMatch(/-v, --verbose/);
  });

  it('answers shell completion in cobra format', async () => {
    const env = userEnv();
    const viaDocker = await docker(['__complete', 'tidy', ''], env);
    expect(viaDocker.stdout.split('\n')).toEqual(expect.arrayContaining([expect.stringMatching(/^df\t/), ':4']));
    const direct = await run(world.exe!, ['__completeNoDesc', 'df', '--j'], env);
    expect(direct.stdout).toBe('--json\n:4\n');
    // docker tidy rm <TAB> offers the daemon's image references, as docker rmi <TAB> does.
    const refs = await docker(['__complete', 'tidy', 'rm', 'postgres:13-b'], env);
    expect(refs.stdout).toBe('postgres:13-beta1\npostgres:13-beta2\n:4\n');
  });
});

describeE2E('docker global options and clients', () => {
  it('gives the same answer through both clients and standalone', async () => {
    const env = userEnv();
    // One after the other: BuildKit reports a build-cache record in use while another disk-usage
    // run measures it (see df.test.ts), which would change the documents, not docker tidy.
    const outputs = [];
    for (const c of CLIENTS) outputs.push(await docker(['tidy', 'df', '--json'], env, c));
    outputs.push(await run(world.exe!, ['df', '--json'], env));
    for (const r of outputs) expect(r.code, r.stderr).toBe(0);
    const [first, ...rest] = outputs.map((r) => JSON.parse(r.stdout));
    expect(first.images.total).toBeGreaterThan(0);
    for (const doc of rest) expect(doc).toEqual(first);
  });

  it('finds the daemon as docker does without running docker (DOCKER_HOST, a context by DOCKER_CONTEXT or currentContext, tcp, TLS), with the same answers', async () => {
    // A small real program in front of docker that records how docker tidy runs it.
    const dir = scratchDir('docker-log');
    const log = join(dir, 'log');
    const wrapper = join(dir, 'docker');
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec docker "$@"\n`, { mode: 0o755 });
    const calls = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    const tcp = await tcpProxy();
    const tls = await tlsProxy();
    try {
      // DOCKER_HOST names the socket: docker is not run at all.
      const direct = await run(world.exe!, ['df', '--json'], userEnv({ DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: wrapper }));
      expect(direct.code, direct.stderr).toBe(0);
      expect(calls()).toBe('');

      // Contexts made by docker itself: read from their metadata and TLS files, docker not run.
      const env = userEnv({ DOCKER_HOST: undefined, DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: wrapper });
      const create = async (name: string, endpoint: string): Promise<void> => {
        const created = await docker(['context', 'create', name, '--docker', endpoint], env);
        expect(created.code, created.stderr).toBe(0);
      };
      await create('tidy-socket', `host=${world.host}`);
      await create('tidy-tcp', `host=${tcp.host}`);
      await create('tidy-tls', `host=${tls.host},ca=${tls.dir}/ca.pem,cert=${tls.dir}/cert.pem,key=${tls.dir}/key.pem`);
      writeFileSync(log, '');
      const viaEnv = await run(world.exe!, ['df', '--json'], { ...env, DOCKER_CONTEXT: 'tidy-socket' });
      writeFileSync(join(env.DOCKER_CONFIG!, 'config.json'), JSON.stringify({ currentContext: 'tidy-tls' }));
      const viaCurrent = await run(world.exe!, ['df', '--json'], env);
      const viaTcp = await run(world.exe!, ['--context', 'tidy-tcp', 'df', '--json'], env);
      for (const r of [viaEnv, viaCurrent, viaTcp]) {
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual(JSON.parse(direct.stdout));
      }
      expect(calls()).toBe('');
      // The TLS endpoint really is one: it took the context's client certificate, and docker itself reads the same through it.
      expect(tls.handshakes()).toBeGreaterThan(0);
      expect((await docker(['system', 'df'], env)).code).toBe(0);

      // Through docker (a context docker would report missing): docker says so in its own words.
      writeFileSync(log, '');
      const missing = await run(world.exe!, ['df'], { ...env, DOCKER_CONTEXT: 'tidy-nope' });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^unable to resolve docker endpoint: context "tidy-nope": context not found/);
      expect(calls()).toMatch(/^context inspect /m);
    } finally {
      tcp.close();
      tls.close();
    }
  });

  it('passes -H/--host to its docker calls (both forms)', async () => {
    const env = userEnv({ DOCKER_HOST: undefined });
    for (const args of [['-H', world.host!], [`--host=${world.host}`]]) {
      const r = await docker([...args, 'tidy', 'df', '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).images.total).toBeGreaterThan(0);
    }
  });

  it('passes --config and --context, which reach the plugin only in argv', async () => {
    const env = userEnv({ DOCKER_HOST: undefined });
    const config = env.DOCKER_CONFIG!;
    const created = await docker(['--config', config, 'context', 'create', 'tidy-ctx', '--docker', `host=${world.host}`], env);
    expect(created.code, created.stderr).toBe(0);
    delete env.DOCKER_CONFIG;
    // Without the forwarded --config the plugin's docker calls would not know the context.
    const r = await docker([`--config=${config}`, '--context', 'tidy-ctx', 'tidy', 'df', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).images.total).toBeGreaterThan(0);
  });
});

describeE2E('usage errors and failures', () => {
  it.each([
    [['tidy', 'df', '--bogus'], "unknown flag: --bogus\nSee 'docker tidy df --help'.\n"],
    [['tidy', 'nope'], "unknown command: docker tidy nope\nSee 'docker tidy --help'.\n"],
    [['tidy', 'df', 'extra'], '"docker tidy df" accepts no arguments\nSee \'docker tidy df --help\'.\n'],
  ])('%j exits 125 with a docker-style message', async (args, message) => {
    const r = await docker(args, userEnv());
    expect(r).toMatchObject({ code: 125, stdout: '', stderr: message });
  });

  it("says docker's own words at once when nothing listens where the daemon should be, without running docker", async () => {
    // No socket at all, a file that is not one, a port nobody listens on.
    const notSocket = join(scratchDir('dead'), 'docker.sock');
    writeFileSync(notSocket, '');
    for (const host of ['unix:///nonexistent/docker.sock', `unix://${notSocket}`, 'tcp://127.0.0.1:9']) {
      const env = userEnv({ DOCKER_HOST: host, DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: '/nonexistent/docker' });
      const [ours, theirs] = await Promise.all([docker(['tidy', 'df', '--json'], env), docker(['system', 'df'], env)]);
      expect(ours).toMatchObject({ code: 1, stdout: '' });
      expect(ours.stderr).toBe(`Cannot connect to the Docker daemon at ${host}. Is the docker daemon running?\n`);
      expect(ours.stderr).toBe(theirs.stderr);
    }
  });

  it('finishes quietly when the reader of its output goes away (| head)', async () => {
    const r = await run('bash', ['-c', 'docker tidy images | true; echo "exit ${PIPESTATUS[0]}"'], userEnv());
    expect(r.stdout).toBe('exit 0\n');
    expect(r.stderr).toBe('');
  });

  it('shows the stack only with -D', async () => {
    const r = await docker(['-D', '-H', 'unix:///nonexistent/docker.sock', 'tidy', 'df'], userEnv());
    expect(r.stderr).toMatch(/^Cannot connect to the Docker daemon at unix:\/\/\/nonexistent\/docker\.sock\. Is the docker daemon running\?\n/);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('says how to fix a permission denied socket', async () => {
    const env = userEnv({ HOME: '/tmp' });
    chmodSync(env.DOCKER_CONFIG!, 0o755);
    chmodSync(env.XDG_CACHE_HOME!, 0o777);
    const r = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', world.exe!, 'df'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('permission denied while connecting to the Docker daemon');
    expect(r.stderr).toContain('usermod -aG docker');
  });

  it('says so when the docker binary is missing', async () => {
    const r = await run(world.exe!, ['df'], userEnv({ DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: '/nonexistent/docker', DOCKER_HOST: THROUGH_DOCKER }));
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe(
      `docker binary not found: "/nonexistent/docker", which docker tidy needs to reach the Docker daemon (DOCKER_HOST=${THROUGH_DOCKER})\n` +
        'install the docker CLI, or put it on PATH; without it docker tidy reaches only a local socket or tcp:// (DOCKER_HOST, -H, or a context in the docker config folder; /var/run/docker.sock when none is set), not ssh://\n',
    );
  });

  it.each([
    ['garbage', /GET \/system\/df: the daemon's answer is not valid JSON/],
    ['schema', /GET \/system\/df: unexpected answer from the daemon at (Images|LayersSize): /],
    ['crash', /segmentation fault \(injected\)/],
  ])('fails clearly when docker answers with %s', async (mode, message) => {
    const { env } = fakeEnv(mode);
    const r = await run(world.exe!, ['df', '--json'], env, { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it.each([
    ['rm', ['rm', '--unused', '--include-local', '-f', '--json'], 'garbage', /GET \/images\/json: the daemon's answer is not valid JSON/],
    ['rm', ['rm', '--unused', '--include-local', '-f', '--json'], 'schema', /GET \/images\/json: unexpected answer from the daemon/],
    ['prune', ['prune', '-a', '--all-volumes', '-f', '--json'], 'garbage', /GET \/system\/df: the daemon's answer is not valid JSON/],
    ['prune', ['prune', '-a', '--all-volumes', '-f', '--json'], 'crash', /segmentation fault \(injected\)/],
    ['prune', ['prune', '-a', '-f', '--json'], 'hang', /no answer from docker within 1s/],
  ])('%s fails clearly, removes nothing and prints no half JSON when docker answers with %s', async (_, args, mode, message) => {
    const { env } = fakeEnv(mode, { DOCKER_TIDY_TIMEOUT: '1', FAKE_DOCKER_LOG: join(scratchDir('fake'), 'log') });
    const r = await run(world.exe!, args, env, { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    const log = existsSync(env.FAKE_DOCKER_LOG!) ? readFileSync(env.FAKE_DOCKER_LOG!, 'utf8') : '';
    if (mode === 'garbage' || mode === 'schema') expect(log).toMatch(/^GET \/v1\.41\//m);
    expect(log).not.toMatch(/^(DELETE|POST) /m);
  });

  it('goes on with the lists, sizes marked unknown, when the daemon cannot compute disk usage', async () => {
    const { env } = fakeEnv('nodf');
    const r = await run(world.exe!, ['df', '--json'], env, { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warning: GET \/system\/df: failed to retrieve container list: .*; container and volume sizes are unknown/);
    const doc = JSON.parse(r.stdout);
    expect(doc.containers).toMatchObject({ total: 1, exact: false });
    expect(doc.volumes).toMatchObject({ total: 1, exact: false });
  });

  it('says the daemon is too old when its API predates what docker tidy needs', async () => {
    const { env } = fakeEnv('old');
    const r = await run(world.exe!, ['df'], env, { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('the Docker daemon is too old: API 1.30, docker tidy needs 1.40 (Docker 19.03) or newer\nupgrade the Docker engine\n');
  });

  it('gives up on a docker that hangs, and leaves no docker process behind', async () => {
    const { env, pidfile } = fakeEnv('hang', { DOCKER_TIDY_TIMEOUT: '1' });
    const r = await run(world.exe!, ['df'], env, { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no answer from docker within 1s');
    await waitFor(() => !alive(Number(readFileSync(pidfile, 'utf8'))));
  });
});

describeE2E('cancellation', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('stops on %s, ends its docker child and exits 130', async (sig) => {
    const { env, pidfile } = fakeEnv('hang');
    let pid = 0;
    const finished = run(world.exe!, ['df'], env, { onSpawn: (p) => (pid = p), timeoutMs: 30_000 });
    await waitFor(() => existsSync(pidfile) && readFileSync(pidfile, 'utf8') !== '');
    process.kill(pid, sig);
    const r = await finished;
    expect(r.code).toBe(130);
    await waitFor(() => !alive(Number(readFileSync(pidfile, 'utf8'))));
  });

  it('stops when docker closes DOCKER_CLI_PLUGIN_SOCKET', async () => {
    const name = `docker_cli_tidy_test_${process.pid}_${Date.now()}`;
    const clients: net.Socket[] = [];
    const server = net.createServer((s) => clients.push(s));
    await new Promise<void>((r) => server.listen({ path: '\0' + name }, r));
    try {
      const { env, pidfile } = fakeEnv('hang', { DOCKER_CLI_PLUGIN_SOCKET: '@' + name });
      const finished = run(world.exe!, ['df'], env, { timeoutMs: 30_000 });
      await waitFor(() => clients.length > 0 && existsSync(pidfile) && readFileSync(pidfile, 'utf8') !== '');
      for (const c of clients) c.end();
      const r = await finished;
      expect(r.code).toBe(130);
      await waitFor(() => !alive(Number(readFileSync(pidfile, 'utf8'))));
    } finally {
      server.close();
    }
  });
});
