// scripts/install.sh: copies the executable into DOCKER_CONFIG/cli-plugins, mode 0755, and never
// overwrites (or removes) anything there that is not a regular file; from a release, it picks the
// file for this machine and installs it only when its SHA-256 matches SHA256SUMS.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const script = readFileSync(join(root, 'scripts', 'install.sh'));
// Every folder these tests make goes under one, removed when the file is done.
const scratch = mkdtempSync(join(tmpdir(), 'tidy-install-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const TARGETS = ['linux-x64', 'linux-arm64', 'linux-x64-musl', 'linux-arm64-musl', 'darwin-arm64', 'darwin-x64'];

/** A copy of the project's install script (in a checkout with a stand-in dist/docker-tidy) and a DOCKER_CONFIG. */
function sandbox(): { project: string; config: string; install: (...args: string[]) => ReturnType<typeof spawnSync> } {
  const project = mkdtempSync(join(scratch, 'install-'));
  mkdirSync(join(project, 'scripts'));
  mkdirSync(join(project, 'dist'));
  writeFileSync(join(project, 'package.json'), '{\n  "name": "docker-tidy"\n}\n');
  writeFileSync(join(project, 'scripts', 'install.sh'), script);
  writeFileSync(join(project, 'dist', 'docker-tidy'), 'new build');
  const config = join(project, 'docker-config');
  const install = (...args: string[]) =>
    spawnSync('sh', [join(project, 'scripts', 'install.sh'), ...args], { env: { ...process.env, DOCKER_CONFIG: config }, encoding: 'utf8' });
  return { project, config, install };
}

/** A release directory: one stand-in file per target (its content is its name) and SHA256SUMS. */
function releaseDir(tamper?: string): string {
  const dir = mkdtempSync(join(scratch, 'release-'));
  let sums = '';
  for (const t of TARGETS) {
    const name = `docker-tidy-${t}`;
    writeFileSync(join(dir, name), name);
    sums += `${createHash('sha256').update(t === tamper ? 'something else' : name).digest('hex')}  ${name}\n`;
  }
  writeFileSync(join(dir, 'SHA256SUMS'), sums);
  return dir;
}

/** Programs that answer as another machine would: uname -s/-m, ldd --version, sysctl. */
function machine(os: string, arch: string, opts: { musl?: boolean; appleSilicon?: boolean } = {}): string {
  const bin = mkdtempSync(join(scratch, 'machine-'));
  const write = (name: string, body: string): void => writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  write('uname', `case "$1" in -s) echo ${os} ;; -m) echo ${arch} ;; *) echo ${os} ;; esac`);
  write('ldd', opts.musl ? 'echo "musl libc (x86_64)" >&2; exit 1' : 'echo "ldd (Debian GLIBC 2.36-9+deb12u9) 2.36"');
  write('sysctl', `echo ${opts.appleSilicon ? 1 : 0}`);
  // Only the named release file may be touched on macOS: xattr is a no-op here.
  write('xattr', 'exit 0');
  return bin;
}

function installFrom(release: string, bin: string): { r: SpawnSyncReturns<string>; dest: string } {
  const config = mkdtempSync(join(scratch, 'install-config-'));
  const r = spawnSync('sh', [join(root, 'scripts', 'install.sh'), '--from', release], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, DOCKER_CONFIG: config },
    encoding: 'utf8',
  });
  return { r, dest: join(config, 'cli-plugins', 'docker-tidy') };
}

describe('scripts/install.sh from a checkout', () => {
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

describe('scripts/install.sh from a release', () => {
  it.each([
    ['Linux', 'x86_64', {}, 'linux-x64'],
    ['Linux', 'aarch64', {}, 'linux-arm64'],
    ['Linux', 'x86_64', { musl: true }, 'linux-x64-musl'],
    ['Linux', 'aarch64', { musl: true }, 'linux-arm64-musl'],
    ['Darwin', 'arm64', {}, 'darwin-arm64'],
    ['Darwin', 'x86_64', {}, 'darwin-x64'],
    ['Darwin', 'x86_64', { appleSilicon: true }, 'darwin-arm64'], // a shell under Rosetta
  ])('%s %s %j installs docker-tidy-%s, checksum verified', (os, arch, opts, target) => {
    const { r, dest } = installFrom(releaseDir(), machine(os, arch, opts));
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(dest, 'utf8')).toBe(`docker-tidy-${target}`);
    expect(statSync(dest).mode & 0o777).toBe(0o755);
    expect(r.stdout).toContain('checksum verified');
  });

  it('installs nothing when the file does not match SHA256SUMS', () => {
    const { r, dest } = installFrom(releaseDir('linux-x64'), machine('Linux', 'x86_64'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^checksum mismatch for docker-tidy-linux-x64: SHA256SUMS says [0-9a-f]{64}, the file is [0-9a-f]{64}; nothing was installed/);
    expect(existsSync(dest)).toBe(false);
  });

  it('says which CPUs and systems have builds', () => {
    expect(installFrom(releaseDir(), machine('Linux', 'riscv64')).r.stderr).toContain('no build for the CPU riscv64');
    expect(installFrom(releaseDir(), machine('FreeBSD', 'amd64')).r.stderr).toContain('no build for FreeBSD');
    expect(installFrom(releaseDir(), machine('MINGW64_NT-10.0', 'x86_64')).r.stderr).toContain('scripts/install.ps1');
  });

  it('piped into sh, downloads the file for this machine and SHA256SUMS, and checks it', async () => {
    for (const [tamper, status] of [[undefined, 0], ['linux-arm64', 1]] as const) {
      const release = releaseDir(tamper);
      const served: string[] = [];
      const server = http.createServer((req, res) => {
        served.push(req.url!);
        const path = join(release, req.url!.replace(/^\/v1\//, ''));
        if (!req.url!.startsWith('/v1/') || !existsSync(path)) return void res.writeHead(404).end();
        res.end(readFileSync(path));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const config = mkdtempSync(join(scratch, 'install-config-'));
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
        const env = { ...process.env, PATH: `${machine('Linux', 'aarch64')}:${process.env.PATH}`, DOCKER_CONFIG: config, DOCKER_TIDY_RELEASE_URL: url };
        // `curl -fsSL URL | sh`: the script arrives on standard input.
        const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          const child = spawn('sh', [], { env, cwd: tmpdir() });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += d));
          child.stderr.on('data', (d) => (stderr += d));
          child.on('close', (code) => resolve({ code, stdout, stderr }));
          child.stdin.end(script);
        });
        expect(r.code, r.stderr).toBe(status);
        expect(served.sort()).toEqual(['/v1/SHA256SUMS', '/v1/docker-tidy-linux-arm64']);
        const dest = join(config, 'cli-plugins', 'docker-tidy');
        if (status === 0) expect(readFileSync(dest, 'utf8')).toBe('docker-tidy-linux-arm64');
        else expect(existsSync(dest)).toBe(false);
      } finally {
        server.close();
      }
    }
  });
});
