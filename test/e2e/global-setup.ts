// Starts one private dockerd with the fixture world for the end-to-end suite, and builds the
// executable when it is missing or older than the sources. Without root or dockerd the suite is
// skipped with the reason printed, except with CI=true, where that is a failure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildWorld, canRunDaemon, startDaemon, type Engine, type TestDaemon } from '../support/daemon.js';

const root = join(import.meta.dirname, '..', '..');
const exe = join(root, 'dist', 'docker-tidy');

let daemon: TestDaemon | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const can = canRunDaemon();
  if (!can.ok) {
    if (process.env.CI === 'true') throw new Error(`end-to-end tests cannot run in CI: ${can.reason}`);
    console.warn(`\nskipping end-to-end tests: ${can.reason}\n`);
    project.provide('e2e', { skip: can.reason });
    return async () => {};
  }
  // Synchronous: the setups of several engine projects never build at the same time.
  if (isStale()) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  daemon = await startDaemon({ engine: (project.config.env?.TIDY_E2E_ENGINE ?? process.env.TIDY_E2E_ENGINE ?? '20.10') as Engine });
  try {
    await buildWorld(daemon);
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  // Every folder the tests make goes under one, removed when the run ends: a run leaves nothing behind.
  const scratch = mkdtempSync(join(tmpdir(), 'tidy-e2e-scratch-'));
  project.provide('e2e', { exe, dir: daemon.dir, host: daemon.host, token: daemon.token, registry: daemon.registry, engine: daemon.engine, scratch });
  return async () => {
    await daemon?.stop();
    rmSync(scratch, { recursive: true, force: true });
  };
}

function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

function isStale(): boolean {
  try {
    const inputs = [join(root, 'package-lock.json'), join(root, 'scripts', 'build.mjs')].map((f) => statSync(f).mtimeMs);
    return statSync(exe).mtimeMs < Math.max(newest(join(root, 'src')), ...inputs);
  } catch {
    return true;
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: {
      skip?: string;
      exe?: string;
      dir?: string;
      host?: string;
      token?: string;
      registry?: string;
      engine?: string;
      /** The folder every test's scratch folders go under, removed at the end of the run. */
      scratch?: string;
    };
  }
}
