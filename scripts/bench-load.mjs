// Load benchmark: `df`, `images`, `unused` and a dry-run `prune -a` on two benchmark worlds
// (scripts/bench-world.mjs), a small one and one five times larger, in the same run: median wall
// time (warm layer cache) and peak RSS of the plugin process on each, and how time grows from one
// to the other (the target: no faster than linearly, i.e. a ratio of at most 5 for 5x the objects;
// peak RSS under 200 MB).
//   node scripts/bench-load.mjs SMALL_DIR LARGE_DIR [RUNS] [OTHER_EXE]      (after npm run build)
// OTHER_EXE: another docker-tidy executable (an earlier build, say), measured the same way, each
// command's runs alternating between the two.
// e.g. node scripts/bench-world.mjs /tmp/tidy-load-1k 1000 1000
//      node scripts/bench-world.mjs /tmp/tidy-load-5k 5000 5000
//      node scripts/bench-load.mjs /tmp/tidy-load-1k /tmp/tidy-load-5k
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const exe = join(root, 'dist', 'docker-tidy');
const [small, large] = process.argv.slice(2, 4);
const runs = Number(process.argv[4] ?? 3);
const other = process.argv[5];
if (!small || !large) {
  console.error('usage: node scripts/bench-load.mjs SMALL_DIR LARGE_DIR [RUNS]');
  process.exit(2);
}

const COMMANDS = [
  ['df', '--json'],
  ['images', '--json'],
  ['unused', '--json'],
  ['prune', '-a', '--include-local', '--dry-run', '--json'],
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs the plugin executable itself under /usr/bin/time: wall ms and peak RSS in MB. */
function measure(env, args, program = exe) {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', program, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`docker-tidy ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, rssMb: Number(r.stderr.trim().split('\n').pop()) / 1024, stdout: r.stdout };
}

const config = mkdtempSync(join(tmpdir(), 'tidy-load-config-'));
mkdirSync(join(config, 'cli-plugins'));
copyFileSync(exe, join(config, 'cli-plugins', 'docker-tidy'));
const results = {};
for (const dir of [small, large]) {
  const env = { ...process.env, DOCKER_HOST: `unix://${join(dir, 'docker.sock')}`, DOCKER_CONFIG: config, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'tidy-load-cache-')) };
  delete env.DOCKER_CONTEXT;
  const world = JSON.parse(measure(env, ['df', '--json']).stdout); // also warms the layer cache
  results[dir] = { images: world.images.total, containers: world.containers.total, commands: {}, other: {} };
  for (const args of COMMANDS) {
    const samples = [];
    const otherSamples = [];
    for (let i = 0; i < runs; i++) {
      samples.push(measure(env, args));
      if (other) otherSamples.push(measure(env, args, other));
    }
    results[dir].commands[args[0]] = { ms: median(samples.map((s) => s.ms)), rssMb: Math.max(...samples.map((s) => s.rssMb)) };
    if (other) results[dir].other[args[0]] = { ms: median(otherSamples.map((s) => s.ms)), rssMb: Math.max(...otherSamples.map((s) => s.rssMb)) };
  }
  rmSync(env.XDG_CACHE_HOME, { recursive: true, force: true });
}
rmSync(config, { recursive: true, force: true });

const [a, b] = [results[small], results[large]];
const scale = (b.images + b.containers) / (a.images + a.containers);
console.log(`worlds: ${a.images} images + ${a.containers} containers, and ${b.images} + ${b.containers} (${scale.toFixed(1)}x); median of ${runs}, warm layer cache`);
console.log('command                    small      large    time ratio   peak RSS small / large');
for (const [name] of COMMANDS) {
  const x = a.commands[name];
  const y = b.commands[name];
  console.log(
    `${`docker tidy ${name}`.padEnd(22)} ${x.ms.toFixed(0).padStart(7)} ms ${y.ms.toFixed(0).padStart(7)} ms ${(y.ms / x.ms).toFixed(2).padStart(8)}x   ${x.rssMb.toFixed(0).padStart(5)} / ${y.rssMb.toFixed(0)} MB`,
  );
}
if (other) {
  console.log(`OTHER_EXE ${other}, same runs:`);
  for (const [name] of COMMANDS) {
    const x = a.other[name];
    const y = b.other[name];
    console.log(
      `${`docker tidy ${name}`.padEnd(22)} ${x.ms.toFixed(0).padStart(7)} ms ${y.ms.toFixed(0).padStart(7)} ms ${(y.ms / x.ms).toFixed(2).padStart(8)}x   ${x.rssMb.toFixed(0).padStart(5)} / ${y.rssMb.toFixed(0)} MB`,
    );
  }
}
const worst = Math.max(...COMMANDS.map(([n]) => b.commands[n].ms / a.commands[n].ms));
const peak = Math.max(...COMMANDS.map(([n]) => b.commands[n].rssMb));
console.log(`time grows ${worst.toFixed(2)}x at most for ${scale.toFixed(1)}x the objects (target: at most ${scale.toFixed(1)}x, linear); peak RSS ${peak.toFixed(0)} MB (target: under 200 MB)`);
