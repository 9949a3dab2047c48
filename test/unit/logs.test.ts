// Container logs in the pure core: which files are a log's, how each driver rotates, df's row,
// the advice for uncapped logs, the helper's answer and image choice, and the bytes rm and prune
// count for the containers they remove.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  containerBytes,
  helperCandidates,
  isHelperContainer,
  isLogFile,
  logAdvice,
  logStorage,
  logUsage,
  parseHelperOutput,
  parseLogSize,
  rotationOf,
  type ContainerLog,
} from '../../src/core/logs.js';
import { parseImageReference } from '../../src/core/parse.js';
import { planPrune, type PruneRequest } from '../../src/core/plan-prune.js';
import { planRemoval } from '../../src/core/plan-removal.js';
import type { Container, Snapshot } from '../../src/core/snapshot.js';
import { reclaimedBytes } from '../../src/core/usage.js';
import { demultiplex, readAllHere } from '../../src/docker/logs.js';
import { container, image } from './builders.js';

const ID = 'a'.repeat(64);
const ID2 = 'b'.repeat(64);
const json = (bytes: number[], options: Record<string, string> = {}): ContainerLog => ({
  config: { driver: 'json-file', options },
  files: bytes.map((b, i) => ({ path: `${ID}-json.log${i ? `.${i}` : ''}`, bytes: b })),
});
const withLog = (c: Container, log: ContainerLog): Container => ({ ...c, log });

describe('log sizes and rotation as docker reads them', () => {
  it('reads max-size as go-units RAMInBytes does: binary multiples', () => {
    expect(parseLogSize('10k')).toBe(10240);
    expect(parseLogSize('10m')).toBe(10 * 1024 * 1024);
    expect(parseLogSize('1.5m')).toBe(1572864);
    expect(parseLogSize('20MB')).toBe(20 * 1024 * 1024);
    expect(parseLogSize('1GiB')).toBe(1024 ** 3);
    expect(parseLogSize('100')).toBe(100);
    expect(parseLogSize('ten')).toBeUndefined();
    expect(parseLogSize('-1')).toBeUndefined();
  });

  it('json-file rotates only with max-size: without it the log keeps every line', () => {
    expect(rotationOf({ driver: 'json-file', options: {} })).toBeNull();
    expect(rotationOf({ driver: 'json-file', options: { 'max-file': '3' } })).toBeNull();
    expect(rotationOf({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } })).toMatchObject({ maxSize: 10485760, maxFile: 3, maxSizeText: '10m', isDefault: false });
    // max-file defaults to 1: the one file is capped.
    expect(rotationOf({ driver: 'json-file', options: { 'max-size': '1k' } })).toMatchObject({ maxSize: 1024, maxFile: 1 });
  });

  it('the local driver and docker cache rotate by default (20 MiB x 5)', () => {
    expect(rotationOf({ driver: 'local', options: {} })).toEqual({ maxSize: 20971520, maxFile: 5, maxSizeText: '20m', isDefault: true });
    expect(rotationOf({ driver: 'local', options: { 'max-size': '10k', 'max-file': '3' } })).toMatchObject({ maxSize: 10240, maxFile: 3, isDefault: false });
    // cache-max-size per container did not take effect on engines 20.10 and 26 (measured).
    expect(rotationOf({ driver: 'syslog', options: { 'cache-max-size': '1k' } })).toMatchObject({ maxSize: 20971520, maxFile: 5, isDefault: true });
  });

  it('says where each driver keeps its lines', () => {
    expect(logStorage({ driver: 'json-file', options: {} })).toBe('file');
    expect(logStorage({ driver: 'local', options: {} })).toBe('file');
    expect(logStorage({ driver: 'syslog', options: {} })).toBe('cache');
    expect(logStorage({ driver: 'fluentd', options: { 'cache-disabled': 'true' } })).toBe('none');
    expect(logStorage({ driver: 'journald', options: {} })).toBe('none');
    expect(logStorage({ driver: 'none', options: {} })).toBe('none');
    expect(rotationOf({ driver: 'journald', options: {} })).toBeNull();
  });
});

describe('which files are a log', () => {
  const name = `${ID}-json.log`;
  it.each([
    [name, true],
    [`${name}.1`, true],
    [`${name}.12.gz`, true],
    ['local-logs/container.log', true],
    ['local-logs/container.log.1.gz', true],
    ['container-cached.log', true],
    ['container-cached.log.3.gz', true],
    ['config.v2.json', false],
    ['hostconfig.json', false],
    ['resolv.conf', false],
    [`${name}.bak`, false],
    [`${ID2}-json.log`, false],
    ['local-logs/nested/x', false],
    ['mounts/shm/container.log', false],
  ])('%s: %s', (path, expected) => {
    expect(isLogFile(path, name)).toBe(expected);
  });

  it('a container without LogPath has no json-file log to match', () => {
    expect(isLogFile(`${ID}-json.log`, '')).toBe(false);
  });
});

describe('reading the files on this machine before the container list is in', () => {
  it("takes each container directory's log files as docker names them, and nothing else", () => {
    const root = mkdtempSync(join(tmpdir(), 'tidy-logs-'));
    try {
      const dir = (id: string, files: Record<string, number>): void => {
        mkdirSync(join(root, 'containers', id, 'local-logs'), { recursive: true });
        for (const [name, bytes] of Object.entries(files)) writeFileSync(join(root, 'containers', id, name), Buffer.alloc(bytes));
      };
      dir(ID, { [`${ID}-json.log`]: 120, [`${ID}-json.log.1`]: 300, 'config.v2.json': 50, 'hostname': 7 });
      dir(ID2, { 'local-logs/container.log': 40 });
      const read = readAllHere(root);
      expect('files' in read && Object.fromEntries(read.files)).toEqual({
        [ID]: [
          { path: `${ID}-json.log`, bytes: 120 },
          { path: `${ID}-json.log.1`, bytes: 300 },
        ],
        [ID2]: [{ path: 'local-logs/container.log', bytes: 40 }],
      });
      expect('present' in read && [...read.present].sort()).toEqual([ID, ID2]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a data root that is not on this machine is said to be so', () => {
    expect(readAllHere(join(tmpdir(), 'tidy-no-such-root'))).toEqual({ unavailable: expect.stringContaining('is not on this machine'), permission: false });
  });
});

describe("the helper's answer", () => {
  it('keeps the log files of known containers, by container, and nothing else', () => {
    const text = [
      `100485 ./${ID}/${ID}-json.log`,
      `10090 ./${ID}/${ID}-json.log.1`,
      `985 ./${ID2}/local-logs/container.log.1.gz`,
      `33 ./${'c'.repeat(64)}/${'c'.repeat(64)}-json.log`, // the helper's own container: not listed
      `9 ./${ID}/config.v2.json`,
      "stat: can't stat './x': No such file or directory",
      '',
    ].join('\n');
    const files = parseHelperOutput(
      text,
      new Map([
        [ID, `${ID}-json.log`],
        [ID2, ''],
      ]),
    );
    expect(Object.fromEntries(files)).toEqual({
      [ID]: [
        { path: `${ID}-json.log`, bytes: 100485 },
        { path: `${ID}-json.log.1`, bytes: 10090 },
      ],
      [ID2]: [{ path: 'local-logs/container.log.1.gz', bytes: 985 }],
    });
  });

  it('splits the logs endpoint stream into stdout and stderr', () => {
    const frame = (stream: number, text: string): Buffer => {
      const body = Buffer.from(text);
      const head = Buffer.alloc(8);
      head[0] = stream;
      head.writeUInt32BE(body.length, 4);
      return Buffer.concat([head, body]);
    };
    expect(demultiplex(Buffer.concat([frame(1, 'a\n'), frame(2, 'oops\n'), frame(1, 'b\n')]))).toEqual({ stdout: 'a\nb\n', stderr: 'oops\n' });
  });
});

describe('the image the helper runs from', () => {
  const images = [
    image('sha256:big', [['x', 90]], { tags: ['debian:12'] }),
    image('sha256:small', [['y', 5]], { tags: ['busybox:latest', 'mirror/busybox:1'] }),
    image('sha256:alp', [['z', 8]], { tags: ['alpine:3.19'] }),
    image('sha256:app', [['w', 1]], { tags: ['myapp:1'] }),
    image('sha256:own', [['v', 50]], { tags: ['docker-tidy/helper:1'] }),
  ];

  it('--helper alone when given; else its own image, then local busybox-like ones, smallest first, each image once', () => {
    expect(helperCandidates(images, 'myapp:1')).toEqual(['myapp:1']);
    expect(helperCandidates(images, undefined)).toEqual(['docker-tidy/helper:1', 'busybox:latest', 'alpine:3.19', 'debian:12']);
    expect(helperCandidates([images[3]!], undefined)).toEqual([]);
  });

  it("knows its own helper containers by their label (a concurrent run's are in no report or plan)", () => {
    expect(isHelperContainer({ ...container('docker-tidy-helper-1a2b', 'busybox'), labels: { 'org.docker-tidy.helper': '1' } })).toBe(true);
    expect(isHelperContainer({ ...container('web', 'app'), labels: { 'com.example': 'x' } })).toBe(false);
    expect(isHelperContainer(container('web', 'app'))).toBe(false);
  });

  it('--helper takes an image reference or ID, nothing else', () => {
    expect(parseImageReference('busybox')).toBe('busybox');
    expect(parseImageReference('127.0.0.1:5000/team/tools:1.2')).toBe('127.0.0.1:5000/team/tools:1.2');
    expect(parseImageReference('sha256:' + 'f'.repeat(64))).toBe('sha256:' + 'f'.repeat(64));
    expect(() => parseImageReference('')).toThrow(/name an image/);
    expect(() => parseImageReference('Busy Box')).toThrow(/not an image reference/);
    expect(() => parseImageReference('--rm')).toThrow(/not an image reference/);
  });
});

describe("df's Container logs row and the advice", () => {
  const snapshot = (): Snapshot => ({
    images: [],
    containers: [
      withLog(container('web', 'i', 'running'), json([500])),
      withLog(container('job', 'i', 'exited'), json([1000, 2000], { 'max-size': '2k', 'max-file': '2' })),
      withLog(container('old', 'i', 'exited'), json([300])),
      withLog(container('quiet', 'i', 'created'), { config: { driver: 'json-file', options: {} }, files: [] }),
      withLog(container('journal', 'i', 'running'), { config: { driver: 'journald', options: {} }, files: [] }),
      withLog(container('loc', 'i', 'running'), { config: { driver: 'local', options: {} }, files: [{ path: 'local-logs/container.log', bytes: 40 }] }),
    ],
    volumes: [],
    buildCache: [],
    logs: { via: 'local' },
  });

  it('counts containers with a log file, running ones, every byte, and the bytes of stopped ones', () => {
    const usage = logUsage(snapshot());
    expect(usage).toMatchObject({ total: 4, active: 2, sizeBytes: 3840, reclaimableBytes: 3300, exact: true });
    expect(usage.items.map((r) => [r.container.name, r.sizeBytes])).toEqual([
      ['job', 3000],
      ['web', 500],
      ['old', 300],
      ['loc', 40],
      ['journal', 0],
      ['quiet', 0],
    ]);
  });

  it('when the files could not be read: sizes unknown (null, -1), the reason kept, the counts by configuration', () => {
    const s = snapshot();
    s.logs = { via: 'unknown', unknown: { reason: 'permission denied', fix: 'sudo' } };
    for (const c of s.containers) c.log = { ...c.log!, files: [] };
    const usage = logUsage(s);
    expect(usage).toMatchObject({ sizeBytes: null, reclaimableBytes: null, exact: false, reading: { unknown: { reason: 'permission denied' } } });
    expect(usage.items.every((r) => r.sizeBytes === -1)).toBe(true);
    // Those whose driver writes a file and that have run: web, job, old, loc.
    expect(usage.total).toBe(4);
  });

  it('without the settings (plain df, prune): the same figures from the files alone', () => {
    const s = snapshot();
    for (const c of s.containers) c.log = { files: c.log!.files };
    expect(logUsage(s)).toMatchObject({ total: 4, active: 2, sizeBytes: 3840, reclaimableBytes: 3300, exact: true });
    s.logs = { via: 'unknown', unknown: { reason: 'r', fix: 'f' } };
    for (const c of s.containers) c.log = { files: [] };
    // Unknown and no settings: every container that has run may have one (journal's too).
    expect(logUsage(s)).toMatchObject({ total: 5, active: 3, sizeBytes: null });
  });

  it('names the logs without a cap, the running ones among them, and the setting that caps them', () => {
    const advice = logAdvice(logUsage(snapshot()).items);
    expect(advice.uncapped.map((r) => r.container.name)).toEqual(['web', 'old', 'quiet']);
    expect(advice.growing.map((r) => r.container.name)).toEqual(['web']);
    expect(advice.daemonJson).toEqual({ 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m', 'max-file': '3' } });
    expect(advice.logOpts).toEqual(['max-size=10m', 'max-file=3']);
  });
});

describe('rm and prune count the logs of the containers they remove', () => {
  const request: PruneRequest = {
    containers: true,
    images: 'none',
    networks: false,
    volumes: 'none',
    buildCache: 'none',
    labels: [],
    exclude: [],
    includeLocal: false,
    save: false,
  };
  const snapshot = (): Snapshot => ({
    images: [image('app', [['a', 10]], { digests: ['app@sha256:' + '0'.repeat(64)] })],
    containers: [withLog({ ...container('done', 'app', 'exited', 7), volumes: [] }, json([1000, 234])), withLog(container('web', 'other', 'running', 5), json([99]))],
    volumes: [],
    buildCache: [],
    logs: { via: 'helper', helperImage: 'busybox' },
  });

  it("prune: a stopped container frees its writable layer and its log files; a running one's stay", () => {
    const plan = planPrune(snapshot(), request);
    expect(plan.bytes.containers).toBe(7 + 1234);
    expect(plan.estimatedBytes).toBe(1241);
    expect(plan.exact).toBe(true);
    expect(containerBytes(plan.removal.containers[0]!)).toBe(1241);
  });

  it('prune: log sizes that could not be read make the estimate inexact', () => {
    const s = snapshot();
    s.logs = { via: 'unknown', unknown: { reason: 'x', fix: 'y' } };
    for (const c of s.containers) c.log = { ...c.log!, files: [] };
    const plan = planPrune(s, request);
    expect(plan.bytes.containers).toBe(7);
    expect(plan.exact).toBe(false);
    expect(plan.removal.exact).toBe(false);
  });

  it('rm --with-containers: the estimate and what the daemon then freed include the logs', () => {
    const s = snapshot();
    const plan = planRemoval(s, { images: ['app'], match: [], filter: {}, exclude: [], withContainers: true, includeLocal: false, save: false });
    expect(plan.containers.map((c) => c.name)).toEqual(['done']);
    expect(plan.estimatedBytes).toBe(10 + 7 + 1234);
    expect(reclaimedBytes(s.images, new Set(['app']), plan.containers, ['done'])).toBe(10 + 7 + 1234);
  });
});
