// Where the time of `docker tidy unused --json` and `docker tidy df` goes on the benchmark world
// (scripts/bench-world.mjs), warm layer cache: each part measured on its own, interleaved, medians
// of wall and CPU time (user + system, from bash's `times`):
//   through docker      docker tidy CMD (docker's handshake, then the plugin)
//   plugin alone        docker-tidy CMD
//   start               docker-tidy --version (the runtime starts, the CLI chunk loads)
//   context inspect     docker context inspect --format '{{json .}}': what docker tidy runs to find
//                       the daemon when a context is involved (not here: DOCKER_HOST names the socket)
//   requests            what the command asks the daemon, sent with curl over the socket
// and "inside the process" = plugin alone - start - requests: reading, validating, planning and
// printing (its CPU: plugin alone - start).
//   node scripts/bench-breakdown.mjs [DIR] [RUNS] [EXE]      (after npm run build)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = process.argv[2] ?? '/tmp/docker-tidy-bench';
const runs = Number(process.argv[3] ?? 9);
const exe = process.argv[4] ?? join(root, 'dist', 'docker-tidy');
const socket = join(dir, 'docker.sock');

const config = mkdtempSync(join(tmpdir(), 'tidy-bench-config-'));
mkdirSync(join(config, 'cli-plugins'));
copyFileSync(exe, join(config, 'cli-plugins', 'docker-tidy'));
const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: config, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'tidy-bench-cache-')) };
delete env.DOCKER_CONTEXT;

/** One run under bash: wall ms, and CPU ms of what bash ran (its `times`, children's line). */
function once(script) {
  const t = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', `{ ${script}; } >/dev/null 2>&1 || exit 99; times`], { env, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  const seconds = [...(r.stdout.trim().split('\n')[1] ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { wall, cpu: (seconds[0] + seconds[1]) * 1000 };
}

// The daemon's API version, as docker tidy learns it (/_ping's Api-Version header).
const ping = spawnSync('curl', ['-sfI', '--unix-socket', socket, 'http://docker/_ping'], { encoding: 'utf8' });
const api = /^api-version: *([\d.]+)/im.exec(ping.stdout ?? '')?.[1] ?? '1.41';
const typedDf = Number(api.split('.')[1]) >= 42;
// The requests docker tidy makes, as it makes them: the ping, then the rest side by side.
const curl = (paths) =>
  `curl -sf --unix-socket ${socket} 'http://docker/_ping' && { ${paths.map((p) => `curl -sf -o /dev/null --unix-socket ${socket} 'http://docker/v${api}${p}' &`).join(' ')} wait; }`;
const plugin = join(config, 'cli-plugins', 'docker-tidy');
const COMMANDS = {
  'unused --json': ['/images/json?all=1', '/containers/json?all=1', '/info'],
  // From API 1.42 the parts of /system/df docker tidy uses, each alone; before, the whole.
  df: [...(typedDf ? ['/system/df?type=container', '/system/df?type=volume', '/system/df?type=build-cache'] : ['/system/df']), '/images/json?all=1', '/info'],
};
const cases = { start: `${plugin} --version`, 'context inspect': `docker context inspect --format '{{json .}}'` };
for (const [cmd, paths] of Object.entries(COMMANDS)) {
  cases[`docker tidy ${cmd}`] = `docker tidy ${cmd}`;
  cases[`docker-tidy ${cmd}`] = `${plugin} ${cmd}`;
  cases[`requests of ${cmd}`] = curl(paths);
}
cases['docker system df'] = 'docker system df';

once(`${plugin} df`); // fills the layer cache
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < runs + 1; i++) {
  for (const [name, script] of Object.entries(cases)) {
    const s = once(script);
    if (i > 0) samples[name].push(s);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, { wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) }]));
console.log(`${runs} runs each, interleaved; ${exe}`);
for (const [name, { wall, cpu }] of Object.entries(m)) console.log(`${name.padEnd(32)} wall ${wall.toFixed(0).padStart(6)} ms   CPU ${cpu.toFixed(0).padStart(5)} ms`);
for (const cmd of Object.keys(COMMANDS)) {
  const alone = m[`docker-tidy ${cmd}`];
  const inside = { wall: alone.wall - m.start.wall - m[`requests of ${cmd}`].wall, cpu: alone.cpu - m.start.cpu };
  console.log(
    `${cmd}: through docker ${m[`docker tidy ${cmd}`].wall.toFixed(0)} ms = docker's handshake and exec ${(m[`docker tidy ${cmd}`].wall - alone.wall).toFixed(0)} + start ${m.start.wall.toFixed(0)} + requests ${m[`requests of ${cmd}`].wall.toFixed(0)} + inside the process ${inside.wall.toFixed(0)} ms (CPU ${inside.cpu.toFixed(0)} ms)`,
  );
}
rmSync(config, { recursive: true, force: true });
rmSync(env.XDG_CACHE_HOME, { recursive: true, force: true });
