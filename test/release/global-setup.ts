// The release files (npm run build:all) for the release tests: built when missing or older than
// what they are made from, and the environments that run the arm64 and musl ones on this machine
// (scripts/foreign-env.sh). What cannot run here is skipped with the reason printed, except with
// CI=true, where that is a failure (.ci/run installs the Debian packages).
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

const root = join(import.meta.dirname, '..', '..');
const release = join(root, 'dist', 'release');

export default function setup(project: TestProject): void {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    const reason = `the release tests run on Linux x64, not ${process.platform}-${process.arch}`;
    if (process.env.CI === 'true') throw new Error(reason);
    console.warn(`\nskipping release tests: ${reason}\n`);
    project.provide('release', { skip: reason });
    return;
  }
  if (isStale()) execFileSync('npm', ['run', 'build:all'], { cwd: root, stdio: 'inherit' });

  let foreign: string | undefined;
  const check = spawnSync('bash', [join(root, 'scripts', 'foreign-env.sh'), 'check'], { encoding: 'utf8' });
  if (check.status !== 0) {
    foreign = check.stdout.trim() || check.stderr.trim();
    if (process.env.CI === 'true') throw new Error(`release tests cannot run the arm64 and musl executables in CI: ${foreign}`);
    console.warn(`\nskipping the arm64 and musl release checks: ${foreign}\n`);
  }
  const envDir = join(process.env.TIDY_ENGINE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'docker-tidy-test'), 'foreign');
  if (!foreign) execFileSync('bash', [join(root, 'scripts', 'foreign-env.sh'), 'prepare', envDir], { stdio: 'inherit' });
  project.provide('release', { dir: release, foreignSkip: foreign, envDir });
}

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((e) => newest(join(path, e))));
}

function isStale(): boolean {
  try {
    const built = statSync(join(release, 'SHA256SUMS')).mtimeMs;
    const inputs = [join(root, 'src'), join(root, 'package-lock.json'), join(root, 'scripts', 'build.mjs'), join(root, 'scripts', 'macho-sign.mjs')];
    return built < Math.max(...inputs.map(newest));
  } catch {
    return true;
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    release: {
      skip?: string;
      dir?: string;
      /** Why the arm64 and musl executables cannot be run here, when they cannot. */
      foreignSkip?: string;
      envDir?: string;
    };
  }
}
