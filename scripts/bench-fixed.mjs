// The fixed cost of every docker tidy command, against docker's own, on a small private world (the
// sandbox's: scripts/world.sh): paired and interleaved runs, each pair in alternating order, of
//   df         docker tidy df                      vs docker system df
//   no daemon  the same two against a unix socket that does not exist (both must fail, in the same words)
//   context    docker --context C tidy df          vs docker --context C system df (C: a context made by
//              docker create, pointing at the same daemon; docker tidy reads its metadata file)
// and, for scale, docker tidy --version vs docker --version, and the plugin run on its own (what
// docker's plugin mechanism adds: its start, the metadata handshake, a second process) against the
// same docker commands. Prints each side's median wall time, the median of the pairs' ratios, and
// the median CPU time (user + system, the process and all it started: in other runs, under bash).
// Goals (issue #18): df and the no-daemon error at most 1.5x docker's own; exit 1 when one is not met.
//   node scripts/bench-fixed.mjs [DIR] [RUNS] [EXE]     (npm run bench:fixed; needs root)
// DIR: a daemon started with scripts/daemon.sh and its world built (scripts/world.sh), or a new
// folder: then a 20.10 daemon and the world are made there, and stopped and removed at the end.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = process.argv[2] ?? '/tmp/docker-tidy-bench-fixed';
const runs = Number(process.argv[3] ?? 21);
const exe = process.argv[4] ?? join(root, 'dist', 'docker-tidy');
const GOAL = 1.5;

const script = (name, ...args) => spawnSync('bash', [join(root, 'scripts', name), ...args], { stdio: ['ignore', 'ignore', 'inherit'] }).status;
let started = false;
if (script('daemon.sh', 'status', dir) !== 0) {
  if (existsSync(dir)) throw new Error(`${dir} exists and holds no running daemon: give a new folder or one made by scripts/daemon.sh`);
  console.log(`starting a private daemon and the sample world in ${dir}`);
  if (script('daemon.sh', 'start', dir) !== 0 || script('world.sh', dir) !== 0) throw new Error('could not start the daemon or build its world');
  started = true;
}

const config = mkdtempSync(join(tmpdir(), 'tidy-bench-config-'));
mkdirSync(join(config, 'cli-plugins'));
copyFileSync(exe, join(config, 'cli-plugins', 'docker-tidy'));
const host = `unix://${join(dir, 'docker.sock')}`;
const env = { ...process.env, DOCKER_CONFIG: config, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'tidy-bench-cache-')) };
delete env.DOCKER_CONTEXT;
delete env.DOCKER_HOST;
const withHost = (h) => ({ ...env, DOCKER_HOST: h });
const missing = `unix://${join(dir, 'no-such.sock')}`;
if (spawnSync('docker', ['context', 'create', 'bench', '--docker', `host=${host}`], { env, stdio: 'ignore' }).status !== 0) throw new Error('docker context create failed');

const plugin = join(config, 'cli-plugins', 'docker-tidy');

/** CPU milliseconds (user + system) of one run and everything it started, from bash's `times`. */
function cpuOf([args, e, code, , program = 'docker']) {
  const quoted = [program, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('bash', ['-c', `${quoted} >/dev/null 2>&1; [ $? = ${code} ] || exit 99; times`], { env: e, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')}: not exit ${code}`);
  const seconds = [...(r.stdout.trim().split('\n')[1] ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return (seconds[0] + seconds[1]) * 1000;
}

/** One run: wall milliseconds; checks the exit code and, when given, stderr. */
function once([args, e, code, stderr, program = 'docker']) {
  const t = process.hrtime.bigint();
  const r = spawnSync(program, args, { env: e, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== code) throw new Error(`docker ${args.join(' ')}: exit ${r.status}, expected ${code}: ${r.stderr}`);
  if (stderr !== undefined && !(typeof stderr === 'string' ? r.stderr === stderr : stderr.test(r.stderr))) throw new Error(`docker ${args.join(' ')}: said ${JSON.stringify(r.stderr)}, expected ${JSON.stringify(stderr)}`);
  return wall;
}

const noDaemon = `Cannot connect to the Docker daemon at ${missing}. Is the docker daemon running?\n`;
// docker tidy's words are docker's since this benchmark was written; an older build (OTHER EXE) said more.
const ourNoDaemon = process.argv[4] ? /annot connect to the Docker daemon/ : noDaemon;
const PAIRS = {
  df: [[['tidy', 'df'], withHost(host), 0], [['system', 'df'], withHost(host), 0]],
  'no daemon': [[['tidy', 'df'], withHost(missing), 1, ourNoDaemon], [['system', 'df'], withHost(missing), 1, noDaemon]],
  'context df': [[['--context', 'bench', 'tidy', 'df'], env, 0], [['--context', 'bench', 'system', 'df'], env, 0]],
  '--version': [[['tidy', '--version'], env, 0], [['--version'], env, 0]],
  'df, alone': [[['df'], withHost(host), 0, undefined, plugin], [['system', 'df'], withHost(host), 0]],
  'no daemon, alone': [[['df'], withHost(missing), 1, ourNoDaemon, plugin], [['system', 'df'], withHost(missing), 1, noDaemon]],
};
const GOALS = { df: GOAL, 'no daemon': GOAL };

for (const pair of Object.values(PAIRS)) for (const side of pair) once(side); // warm: the layer cache, the page cache
const samples = Object.fromEntries(Object.keys(PAIRS).map((k) => [k, { tidy: [], docker: [], ratio: [], tidyCpu: [], dockerCpu: [] }]));
for (let i = 0; i < runs; i++) {
  for (const [name, [tidy, docker]] of Object.entries(PAIRS)) {
    // Alternating which goes first, so that neither always runs on a cache the other warmed.
    const [a, b] = i % 2 === 0 ? [once(tidy), once(docker)] : [once(docker), once(tidy)].reverse();
    samples[name].tidy.push(a);
    samples[name].docker.push(b);
    samples[name].ratio.push(a / b);
    samples[name].tidyCpu.push(cpuOf(tidy));
    samples[name].dockerCpu.push(cpuOf(docker));
  }
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ')[0];
console.log(`${runs} pairs each, interleaved; ${exe}; docker ${spawnSync('docker', ['version', '--format', '{{.Client.Version}} / engine {{.Server.Version}}'], { env: withHost(host), encoding: 'utf8' }).stdout.trim()}; load average ${load}`);
console.log('case               docker tidy   docker     ratio (median of pairs)   CPU: docker tidy   docker   goal');
let failed = false;
for (const [name, s] of Object.entries(samples)) {
  const ratio = median(s.ratio);
  const goal = GOALS[name];
  const verdict = goal === undefined ? '' : ratio <= goal ? `at most ${goal}x: met` : `at most ${goal}x: NOT met`;
  if (goal !== undefined && ratio > goal) failed = true;
  const cpu = `${median(s.tidyCpu).toFixed(0).padStart(8)} ms ${median(s.dockerCpu).toFixed(0).padStart(6)} ms`;
  console.log(`${name.padEnd(18)} ${median(s.tidy).toFixed(1).padStart(8)} ms ${median(s.docker).toFixed(1).padStart(7)} ms   ${ratio.toFixed(2).padStart(6)}x                 ${cpu}   ${verdict}`);
}

spawnSync('docker', ['context', 'rm', '-f', 'bench'], { env, stdio: 'ignore' });
rmSync(config, { recursive: true, force: true });
rmSync(env.XDG_CACHE_HOME, { recursive: true, force: true });
if (started) {
  script('daemon.sh', 'stop', dir);
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
