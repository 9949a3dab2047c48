// What the end-to-end tests share: a fresh DOCKER_CONFIG per test holding the built plugin, a
// way to run docker and the plugin as a user would, and direct Engine API reads to compare with.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { assertPrivateDaemon, buildWorld, startDaemon, type TestDaemon } from '../support/daemon.js';

/** The private daemon and executable that global setup provided. */
export const world = inject('e2e');

/** The suite's engine uses the containerd image store, where sizes mean something else (README). */
export const containerdStore = world.engine?.endsWith('-containerd') === true;

/** `describe` that is skipped, with the reason, when no private daemon could be started. */
export const describeE2E: typeof describe = (world.skip ? describe.skip : describe) as typeof describe;

/** The docker clients the plugin must work with: 28.x on PATH and Debian's 20.10. */
export const CLIENTS = ['docker', '/usr/bin/docker'] as const;

/**
 * A DOCKER_HOST that docker tidy reaches only through docker (system dial-stdio), so that a fake
 * docker (test/fixtures/fake-docker.mjs) is the way to the daemon: nothing listens there.
 */
export const THROUGH_DOCKER = 'ssh://tidy-test.invalid';

/** A new folder for a test's files, under the run's scratch folder (removed when the run ends). */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(world.scratch ?? tmpdir(), `${prefix}-`));
}

/** An environment like a user's: DOCKER_HOST at the private daemon, the plugin in DOCKER_CONFIG. */
export function userEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const config = scratchDir('config');
  mkdirSync(join(config, 'cli-plugins'));
  symlinkSync(world.exe!, join(config, 'cli-plugins', 'docker-tidy'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DOCKER_HOST: world.host,
    DOCKER_CONFIG: config,
    XDG_CACHE_HOME: scratchDir('cache'),
  };
  delete env.DOCKER_CONTEXT;
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** What a finished process left. */
export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program (no shell) to completion, with a generous bound. */
export function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { timeoutMs?: number; input?: string; onSpawn?: (pid: number) => void } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('spawn', () => options.onSpawn?.(child.pid!));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    // A program that exits without reading its input must not fail the test run with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** `docker [args]` with the given client binary. */
export function docker(args: readonly string[], env: NodeJS.ProcessEnv, client: string = 'docker'): Promise<Ran> {
  return run(client, args, env);
}

/** Reads the private daemon's Engine API directly, not through the plugin. */
export function engine<T = unknown>(method: string, path: string, host = world.host!, body?: unknown): Promise<{ status: number; body: T }> {
  const socketPath = host.replace(/^unix:\/\//, '');
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers = { Host: 'docker', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': String(data.length) } : {}) };
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : null) as T }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** A fresh daemon (the suite's engine) and world for tests that delete, behind the guard. */
export function freshWorld(): { env: () => NodeJS.ProcessEnv; daemon: () => TestDaemon } {
  let daemon: TestDaemon;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    daemon = await startDaemon();
    await buildWorld(daemon);
    env = userEnv({ DOCKER_HOST: daemon.host });
    await assertPrivateDaemon(env);
  });
  afterAll(async () => {
    await daemon?.stop();
  });
  return { env: () => env, daemon: () => daemon };
}

/**
 * Counts the daemon's image delete events from now on (GET /events, streamed): it knows at once
 * when removals happen, where listing the images to see takes longer than a removal (half a second
 * for 60 images on engine 28.5's containerd store, on a busy machine).
 */
export async function watchImageDeletions(host: string): Promise<{ count: () => number; close: () => void }> {
  let count = 0;
  const filters = encodeURIComponent(JSON.stringify({ type: ['image'], event: ['delete'] }));
  const req = http.get({ socketPath: host.replace(/^unix:\/\//, ''), path: `/events?filters=${filters}`, headers: { Host: 'docker' } });
  await new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET /events: ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        buffer += d;
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        count += lines.filter((l) => /"Action":"delete"/.test(l)).length;
      });
      // The stream ends when the daemon dies: nothing more to count.
      res.on('error', () => undefined);
      resolve();
    });
    req.on('error', reject);
  });
  req.on('error', () => undefined);
  return { count: () => count, close: () => req.destroy() };
}

/**
 * Bytes a private daemon's data root (`DIR/data`) takes on disk: allocated blocks, on its own
 * filesystem (a running container's mounted root is not counted), less the bolt metadata
 * databases, which do not shrink when records go. Read until two readings half a second apart
 * agree: containerd's garbage collection removes snapshots after the daemon has answered.
 */
export async function dataRootBytes(dir: string): Promise<number> {
  const read = async (): Promise<number> => {
    const r = await run('du', ['-sxB1', '--exclude=*.db', join(dir, 'data')], process.env);
    if (r.code !== 0) throw new Error(`du ${dir}/data: ${r.stderr}`);
    return Number(r.stdout.split('\t')[0]);
  };
  let last = await read();
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await read();
    if (now === last) return now;
    last = now;
  }
  return last;
}

/** Issue 14's bar for the containerd store's estimates: within 5% of what the disk lost. */
/**
 * The bytes the daemon's own figures account for (GET /system/df): layers, writable layers,
 * volumes and the build cache's unshared records. On the classic store docker tidy's figures are
 * that accounting, to the byte; the disk gives back more there (overlay2's directories).
 */
export async function accountedBytes(host: string): Promise<number> {
  type Df = {
    LayersSize: number;
    Containers: { SizeRw?: number }[];
    Volumes: { UsageData?: { Size: number } }[];
    BuildCache: { Size: number; Shared: boolean }[] | null;
  };
  const d = (await engine<Df>('GET', '/v1.41/system/df', host)).body;
  return (
    d.LayersSize +
    d.Containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0) +
    d.Volumes.reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0) +
    (d.BuildCache ?? []).filter((b) => !b.Shared).reduce((s, b) => s + b.Size, 0)
  );
}

export function withinFivePercent(estimate: number, diskLost: number): boolean {
  return Math.abs(estimate - diskLost) <= 0.05 * Math.max(diskLost, 1);
}

/** A daemon endpoint on another transport, forwarding to a private daemon's socket. */
export interface Proxy {
  /** tcp://127.0.0.1:PORT */
  host: string;
  close(): void;
}

function forward(client: net.Socket, socketPath: string): void {
  const daemon = net.connect(socketPath);
  client.pipe(daemon).pipe(client);
  client.on('error', () => daemon.destroy());
  daemon.on('error', () => client.destroy());
}

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** A plain tcp endpoint for a daemon (default: the suite's). */
export async function tcpProxy(daemonHost = world.host!): Promise<Proxy> {
  const server = net.createServer((client) => forward(client, daemonHost.replace(/^unix:\/\//, '')));
  const host = await listen(server);
  return { host, close: () => server.close() };
}

/**
 * A TLS endpoint for a daemon that, like dockerd with --tlsverify, takes only clients with a
 * certificate from its CA. DIR holds ca.pem, and the client's cert.pem and key.pem (made with openssl).
 */
export async function tlsProxy(daemonHost = world.host!): Promise<Proxy & { dir: string; handshakes(): number }> {
  const dir = scratchDir('tls');
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=docker-tidy test CA');
  for (const [name, cn, usage] of [['server', '127.0.0.1', 'serverAuth'], ['client', 'client', 'clientAuth']] as const) {
    writeFileSync(join(dir, `${name}.cnf`), `${name === 'server' ? 'subjectAltName=IP:127.0.0.1\n' : ''}extendedKeyUsage=${usage}\n`);
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.cnf`);
  }
  // docker's names for the client's files.
  writeFileSync(join(dir, 'cert.pem'), readFileSync(join(dir, 'client.pem')));
  writeFileSync(join(dir, 'key.pem'), readFileSync(join(dir, 'client-key.pem')));
  let handshakes = 0;
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  const server = tls.createServer({ key: read('server-key.pem'), cert: read('server.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true }, (client) => {
    handshakes += 1;
    forward(client, daemonHost.replace(/^unix:\/\//, ''));
  });
  const host = await listen(server);
  return { host, dir, handshakes: () => handshakes, close: () => server.close() };
}
