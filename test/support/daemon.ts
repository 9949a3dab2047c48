// Private, throwaway Docker daemons for the end-to-end tests (scripts/daemon.sh and
// scripts/world.sh), and the guard that keeps destructive tests off every other daemon.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const scripts = join(import.meta.dirname, '..', '..', 'scripts');
const RUN_PREFIX = join(tmpdir(), 'tidy-e2e-');
// The daemons this test run started, shared with vitest's workers through the environment
// (global setup starts daemons before the workers exist).
const STARTED = 'TIDY_E2E_DAEMONS';

/** A daemon this test run started. */
export interface TestDaemon {
  dir: string;
  /** DOCKER_HOST for it: unix://DIR/docker.sock. */
  host: string;
  /** The value of its docker-tidy-test label. */
  token: string;
  /** 127.0.0.1:PORT of its registry mirror. */
  registry: string;
  /** Engine version, "20.10". */
  engine: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Whether this machine can start a private dockerd (root; dockerd present or installable). */
export function canRunDaemon(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'a private dockerd needs root' };
  if (existsSync('/usr/sbin/dockerd') || existsSync('/usr/bin/dockerd')) return { ok: true };
  try {
    execFileSync('apt-get', ['--version'], { stdio: 'ignore' });
    return { ok: true };
  } catch {
    return { ok: false, reason: 'dockerd is not installed and apt-get is not available to install docker.io' };
  }
}

/** Starts a fresh daemon and its registry mirror in a new directory. */
export async function startDaemon(): Promise<TestDaemon> {
  const dir = mkdtempSync(RUN_PREFIX);
  process.env[STARTED] = [process.env[STARTED], dir].filter(Boolean).join(':');
  await run('bash', [join(scripts, 'daemon.sh'), 'start', dir], { maxBuffer: 1 << 24 });
  const env = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>;
  const daemon: TestDaemon = {
    dir,
    host: env.DOCKER_HOST!,
    token: env.TIDY_TEST_TOKEN!,
    registry: env.TIDY_REGISTRY!,
    engine: env.TIDY_ENGINE!,
    env,
    stop: async () => {
      await run('bash', [join(scripts, 'daemon.sh'), 'stop', dir], { maxBuffer: 1 << 24 });
    },
  };
  return daemon;
}

/** Builds the fixture world (scripts/world.sh) in the daemon. */
export async function buildWorld(daemon: TestDaemon): Promise<void> {
  await run('bash', [join(scripts, 'world.sh'), daemon.dir], { maxBuffer: 1 << 24, env: { ...process.env, DOCKER_CONTEXT: '' } });
}

/**
 * The guard: throws unless `env` points at a daemon this run started, proven by the label that
 * only that daemon carries. Call it before anything that deletes.
 */
export async function assertPrivateDaemon(env: NodeJS.ProcessEnv): Promise<void> {
  if (env.DOCKER_CONTEXT) throw new Error(`refusing to run destructive tests with DOCKER_CONTEXT=${env.DOCKER_CONTEXT}`);
  const host = env.DOCKER_HOST ?? '';
  const m = /^unix:\/\/(.+)\/docker\.sock$/.exec(host);
  const started = (process.env[STARTED] ?? '').split(':');
  if (!m || !m[1]!.startsWith(RUN_PREFIX) || !started.includes(m[1]!)) {
    throw new Error(`refusing to run destructive tests against ${host || 'the default daemon'}: not a daemon this test run started`);
  }
  const token = readFileSync(join(m[1]!, 'token'), 'utf8').trim();
  const { stdout } = await run('docker', ['info', '--format', '{{json .Labels}}'], { env: { ...env, DOCKER_CONTEXT: '' } });
  const labels = JSON.parse(stdout) as string[];
  if (!labels.includes(`docker-tidy-test=${token}`)) {
    throw new Error(`refusing to run destructive tests against ${host}: it does not carry this run's label`);
  }
}
