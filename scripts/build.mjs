// Builds docker tidy's executables with Bun's compiler, from the Bun runtimes pinned in
// optionalDependencies (@oven/bun-<platform>). npm ci installs only this machine's (each package
// declares its os and cpu); the first `--all` build fetches the others from the npm registry with
// `npm pack`, checks each against the integrity package-lock.json pins, and keeps them in
// node_modules/.cache/docker-tidy-runtimes: after that, no build downloads anything.
//
//   node scripts/build.mjs          dist/docker-tidy (dist/docker-tidy.exe on Windows), for this machine
//   node scripts/build.mjs --all    dist/release/docker-tidy-<target> for every target, and SHA256SUMS
//   node scripts/build.mjs --all --only linux-arm64,darwin-x64    some of them (SHA256SUMS lists what was built)
//   node scripts/build.mjs --profile    dist/docker-tidy-profile: not minified, so that a CPU profile
//                                       (BUN_OPTIONS=--cpu-prof-md dist/docker-tidy-profile ...) names functions
//
// Run with Node (npm run build), it starts this machine's pinned Bun runtime on itself: the
// bundler's plugin API and `compile.executablePath` exist only inside Bun.
//
// How the executable starts fast: src/main.ts answers docker's metadata handshake and imports
// nothing else; everything the commands need is split into chunks (--splitting) that load only
// when a command runs, each with JavaScriptCore bytecode made at build time (--bytecode), so it is
// neither parsed nor compiled at run time. string-width (which builds Unicode tables when it
// loads) loads on its first call. The executables never read .env or bunfig.toml from the
// directory they run in (Bun's compiled executables do by default).
//
// darwin-x64: Bun keeps the runtime's original code signature, whose page hashes no longer match
// the file once the bundle is in; macOS kills such a process, so it is signed again, ad hoc
// (scripts/macho-sign.mjs). Every Mach-O output is checked with the same module's verifier.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Every release target: the file's suffix, Bun's --target, and the npm package of its runtime. */
export const TARGETS = {
  'linux-x64': { bun: 'bun-linux-x64', pkg: '@oven/bun-linux-x64' },
  'linux-arm64': { bun: 'bun-linux-arm64', pkg: '@oven/bun-linux-aarch64' },
  'linux-x64-musl': { bun: 'bun-linux-x64-musl', pkg: '@oven/bun-linux-x64-musl' },
  'linux-arm64-musl': { bun: 'bun-linux-arm64-musl', pkg: '@oven/bun-linux-aarch64-musl' },
  'darwin-arm64': { bun: 'bun-darwin-arm64', pkg: '@oven/bun-darwin-aarch64' },
  'darwin-x64': { bun: 'bun-darwin-x64', pkg: '@oven/bun-darwin-x64' },
  'windows-x64': { bun: 'bun-windows-x64', pkg: '@oven/bun-windows-x64', exe: '.exe' },
};

/** The release target this machine runs (musl told apart from glibc on Linux). */
export function hostTarget() {
  const arch = process.arch === 'arm64' ? 'arm64' : process.arch === 'x64' ? 'x64' : undefined;
  const os = { linux: 'linux', darwin: 'darwin', win32: 'windows' }[process.platform];
  if (!arch || !os || (os === 'windows' && arch !== 'x64')) throw new Error(`no docker tidy build for ${process.platform}-${process.arch}`);
  const musl = os === 'linux' && !process.report?.getReport?.().header?.glibcVersionRuntime;
  return `${os}-${arch}${musl ? '-musl' : ''}`;
}

/** The runtime binary in a target's npm package: installed by npm ci (this machine's) or fetched once. */
export function runtimeOf(target) {
  const { pkg } = TARGETS[target];
  const bin = join('bin', target.startsWith('windows') ? 'bun.exe' : 'bun');
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), bin);
  } catch {
    return join(fetchRuntime(pkg), bin);
  }
}

/**
 * A runtime package for another platform (npm ci skips those), as package-lock.json pins it:
 * `npm pack` from the configured registry, refused unless its integrity is the lockfile's.
 */
function fetchRuntime(pkg) {
  const locked = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages?.[`node_modules/${pkg}`];
  if (!locked?.version || !locked.integrity) throw new Error(`${pkg} is not in package-lock.json`);
  const dir = join(root, 'node_modules', '.cache', 'docker-tidy-runtimes', `${pkg.replace('/', '+')}@${locked.version}`);
  const done = join(dir, '.integrity');
  if (existsSync(done) && readFileSync(done, 'utf8') === locked.integrity) return join(dir, 'package');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.log(`fetching ${pkg}@${locked.version} (Bun's runtime for that platform) from the npm registry, once`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const packed = spawnSync(npm, ['pack', `${pkg}@${locked.version}`, '--json', '--silent', '--pack-destination', dir], {
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  if (packed.status !== 0) throw new Error(`npm pack ${pkg}@${locked.version} failed: ${packed.stderr.trim()}`);
  const [info] = JSON.parse(packed.stdout);
  if (info?.integrity !== locked.integrity) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${pkg}@${locked.version}: integrity ${info?.integrity} is not package-lock.json's ${locked.integrity}`);
  }
  const untar = spawnSync('tar', ['-xzf', join(dir, info.filename), '-C', dir], { stdio: 'inherit' });
  if (untar.status !== 0) throw new Error(`could not unpack ${info.filename}`);
  rmSync(join(dir, info.filename));
  writeFileSync(done, locked.integrity);
  return join(dir, 'package');
}

async function main(args) {
  const started = Date.now();
  const all = args.includes('--all');
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1]?.split(',') : undefined;
  for (const t of only ?? []) if (!TARGETS[t]) throw new Error(`unknown target ${t}: ${Object.keys(TARGETS).join(', ')}`);
  const { verifyMachO, signMachO } = await import('./macho-sign.mjs');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

  const outDir = all ? join(root, 'dist', 'release') : join(root, 'dist');
  const targets = all ? (only ?? Object.keys(TARGETS)) : [hostTarget()];
  if (all) rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const built = [];
  for (const target of targets) {
    const profile = args.includes('--profile');
    const file = all ? `docker-tidy-${target}${TARGETS[target].exe ?? ''}` : `docker-tidy${profile ? '-profile' : ''}${TARGETS[target].exe ?? ''}`;
    const outfile = join(outDir, file);
    // Bun names the embedded entry after the output file (it is in process.argv[1]): every target is
    // compiled as docker-tidy(.exe), in a folder of its own, so that dist/docker-tidy and the
    // release file for the same target are the same bytes.
    const staging = join(outDir, '.staging', target);
    const staged = join(staging, `docker-tidy${TARGETS[target].exe ?? ''}`);
    mkdirSync(staging, { recursive: true });
    await compile(target, profile ? outfile : staged, pkg.version, { minify: !profile });
    if (!profile) renameSync(staged, outfile);
    if (target.startsWith('darwin')) {
      const check = verifyMachO(readFileSync(outfile));
      if (!check.ok) {
        // Bun keeps darwin-x64's original signature: it no longer matches, so sign it again.
        writeFileSync(outfile, signMachO(readFileSync(outfile), { identifier: 'docker-tidy' }));
        const again = verifyMachO(readFileSync(outfile));
        if (!again.ok) throw new Error(`${file}: the code signature does not verify after signing: ${again.reason}`);
      }
    }
    chmodSync(outfile, 0o755);
    built.push(file);
    console.log(`built ${outfile} (${(statSync(outfile).size / 1e6).toFixed(1)} MB)`);
  }
  rmSync(join(outDir, '.staging'), { recursive: true, force: true });
  if (all) {
    const sums = built
      .sort()
      .map((f) => `${createHash('sha256').update(readFileSync(join(outDir, f))).digest('hex')}  ${f}\n`)
      .join('');
    writeFileSync(join(outDir, 'SHA256SUMS'), sums);
    process.stdout.write(sums);
  }
  console.log(`Bun ${Bun.version}, ${targets.length} target(s) in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/** One executable: the bundle, split into lazily loaded chunks with bytecode, and the target's runtime. */
async function compile(target, outfile, version, { minify = true } = {}) {
  const result = await Bun.build({
    entrypoints: [join(root, 'src', 'main.ts')],
    minify,
    splitting: true,
    bytecode: true,
    format: 'esm',
    // Same bytes for the same inputs: no absolute paths of this checkout in the bundle.
    root,
    plugins: [lazyStringWidth],
    compile: {
      target: TARGETS[target].bun,
      outfile,
      executablePath: runtimeOf(target),
      autoloadDotenv: false,
      autoloadBunfig: false,
      ...(target.startsWith('windows')
        ? { windows: { title: 'docker tidy', publisher: 'docker-tidy', version: `${version}.0`, description: 'docker tidy: a Docker CLI plugin' } }
        : {}),
    },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`bun build for ${target} failed`);
  }
}

// string-width builds an Intl.Segmenter and Unicode-set regexes when it loads. docker tidy's
// tables measure only cells that are not plain ASCII with it, and yargs' own help (which docker
// tidy never prints) the rest: so it is loaded on its first call, not when the modules load.
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (args) =>
      args.namespace === 'lazy' ? { path: require.resolve('string-width') } : { path: 'string-width', namespace: 'lazy' },
    );
    // A require()d ES module becomes its own chunk, loaded when the require runs (--splitting).
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      loader: 'js',
      contents:
        'let impl; export default function stringWidth(text, options) {' +
        ' impl ??= require("string-width").default; return impl(text, options); }',
    }));
  },
};

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain && !process.versions.bun) {
  // Under Node: run this same script with this machine's pinned Bun.
  const r = spawnSync(runtimeOf(hostTarget()), [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else if (isMain) {
  await main(process.argv.slice(2));
}
