// Benchmark: removing 300 unused images from the benchmark world (scripts/bench-world.mjs).
// Each run builds 300 fresh images (timed apart), then removes them with one of:
//   docker tidy rm --match '^benchrm/' --include-local -f       (docker tidy)
//   docker image rm ID1 ... ID300                                (one docker call, the baseline)
//   for id in ...; do docker image rm $id; done                 (the loop from the seed articles)
//   node scripts/bench-rm.mjs [DIR] [RUNS] [COUNT] [OTHER_EXE]      (after npm run build)
// OTHER_EXE: another docker-tidy executable (an earlier build, say), measured the same way in the
// same runs, to compare two builds without the drift between separate runs.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineApi, pool, tarWithFile } from './bench-lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = process.argv[2] ?? '/tmp/docker-tidy-bench';
const runs = Number(process.argv[3] ?? 3);
const count = Number(process.argv[4] ?? 300);
const socketPath = join(dir, 'docker.sock');
const other = process.argv[5];

/** A docker config directory with `exe` as its docker-tidy plugin, and an environment using it. */
function pluginEnv(exe) {
  const config = mkdtempSync(join(tmpdir(), 'tidy-bench-config-'));
  mkdirSync(join(config, 'cli-plugins'));
  copyFileSync(exe, join(config, 'cli-plugins', 'docker-tidy'));
  const env = { ...process.env, DOCKER_HOST: `unix://${socketPath}`, DOCKER_CONFIG: config, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'tidy-bench-cache-')) };
  delete env.DOCKER_CONTEXT;
  return env;
}
const env = pluginEnv(join(root, 'dist', 'docker-tidy'));
const otherEnv = other ? pluginEnv(other) : undefined;

const api = engineApi(socketPath);

/** Builds `count` fresh local images tagged benchrm/img:N on the benchmark bases; returns their IDs. */
async function buildBatch(run) {
  const ids = [];
  await pool(count, 4, async (i) => {
    const { Id } = await api('POST', '/containers/create', { Image: `bench/base:${i % 20}`, Cmd: ['/nothing'], NetworkDisabled: true });
    await api('PUT', `/containers/${Id}/archive?path=/`, tarWithFile(`r${run}-${i}`, 2000), 'application/x-tar');
    const image = await api('POST', `/commit?container=${Id}&repo=benchrm/img&tag=${i}&pause=false`, {});
    await api('DELETE', `/containers/${Id}`);
    ids[i] = image.Id;
  });
  return ids;
}

function timed(command, args, withEnv = env) {
  const t = process.hrtime.bigint();
  const r = spawnSync(command, args, { env: withEnv, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${command} ${args.slice(0, 4).join(' ')}...: ${r.stderr}`);
  return ms;
}

const tidyRm = ['tidy', 'rm', '--match', '^benchrm/', '--include-local', '-f', '--json'];
const methods = {
  'docker tidy rm -f': () => timed('docker', tidyRm),
  ...(otherEnv ? { 'docker tidy rm -f (OTHER_EXE)': () => timed('docker', tidyRm, otherEnv) } : {}),
  'docker image rm <300 IDs> (baseline)': (ids) => timed('docker', ['image', 'rm', ...ids]),
  'one docker image rm per image (loop)': (ids) => ids.reduce((total, id) => total + timed('docker', ['image', 'rm', id]), 0),
};
const times = Object.fromEntries(Object.keys(methods).map((k) => [k, []]));
let buildMs = 0;
for (let run = 0; run < runs; run++) {
  for (const [name, remove] of Object.entries(methods)) {
    const t = Date.now();
    const ids = await buildBatch(`${run}-${name.length}`);
    buildMs += Date.now() - t;
    times[name].push(remove(ids));
    const left = await api('GET', '/images/json?filters=' + encodeURIComponent(JSON.stringify({ reference: ['benchrm/*'] })));
    if (left.length) throw new Error(`${name} left ${left.length} images behind`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(times['docker image rm <300 IDs> (baseline)']);
console.log(`removing ${count} images, ${runs} runs each (building them took ${(buildMs / 1000).toFixed(0)}s, not counted)`);
for (const [name, xs] of Object.entries(times)) {
  console.log(`${name.padEnd(40)} median ${median(xs).toFixed(0).padStart(6)} ms   ${(median(xs) / base).toFixed(2)}x the baseline`);
}
for (const e of [env, otherEnv]) if (e) for (const d of [e.DOCKER_CONFIG, e.XDG_CACHE_HOME]) rmSync(d, { recursive: true, force: true });
