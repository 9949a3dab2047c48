// Benchmark on the benchmark world (scripts/bench-world.mjs): `docker tidy unused --json` and
// `docker tidy df`, both through docker and warm (layer cache filled), against baselines measured
// in the same runs, interleaved:
//   (a) the fewest plain docker CLI calls that can tell by image ID which images containers use:
//       docker image ls -q --no-trunc, docker ps -aq, docker container inspect of every container
//   (b) the daemon's own answer time for GET /images/json and GET /containers/json?all=1 (the floor)
//   (c) docker system df
// Targets: unused --json at most 2x (b); df at most 1.2x (c). Also the cold-cache run and peak memory.
//   node scripts/bench-unused.mjs [DIR] [RUNS] [OTHER_EXE]      (after npm run build)
// OTHER_EXE: another docker-tidy executable (an earlier build, say), measured the same way in the
// same runs, to compare two builds without the drift between separate runs.
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
const other = process.argv[4];
const socketPath = join(dir, 'docker.sock');

/** A docker config directory with `path` as its docker-tidy plugin, and a warm cache of its own. */
function pluginEnv(path) {
  const config = mkdtempSync(join(tmpdir(), 'tidy-bench-config-'));
  mkdirSync(join(config, 'cli-plugins'));
  copyFileSync(path, join(config, 'cli-plugins', 'docker-tidy'));
  const env = { ...process.env, DOCKER_HOST: `unix://${socketPath}`, DOCKER_CONFIG: config, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'tidy-bench-cache-')) };
  delete env.DOCKER_CONTEXT;
  return { exe: path, env };
}
const builds = [pluginEnv(exe), ...(other ? [pluginEnv(other)] : [])];
const env = builds[0].env;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
function docker(args, runEnv = env) {
  const r = spawnSync('docker', args, { env: runEnv, maxBuffer: 1 << 28, encoding: 'utf8' });
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

// Also warms each build's layer cache.
const counts = builds.map((b) => JSON.parse(docker(['tidy', 'df', '--json'], b.env)))[0];
const times = { cli: [], api: [], systemDf: [] };
for (const b of builds) Object.assign(b, { unused: [], df: [], cold: [] });
for (let i = 0; i < runs; i++) {
  for (const b of builds) b.unused.push(timed(() => docker(['tidy', 'unused', '--json'], b.env)));
  times.cli.push(timed(baselineCli));
  times.api.push(await baselineApi());
  for (const b of builds) b.df.push(timed(() => docker(['tidy', 'df'], b.env)));
  times.systemDf.push(timed(() => docker(['system', 'df'])));
  for (const b of builds) {
    const fresh = mkdtempSync(join(tmpdir(), 'tidy-bench-cold-'));
    b.cold.push(timed(() => docker(['tidy', 'unused', '--json'], { ...b.env, XDG_CACHE_HOME: fresh })));
    rmSync(fresh, { recursive: true, force: true });
  }
}
// Peak memory (max RSS) of the plugin process itself, warm and cold.
function peakRssMb(b, cache) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', b.exe, 'unused', '--json'], { env: { ...b.env, XDG_CACHE_HOME: cache }, encoding: 'utf8', maxBuffer: 1 << 28 });
  return Number(r.stderr.trim().split('\n').pop()) / 1024;
}

const m = { cli: median(times.cli), api: median(times.api), systemDf: median(times.systemDf) };
console.log(`world: ${counts.images.total} images, ${counts.containers.total} containers; ${runs} runs each, interleaved`);
console.log(`(a) image ls + ps -aq + container inspect median ${m.cli.toFixed(0).padStart(6)} ms`);
console.log(`(b) GET /images/json + /containers/json  median ${m.api.toFixed(0).padStart(6)} ms`);
console.log(`(c) docker system df                     median ${m.systemDf.toFixed(0).padStart(6)} ms`);
for (const b of builds) {
  const name = b === builds[0] ? 'dist/docker-tidy' : b.exe;
  const unused = median(b.unused);
  const df = median(b.df);
  const cold = median(b.cold);
  const fresh = mkdtempSync(join(tmpdir(), 'tidy-bench-cold-'));
  console.log(`${name}:`);
  console.log(`  docker tidy unused --json (warm) median ${unused.toFixed(0).padStart(6)} ms   ${(unused / m.api).toFixed(2)}x (b) (target <= 2x), ${(unused / m.cli).toFixed(2)}x (a)`);
  console.log(`  docker tidy df (warm)            median ${df.toFixed(0).padStart(6)} ms   ${(df / m.systemDf).toFixed(2)}x (c) (target <= 1.2x)`);
  console.log(`  docker tidy unused --json (cold) median ${cold.toFixed(0).padStart(6)} ms   ${(cold / m.cli).toFixed(2)}x (a)`);
  console.log(`  peak RSS of docker-tidy unused --json: warm ${peakRssMb(b, b.env.XDG_CACHE_HOME).toFixed(0)} MB, cold ${peakRssMb(b, fresh).toFixed(0)} MB`);
  rmSync(fresh, { recursive: true, force: true });
}
for (const b of builds) for (const d of [b.env.DOCKER_CONFIG, b.env.XDG_CACHE_HOME]) rmSync(d, { recursive: true, force: true });
