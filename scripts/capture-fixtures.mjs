#!/usr/bin/env node
// Captures the Engine API answers the snapshot is built from, on each engine and store, for the
// unit tests: `node scripts/capture-fixtures.mjs [20.10] [26] [26-containerd] [28.5] [28.5-containerd]
// [28.5-containerd-builds]` (default: all; -builds: the world with the builds of a build host,
// world.sh --builds).
// For each engine it starts a private daemon (scripts/daemon.sh), builds the fixture world
// (scripts/world.sh), records the daemon's /version, the store part of /info (Driver,
// DriverStatus) and the raw answers of /system/df, /images/json (all=1: intermediate images too),
// /containers/json and every image's /json and /history into
// test/fixtures/engines/<engine>.json, and stops the daemon. Needs root, like the e2e tests.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const ENGINES = {
  '20.10': ['--engine', '20.10'],
  26: ['--engine', '26'],
  '26-containerd': ['--engine', '26', '--containerd-store'],
  28.5: ['--engine', '28.5'],
  '28.5-containerd': ['--engine', '28.5', '--containerd-store'],
  '28.5-containerd-builds': ['--engine', '28.5', '--containerd-store'],
};
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(ENGINES);
for (const engine of wanted) if (!ENGINES[engine]) throw new Error(`unknown engine ${engine}: ${Object.keys(ENGINES).join(', ')}`);

/** GET over the daemon's unix socket; the parsed JSON body. */
function get(socketPath, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path, headers: { Host: 'docker' } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`GET ${path}: ${res.statusCode} ${body}`))));
      })
      .on('error', reject);
  });
}

const out = join(root, 'test', 'fixtures', 'engines');
mkdirSync(out, { recursive: true });
for (const engine of wanted) {
  const dir = mkdtempSync(join(tmpdir(), 'tidy-capture-'));
  const sh = (script, args) => execFileSync('bash', [join(root, 'scripts', script), ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    sh('daemon.sh', ['start', ...ENGINES[engine], dir]);
    sh('world.sh', [dir, ...(engine.endsWith('-builds') ? ['--builds'] : [])]);
    const socket = join(dir, 'docker.sock');
    const version = await get(socket, '/version');
    // The version docker tidy asks for (src/docker/engine.ts negotiateApiVersion): the daemon's,
    // capped at 1.55; from 1.52 /system/df lists its objects only with verbose=1 (read-snapshot.ts).
    const [major, minor] = version.ApiVersion.split('.').map(Number);
    const api = major > 1 || minor > 55 ? '1.55' : version.ApiVersion;
    const dfQuery = major > 1 || minor >= 52 ? '?verbose=1' : '';
    const images = await get(socket, `/v${api}/images/json?all=1`);
    const { Driver, DriverStatus } = await get(socket, `/v${api}/info`);
    const perImage = {};
    for (const { Id } of images) {
      perImage[Id] = { inspect: await get(socket, `/v${api}/images/${Id}/json`), history: await get(socket, `/v${api}/images/${Id}/history`) };
    }
    const fixture = {
      engine,
      capturedAt: new Date().toISOString(),
      version: { Version: version.Version, ApiVersion: version.ApiVersion, MinAPIVersion: version.MinAPIVersion, Os: version.Os, Arch: version.Arch },
      apiVersion: api,
      info: { Driver, DriverStatus },
      systemDf: await get(socket, `/v${api}/system/df${dfQuery}`),
      images,
      containers: await get(socket, `/v${api}/containers/json?all=1`),
      perImage,
    };
    writeFileSync(join(out, `${engine}.json`), JSON.stringify(fixture, null, 1) + '\n');
    console.log(`${engine}: engine ${version.Version} (API ${version.ApiVersion}), ${images.length} images -> test/fixtures/engines/${engine}.json`);
  } finally {
    sh('daemon.sh', ['stop', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}
