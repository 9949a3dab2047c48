// The release files (npm run build:all), checked on this Linux x64 machine: the set and its
// SHA256SUMS, the same bytes from another checkout, the macOS files' formats and code signatures,
// the Windows file's format, and the Linux arm64 and musl files run (under qemu-user and in a musl
// environment) against the private test daemon, answering exactly as the x64 executable does.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { CPU_TYPE, ELF_MACHINE, readElf, readMachO, readPE } from '../support/binary-formats.js';
import { run, scratchDir, userEnv, world } from '../e2e/harness.js';

const root = join(import.meta.dirname, '..', '..');
const rel = inject('release');
const dir = rel.dir ?? join(root, 'dist', 'release');
const file = (target: string): string => join(dir, `docker-tidy-${target}${target.startsWith('windows') ? '.exe' : ''}`);
const TARGETS = ['linux-x64', 'linux-arm64', 'linux-x64-musl', 'linux-arm64-musl', 'darwin-arm64', 'darwin-x64', 'windows-x64'];
const bun = join(root, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun');

const describeRelease = rel.skip ? describe.skip : describe;
const describeForeign = rel.skip || rel.foreignSkip || world.skip ? describe.skip : describe;

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describeRelease('the release files', () => {
  it('are the seven executables, listed with their SHA-256 in SHA256SUMS', () => {
    const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8');
    const lines = sums.trim().split('\n').map((l) => l.split('  '));
    expect(lines.map(([, name]) => name).sort()).toEqual(TARGETS.map((t) => file(t).slice(dir.length + 1)).sort());
    for (const [hash, name] of lines) expect(hash, name).toBe(sha256(join(dir, name!)));
    // sha256sum -c is how the README tells users to check a download.
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });

  it('linux-x64 is, byte for byte, the dist/docker-tidy that the end-to-end suite runs', () => {
    expect(sha256(join(root, 'dist', 'docker-tidy'))).toBe(sha256(file('linux-x64')));
  });

  it('are the same bytes when built again from a checkout in another directory', () => {
    const copy = mkdtempSync(join(tmpdir(), 'tidy-reproduce-'));
    try {
      for (const part of ['src', 'scripts', 'package.json', 'package-lock.json']) cpSync(join(root, part), join(copy, part), { recursive: true });
      // node_modules as a fresh checkout has it, inside the checkout (hard links: 1 GB, copied at
      // no cost); a symlink to this one would put its modules outside the copy's root, which
      // changes the bundle's chunk names.
      const linked = spawnSync('cp', ['-al', join(root, 'node_modules'), join(copy, 'node_modules')]);
      if (linked.status !== 0) cpSync(join(root, 'node_modules'), join(copy, 'node_modules'), { recursive: true });
      const r = spawnSync('node', [join(copy, 'scripts', 'build.mjs'), '--all'], { cwd: copy, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(join(copy, 'dist', 'release', 'SHA256SUMS'), 'utf8')).toBe(readFileSync(join(dir, 'SHA256SUMS'), 'utf8'));
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describeRelease('the macOS executables', () => {
  it.each([
    ['darwin-arm64', CPU_TYPE.arm64],
    ['darwin-x64', CPU_TYPE.x86_64],
  ])('%s is a Mach-O executable for its CPU, ad-hoc signed, every page hash matching', (target, cpu) => {
    const buf = readFileSync(file(target));
    const m = readMachO(buf);
    expect(m.cputype).toBe(cpu);
    expect(m.filetype).toBe(2); // MH_EXECUTE
    expect(m.signature).toBeDefined();
    const sig = m.signature!;
    expect(sig.flags & 0x2, 'CS_ADHOC').toBe(0x2);
    expect(sig.slots).toEqual([0]); // one CodeDirectory: no requirements or CMS blob to go stale
    expect(sig.pages).toBe(Math.ceil(sig.codeLimit / sig.pageSize));
    expect(sig.codeLimit).toBeGreaterThan(buf.length - 2_000_000); // everything up to the signature
    expect(sig.badPages).toEqual([]);
  });

  it('Bun leaves darwin-x64 with stale page hashes; the build signer makes them match, and the check sees one changed byte', async () => {
    const { signMachO } = (await import(join(root, 'scripts', 'macho-sign.mjs') as string)) as {
      signMachO: (buf: Buffer, o?: { identifier?: string }) => Buffer;
    };
    const work = mkdtempSync(join(tmpdir(), 'tidy-macho-'));
    try {
      writeFileSync(join(work, 'hello.ts'), 'console.log("hello from docker tidy");\n');
      const out = join(work, 'hello');
      const r = spawnSync(
        bun,
        ['build', '--compile', '--target=bun-darwin-x64', `--compile-executable-path=${join(root, 'node_modules', '@oven', 'bun-darwin-x64', 'bin', 'bun')}`, join(work, 'hello.ts'), '--outfile', out],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      const raw = readFileSync(out);
      // Bun 1.4.4: the runtime's own signature is kept; the pages the bundle changed no longer match.
      expect(readMachO(raw).signature!.badPages.length).toBeGreaterThan(0);
      const signed = signMachO(raw, { identifier: 'docker-tidy' });
      const m = readMachO(signed);
      expect(m.signature).toMatchObject({ badPages: [], identifier: 'docker-tidy', slots: [0] });
      expect(m.cputype).toBe(CPU_TYPE.x86_64);
      // The bundle's text is in the file: change one byte of it, and exactly its page is caught.
      const at = signed.indexOf('hello from docker tidy');
      expect(at).toBeGreaterThan(0);
      signed[at] = signed[at]! ^ 1;
      expect(readMachO(signed).signature!.badPages).toEqual([Math.floor(at / m.signature!.pageSize)]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describeRelease('the Windows executable', () => {
  it('is a PE32+ console executable for x64 with the bundle in it', () => {
    const buf = readFileSync(file('windows-x64'));
    const pe = readPE(buf);
    expect(pe.machine).toBe(0x8664); // IMAGE_FILE_MACHINE_AMD64
    expect(pe.optionalMagic).toBe(0x20b); // PE32+
    expect(pe.subsystem).toBe(3); // IMAGE_SUBSYSTEM_WINDOWS_CUI
    expect(pe.characteristics & 0x2, 'IMAGE_FILE_EXECUTABLE_IMAGE').toBe(0x2);
    expect(pe.sections).toContain('.bun');
    expect(buf.includes('docker-cli-plugin-metadata')).toBe(true);
  });

  it("answers the handshake and --help under wine64, where Debian's wine64 can run it", (ctx) => {
    const wine = ['/usr/lib/wine/wine64', '/usr/bin/wine64'].find((p) => existsSync(p));
    if (!wine) {
      console.warn('skipping the Windows executable under wine: wine64 is not installed');
      return ctx.skip();
    }
    const env = { ...process.env, WINEDEBUG: 'err+module', WINEPREFIX: scratchDir('wine') };
    const hs = spawnSync(wine, [file('windows-x64'), 'docker-cli-plugin-metadata'], { env, encoding: 'utf8', timeout: 300_000 });
    const missing = /Library (\S+) \(which is needed by .*\) not found/.exec(hs.stderr);
    if (hs.status !== 0 && missing) {
      // Debian 12's wine 8.0 has no bcryptprimitives.dll, which Bun's Windows runtime imports.
      console.warn(`skipping the Windows executable under wine: this wine64 cannot load it (${missing[1]} not found)`);
      return ctx.skip();
    }
    expect(hs.status, hs.stderr).toBe(0);
    expect(JSON.parse(hs.stdout)).toMatchObject({ SchemaVersion: '0.1.0', Vendor: 'docker-tidy' });
    const help = spawnSync(wine, [file('windows-x64'), '--help'], { env, encoding: 'utf8', timeout: 300_000 });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage:  docker tidy [OPTIONS] COMMAND');
  });
});

/** How each foreign executable runs here, and what its ELF header must say. */
const FOREIGN = [
  {
    target: 'linux-arm64',
    machine: ELF_MACHINE.aarch64,
    interpreter: '/lib/ld-linux-aarch64.so.1',
    command: (exe: string, args: string[]) => ['qemu-aarch64-static', [exe, ...args]] as const,
    env: () => ({ QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu' }),
  },
  {
    target: 'linux-x64-musl',
    machine: ELF_MACHINE.x86_64,
    interpreter: '/lib/ld-musl-x86_64.so.1',
    command: (exe: string, args: string[]) => [exe, args] as const,
    env: () => ({ LD_LIBRARY_PATH: join(rel.envDir!, 'musl-x64', 'lib') }),
  },
  {
    target: 'linux-arm64-musl',
    machine: ELF_MACHINE.aarch64,
    interpreter: '/lib/ld-musl-aarch64.so.1',
    command: (exe: string, args: string[]) => ['qemu-aarch64-static', [exe, ...args]] as const,
    // Paths inside the guest: qemu looks them up under QEMU_LD_PREFIX first.
    env: () => ({ QEMU_LD_PREFIX: join(rel.envDir!, 'musl-arm64'), LD_PRELOAD: '/lib/glibc-shim.so' }),
  },
];

describeForeign('the Linux arm64 and musl executables, run here, against the private daemon', () => {
  it.each(FOREIGN)('$target: handshake, --help and df --json are what the x64 executable answers', async (f) => {
    const exe = file(f.target);
    expect(readElf(readFileSync(exe))).toEqual({ machine: f.machine, interpreter: f.interpreter });
    const ask = async (args: string[]) => {
      const [cmd, argv] = f.command(exe, args);
      const env = userEnv(f.env());
      return { foreign: await run(cmd, argv, env, { timeoutMs: 300_000 }), x64: await run(file('linux-x64'), args, userEnv()) };
    };
    const hs = await ask(['docker-cli-plugin-metadata']);
    expect(hs.foreign).toMatchObject({ code: 0, stderr: '' });
    expect(hs.foreign.stdout).toBe(hs.x64.stdout);
    const help = await ask(['--help']);
    expect(help.foreign).toMatchObject({ code: 0, stderr: '' });
    expect(help.foreign.stdout).toBe(help.x64.stdout);
    const df = await ask(['df', '--json']);
    expect(df.foreign.code, df.foreign.stderr).toBe(0);
    expect(df.x64.code, df.x64.stderr).toBe(0);
    const doc = JSON.parse(df.foreign.stdout);
    expect(doc.images.total).toBeGreaterThan(0);
    expect(doc).toEqual(JSON.parse(df.x64.stdout));
  });
});
