// Benchmark: `docker tidy unused --json` on the benchmark world (scripts/bench-world.mjs) against
// baselines measured in the same run:
//   (a) the fewest plain docker CLI calls that can tell by image ID which images containers use:
//       docker image ls -q --no-trunc, docker ps -aq, docker container inspect of every container
//   (b) the daemon's own answer time for GET /images/json and GET /containers/json?all=1
// Reports medians (warm layer cache), the cold-cache run, and peak memory.
//   node scripts/bench-unused.mjs [DIR] [RUNS]      (after npm run build)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const exe = join(root, 'dist', 'docker-tidy');
const dir = process.argv[2] ?? '/tmp/docker-tidy-bench';
const runs = Number(process.argv[3] ?? 7);
const socketPath = join(dir, 'docker.sock');

const config = mkdtempSync(join(tmpdir(), 'tidy-bench-config-'));
mkdirSync(join(config, 'cli-plugins'));
copyFileSync(exe, join(config, 'cli-plugins', 'docker-tidy'));
const warmCache = mkdtempSync(join(tmpdir(), 'tidy-bench-cache-'));
const env = { ...process.env, DOCKER_HOST: `unix://${socketPath}`, DOCKER_CONFIG: config, XDG_CACHE_HOME: warmCache };
delete env.DOCKER_CONTEXT;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed(fn) {
  const t = process.hrtime.bigint();
  const out = fn();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, out };
}
function docker(args, extraEnv = {}) {
  const r = spawnSync('docker', args, { env: { ...env, ...extraEnv }, maxBuffer: 1 << 28, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
function get(path) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, headers: { Host: 'docker' } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

function baselineCli() {
  docker(['image', 'ls', '-q', '--no-trunc']);
  const ids = docker(['ps', '-aq']).trim().split('\n').filter(Boolean);
  docker(['container', 'inspect', '--format', '{{.Image}}', ...ids]);
}
async function baselineApi() {
  const t = process.hrtime.bigint();
  await get('/images/json');
  await get('/containers/json?all=1');
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const tidy = (extraEnv) => docker(['tidy', 'unused', '--json'], extraEnv);

const counts = JSON.parse(docker(['tidy', 'df', '--json'])); // also warms the layer cache
const cold = [];
const times = { tidy: [], cli: [], api: [] };
for (let i = 0; i < runs; i++) {
  times.tidy.push(timed(() => tidy()).ms);
  times.cli.push(timed(baselineCli).ms);
  times.api.push(await baselineApi());
  const fresh = mkdtempSync(join(tmpdir(), 'tidy-bench-cold-'));
  cold.push(timed(() => tidy({ XDG_CACHE_HOME: fresh })).ms);
  rmSync(fresh, { recursive: true, force: true });
}
// Peak memory (max RSS) of the plugin process itself, warm and cold.
function peakRssMb(cache) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', exe, 'unused', '--json'], {
    env: { ...env, XDG_CACHE_HOME: cache },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  return Number(r.stderr.trim().split('\n').pop()) / 1024;
}
const fresh = mkdtempSync(join(tmpdir(), 'tidy-bench-cold-'));
const peak = peakRssMb(warmCache);
const peakCold = peakRssMb(fresh);

const m = { tidy: median(times.tidy), cli: median(times.cli), api: median(times.api), cold: median(cold) };
console.log(`world: ${counts.images.total} images, ${counts.containers.total} containers; ${runs} runs each, interleaved`);
console.log(`docker tidy unused --json (warm cache)   median ${m.tidy.toFixed(0).padStart(6)} ms`);
console.log(`(a) image ls + ps -aq + container inspect median ${m.cli.toFixed(0).padStart(6)} ms   tidy = ${(m.tidy / m.cli).toFixed(2)}x (target <= 1.0x)`);
console.log(`(b) GET /images/json + /containers/json  median ${m.api.toFixed(0).padStart(6)} ms   tidy = ${(m.tidy / m.api).toFixed(2)}x (target <= 3x)`);
console.log(`docker tidy unused --json (cold cache)   median ${m.cold.toFixed(0).padStart(6)} ms   ${(m.cold / m.cli).toFixed(2)}x (a)`);
console.log(`peak RSS of docker-tidy: warm ${peak.toFixed(0)} MB, cold ${peakCold.toFixed(0)} MB`);
rmSync(config, { recursive: true, force: true });
rmSync(warmCache, { recursive: true, force: true });
rmSync(fresh, { recursive: true, force: true });
