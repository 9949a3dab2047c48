// scripts/install.sh: copies the executable into DOCKER_CONFIG/cli-plugins, mode 0755, and never
// overwrites (or removes) anything there that is not a regular file.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** A copy of the project's scripts with a stand-in executable in dist/. */
function sandbox(): { project: string; config: string; install: (...args: string[]) => ReturnType<typeof spawnSync> } {
  const project = mkdtempSync(join(tmpdir(), 'tidy-install-'));
  mkdirSync(join(project, 'scripts'));
  mkdirSync(join(project, 'dist'));
  writeFileSync(join(project, 'scripts', 'install.sh'), readFileSync(join(root, 'scripts', 'install.sh')));
  writeFileSync(join(project, 'dist', 'docker-tidy'), 'new build');
  const config = join(project, 'docker-config');
  const install = (...args: string[]) =>
    spawnSync('sh', [join(project, 'scripts', 'install.sh'), ...args], { env: { ...process.env, DOCKER_CONFIG: config }, encoding: 'utf8' });
  return { project, config, install };
}

describe('scripts/install.sh', () => {
  it('installs into DOCKER_CONFIG/cli-plugins with mode 0755, replacing an older copy', () => {
    const { config, install } = sandbox();
    expect(install().status).toBe(0);
    const dest = join(config, 'cli-plugins', 'docker-tidy');
    expect(readFileSync(dest, 'utf8')).toBe('new build');
    expect(statSync(dest).mode & 0o777).toBe(0o755);
    writeFileSync(dest, 'old build');
    expect(install().status).toBe(0);
    expect(readFileSync(dest, 'utf8')).toBe('new build');
  });

  it('refuses to overwrite or remove a symlink or a directory', () => {
    const { project, config, install } = sandbox();
    mkdirSync(join(config, 'cli-plugins'), { recursive: true });
    const dest = join(config, 'cli-plugins', 'docker-tidy');
    const target = join(project, 'precious');
    writeFileSync(target, 'keep me');
    symlinkSync(target, dest);
    for (const args of [[], ['--uninstall']]) {
      const r = install(...args);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('is not a regular file');
      expect(lstatSync(dest).isSymbolicLink()).toBe(true);
      expect(readFileSync(target, 'utf8')).toBe('keep me');
    }
  });

  it('uninstalls what it installed', () => {
    const { config, install } = sandbox();
    install();
    expect(install('--uninstall').status).toBe(0);
    expect(existsSync(join(config, 'cli-plugins', 'docker-tidy'))).toBe(false);
  });
});
