// Builds the benchmark world in a private daemon: many distinct images (some sharing base layers,
// some untagged and referenced only by ID) and as many containers.
//   node scripts/bench-world.mjs [DIR] [IMAGES] [CONTAINERS]   (defaults: /tmp/docker-tidy-bench 1000 1000)
// Starts the daemon with scripts/daemon.sh when DIR has none. Talks to the Engine API over the
// daemon's unix socket directly, so that building thousands of objects takes minutes, not hours.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineApi, pool, tarWithFile } from './bench-lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2] ?? '/tmp/docker-tidy-bench';
const imageCount = Number(process.argv[3] ?? 1000);
const containerCount = Number(process.argv[4] ?? 1000);
const BASES = 20;

if (!existsSync(join(dir, 'docker.sock'))) {
  execFileSync('bash', [join(here, 'daemon.sh'), 'start', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const socketPath = join(dir, 'docker.sock');

const api = engineApi(socketPath);

const started = Date.now();
const existing = await api('GET', '/images/json');
if (existing.length >= imageCount) {
  console.error(`${dir} already has ${existing.length} images; nothing to build`);
  process.exit(0);
}

// Base images: one layer each, imported.
const bases = [];
for (let b = 0; b < BASES; b++) {
  await api('POST', `/images/create?fromSrc=-&repo=bench/base&tag=${b}`, tarWithFile(`base${b}`, 200_000 + b * 10_000), 'application/x-tar');
  bases.push(`bench/base:${b}`);
}

// Images built on the bases: a container gets one small file, then is committed. Every tenth is
// left untagged, so only its ID refers to it.
const images = [];
await pool(imageCount - BASES, 4, async (i) => {
  const { Id } = await api('POST', '/containers/create', { Image: bases[i % BASES], Cmd: ['/nothing'], NetworkDisabled: true });
  await api('PUT', `/containers/${Id}/archive?path=/`, tarWithFile(`f${i}`, 1000 + (i % 50) * 100), 'application/x-tar');
  const tag = i % 10 === 0 ? '' : `&repo=bench/app&tag=v${i}`;
  const image = await api('POST', `/commit?container=${Id}${tag}&pause=false`, {});
  await api('DELETE', `/containers/${Id}`);
  images[i] = image.Id;
});

// Containers: about half the images get one, some by ID, some by tag.
await pool(containerCount, 4, async (j) => {
  const i = (j * 7) % images.length;
  const ref = i % 10 === 0 || j % 3 === 0 ? images[i] : `bench/app:v${i}`;
  await api('POST', `/containers/create?name=bench-${j}`, { Image: ref, Cmd: ['/nothing'], NetworkDisabled: true });
});

const total = await api('GET', '/images/json');
const containers = await api('GET', '/containers/json?all=1');
console.error(`built ${total.length} images and ${containers.length} containers in ${((Date.now() - started) / 1000).toFixed(0)}s in ${dir}`);
console.log(readFileSync(join(dir, 'env'), 'utf8').trim());
