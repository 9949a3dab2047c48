// Private, throwaway Docker daemons for the end-to-end tests (scripts/daemon.sh and
// scripts/world.sh), and the guard that keeps destructive tests off every other daemon.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const scripts = join(import.meta.dirname, '..', '..', 'scripts');
/** Every daemon directory this run makes starts with this (real path: no symlinked /tmp). */
const RUN_PREFIX = join(realpathSync(tmpdir()), 'tidy-e2e-');
/**
 * The daemons this test run started, as a ':'-separated list of directories in the environment,
 * so that vitest's workers (created after global setup started its daemon) know them too.
 */
const STARTED = 'TIDY_E2E_DAEMONS';
/** The same, in this process: directory -> token read when the daemon came up. */
const startedHere = new Map<string, string>();
/** Daemons started here and not yet stopped: stopped on exit if a test run ends early. */
const running = new Set<string>();

/** The engines the test daemons can run: Debian's 20.10, 26.1 and 28.5; "-containerd" = the containerd image store. */
export const ENGINES = ['20.10', '26', '26-containerd', '28.5', '28.5-containerd'] as const;
export type Engine = (typeof ENGINES)[number];

/** scripts/daemon.sh's flags for each engine. */
export const ENGINE_FLAGS: Record<Engine, string[]> = {
  '20.10': ['--engine', '20.10'],
  '26': ['--engine', '26'],
  '26-containerd': ['--engine', '26', '--containerd-store'],
  '28.5': ['--engine', '28.5'],
  '28.5-containerd': ['--engine', '28.5', '--containerd-store'],
};

/** A daemon this test run started. */
export interface TestDaemon {
  /** Its directory: data-root, socket, logs, env and token. */
  dir: string;
  /** DOCKER_HOST for it: unix://DIR/docker.sock. */
  host: string;
  /** The value of its docker-tidy-test label. */
  token: string;
  /** 127.0.0.1:PORT of its registry, which is also its Docker Hub mirror. */
  registry: string;
  /** "20.10", "26", "28.5", or "26-containerd" / "28.5-containerd" (with the containerd image store). */
  engine: Engine;
  /** DIR/env: DOCKER_HOST, TIDY_TEST_TOKEN, TIDY_REGISTRY, TIDY_DATA_ROOT, TIDY_ENGINE, TIDY_DIR. */
  env: Record<string, string>;
  /** Stops the daemon, its containers and registry, and removes DIR (TIDY_KEEP_DAEMON_DIR=1 keeps it). */
  stop(): Promise<void>;
  /** Stops it (after a crash too) and starts it again on the same data, with a new token. */
  restart(): Promise<void>;
}

/** Whether this machine can start a private dockerd (root; dockerd present or installable). */
export function canRunDaemon(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `a private dockerd needs Linux, not ${process.platform}` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'a private dockerd needs root' };
  if (existsSync('/usr/sbin/dockerd')) return { ok: true };
  try {
    execFileSync('apt-get', ['--version'], { stdio: 'ignore' });
    return { ok: true };
  } catch {
    return { ok: false, reason: 'dockerd (/usr/sbin/dockerd) is not installed and apt-get is not available to install docker.io' };
  }
}

function script(name: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(scripts, name), ...args], { env, maxBuffer: 1 << 26, timeout: 600_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`scripts/${name} ${args.join(' ')} failed (${error.code ?? error.signal}):\n${stderr}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

function startedDirs(): string[] {
  return [...new Set([...(process.env[STARTED] ?? '').split(':').filter(Boolean), ...startedHere.keys()])];
}

/**
 * Starts a fresh daemon and its registry mirror in a new directory. The engine is opts.engine,
 * else $TIDY_E2E_ENGINE, else 20.10.
 */
export async function startDaemon(opts: { engine?: Engine } = {}): Promise<TestDaemon> {
  const engine = opts.engine ?? (process.env.TIDY_E2E_ENGINE as Engine | undefined) ?? '20.10';
  if (!Object.hasOwn(ENGINE_FLAGS, engine)) throw new Error(`unknown engine ${engine}: ${ENGINES.join(', ')}`);
  const dir = mkdtempSync(RUN_PREFIX);
  // Registered before it starts, so that an early exit still stops whatever did start.
  process.env[STARTED] = [...startedDirs(), dir].join(':');
  running.add(dir);
  try {
    await script('daemon.sh', ['start', ...ENGINE_FLAGS[engine], dir]);
  } catch (error) {
    running.delete(dir);
    throw error;
  }
  const env = parseEnv(readFileSync(join(dir, 'env'), 'utf8'));
  const token = readFileSync(join(dir, 'token'), 'utf8').trim();
  if (env.DOCKER_HOST !== `unix://${dir}/docker.sock` || env.TIDY_TEST_TOKEN !== token || env.TIDY_ENGINE !== engine) {
    await script('daemon.sh', ['stop', dir]);
    throw new Error(`scripts/daemon.sh wrote an unexpected ${dir}/env: ${JSON.stringify(env)}`);
  }
  startedHere.set(dir, token);
  let stopping: Promise<void> | undefined;
  const daemon: TestDaemon = {
    dir,
    host: env.DOCKER_HOST,
    token,
    registry: env.TIDY_REGISTRY!,
    engine,
    env,
    restart: async () => {
      await script('daemon.sh', ['stop', dir]);
      await script('daemon.sh', ['start', ...ENGINE_FLAGS[engine], dir]);
      daemon.env = parseEnv(readFileSync(join(dir, 'env'), 'utf8'));
      daemon.token = readFileSync(join(dir, 'token'), 'utf8').trim();
      daemon.registry = daemon.env.TIDY_REGISTRY!;
      startedHere.set(dir, daemon.token);
    },
    stop: () =>
      (stopping ??= (async () => {
        await script('daemon.sh', ['stop', dir]);
        running.delete(dir);
        if (process.env.TIDY_KEEP_DAEMON_DIR !== '1') rmSync(dir, { recursive: true, force: true });
      })()),
  };
  return daemon;
}

/**
 * Builds the fixture world (scripts/world.sh; its header lists what is in it) in the daemon;
 * `builds`: with the BuildKit builds of a build host and their cache too.
 */
export async function buildWorld(daemon: TestDaemon, options: { builds?: boolean } = {}): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...daemon.env };
  delete env.DOCKER_CONTEXT;
  await script('world.sh', [daemon.dir, ...(options.builds ? ['--builds'] : [])], env);
}

/**
 * The guard: throws unless `env` points at a daemon this run started, proven by the label that
 * only that daemon carries. Call it before anything that deletes.
 */
export async function assertPrivateDaemon(env: NodeJS.ProcessEnv): Promise<void> {
  if (env.DOCKER_CONTEXT) throw new Error(`refusing to run destructive tests with DOCKER_CONTEXT=${env.DOCKER_CONTEXT} set`);
  const host = env.DOCKER_HOST ?? '';
  const m = /^unix:\/\/(\/.+)\/docker\.sock$/.exec(host);
  const dir = m?.[1];
  if (!dir || dirname(dir) !== dirname(RUN_PREFIX) || !dir.startsWith(RUN_PREFIX) || !startedDirs().includes(dir)) {
    throw new Error(`refusing to run destructive tests against ${host || 'the default daemon'}: not a daemon this test run started`);
  }
  let token: string;
  try {
    token = readFileSync(join(dir, 'token'), 'utf8').trim();
  } catch (error) {
    throw new Error(`refusing to run destructive tests against ${host}: no token file (${(error as Error).message})`);
  }
  const known = startedHere.get(dir);
  if (!/^[0-9a-f]{32}$/.test(token) || (known !== undefined && known !== token)) {
    throw new Error(`refusing to run destructive tests against ${host}: its token file ${join(dir, 'token')} is not the one it started with`);
  }
  const labels = await new Promise<string[]>((resolve, reject) => {
    execFile('docker', ['info', '--format', '{{json .Labels}}'], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`refusing to run destructive tests against ${host}: docker info failed: ${stderr || error.message}`));
      else {
        try {
          resolve(JSON.parse(stdout) as string[]);
        } catch {
          reject(new Error(`refusing to run destructive tests against ${host}: docker info said ${stdout}`));
        }
      }
    });
  });
  if (!Array.isArray(labels) || !labels.includes(`docker-tidy-test=${token}`)) {
    throw new Error(`refusing to run destructive tests against ${host}: it does not carry this run's label docker-tidy-test=${token}`);
  }
}

// A run that ends without stopping its daemons (a crash, a failed hook) still stops them.
process.once('exit', () => {
  for (const dir of running) {
    try {
      execFileSync('bash', [join(scripts, 'daemon.sh'), 'stop', dir], { stdio: 'ignore', timeout: 60_000 });
    } catch {
      // Best effort: the process is exiting.
    }
  }
});
