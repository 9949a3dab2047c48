// Many hosts (--contexts, --all-contexts), pure: which contexts, the listing sorted across hosts,
// df's total, the --json document over hosts, and how a run over hosts ends. Two hosts are the
// answers captured on engine 20.10 (classic store) and engine 28.5 with the containerd store.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { emptyPlan, hostsOutcome, orderAcrossHosts, pickContexts, requestOnHost, totalDiskUsage, type HostResult } from '../../src/core/hosts.js';
import { planRemoval, type RemovalRequest } from '../../src/core/plan-removal.js';
import { logUsage } from '../../src/core/logs.js';
import { sortImages } from '../../src/core/select.js';
import { analyzeImages, computeDiskUsage, listedImages, type ImageUsage } from '../../src/core/usage.js';
import { parseContextList } from '../../src/docker/contexts.js';
import { expectShape, ImageSummary, SystemDf, SystemInfo } from '../../src/docker/raw.js';
import { imageStoreFrom, layersFrom, ownContentFrom, snapshotFrom } from '../../src/docker/read-snapshot.js';
import { contextTarget, dockerTarget } from '../../src/docker/target.js';
import { dfDocument, hostsDocument, imagesDocument, removalTotal, type DfHostsDocumentV1, type ImagesHostsDocumentV1 } from '../../src/render/documents.js';
import { renderHostsDiskUsage, renderHostsImageTable } from '../../src/render/hosts.js';

interface Fixture {
  info: unknown;
  systemDf: unknown;
  images: unknown;
  perImage: Record<string, { inspect: unknown; history: unknown }>;
}

function snapshotOf(engine: string) {
  const f = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'engines', `${engine}.json`), 'utf8')) as Fixture;
  const df = expectShape(SystemDf, f.systemDf, 'GET /system/df');
  const images = expectShape(z.array(ImageSummary), f.images, 'GET /images/json?all=1');
  const store = imageStoreFrom(expectShape(SystemInfo, f.info, 'GET /info'));
  const layers = images.map((i) => layersFrom(f.perImage[i.Id]!.inspect, f.perImage[i.Id]!.history, i.Id, i.Size, store));
  const own = images.map((i) => (store === 'containerd' ? ownContentFrom(f.perImage[i.Id]!.inspect, f.perImage[i.Id]!.history, i.Id) : undefined));
  const snapshot = snapshotFrom({ images, containers: df.Containers, volumes: df.Volumes, buildCache: df.BuildCache, layersSize: df.LayersSize }, layers, true, store, own);
  snapshot.logs = { via: 'local' };
  return snapshot;
}

const a = snapshotOf('20.10');
const b = snapshotOf('28.5-containerd');
const listed = (s: typeof a): ImageUsage[] => listedImages(analyzeImages(s));
const hostA = { context: 'a', endpoint: 'unix:///a.sock' };
const hostB = { context: 'b', endpoint: 'ssh://ci@build-2' };
const down = { context: 'down', endpoint: 'unix:///nothing.sock' };

describe('pickContexts', () => {
  const known = [{ context: 'default', endpoint: 'unix:///var/run/docker.sock' }, hostA, hostB];
  it('takes every context for --all-contexts, in docker context ls order', () => {
    expect(pickContexts(known)).toEqual({ hosts: known, missing: [] });
  });
  it('takes the named ones in the order given, each once, and names the unknown ones', () => {
    expect(pickContexts(known, ['b', 'a', 'b', 'nope', 'zz', 'nope'])).toEqual({ hosts: [hostB, hostA], missing: ['nope', 'zz'] });
  });
});

describe('docker context ls, as docker 20.10 and 28 print it', () => {
  it('reads names and endpoints from either client', () => {
    const v28 = '{"Current":true,"Description":"","DockerEndpoint":"unix:///var/run/docker.sock","Error":"","Name":"default"}\n{"Current":false,"Description":"","DockerEndpoint":"ssh://me@host1","Error":"","Name":"ssh1"}\n';
    const v20 = '{"Current":true,"Description":"","DockerEndpoint":"unix:///var/run/docker.sock","KubernetesEndpoint":"","Name":"default","StackOrchestrator":"swarm"}\n';
    expect(parseContextList(v28)).toEqual([
      { context: 'default', endpoint: 'unix:///var/run/docker.sock' },
      { context: 'ssh1', endpoint: 'ssh://me@host1' },
    ]);
    expect(parseContextList(v20)).toEqual([{ context: 'default', endpoint: 'unix:///var/run/docker.sock' }]);
    expect(() => parseContextList('NAME DESCRIPTION\n')).toThrow(/cannot read/);
  });
});

describe('contextTarget', () => {
  it("runs docker with --context NAME in place of the user's context or host, keeping the other globals", () => {
    const base = dockerTarget({ argv: ['--config', '/c', '-c', 'x', '-H=tcp://h:1', '--debug'], context: 'x', host: 'tcp://h:1', config: '/c', debug: true }, new AbortController().signal, {});
    const t = contextTarget(base, 'build-2');
    expect(t.globals.argv).toEqual(['--config', '/c', '--debug', '--context', 'build-2']);
    expect(t.globals.context).toBe('build-2');
    expect(t.globals.host).toBeUndefined();
  });
});

describe('orderAcrossHosts', () => {
  it('--sort size finds the largest images anywhere: one order over both hosts', () => {
    const [la, lb] = [listed(a), listed(b)];
    const order = orderAcrossHosts(
      [
        { context: 'a', images: la },
        { context: 'b', images: lb },
      ],
      'size',
    );
    expect(order).toHaveLength(la.length + lb.length);
    const sizes = order.map((i) => i.usage.sizeBytes);
    expect(sizes).toEqual([...sizes].sort((x, y) => y - x));
    // Both hosts are in it, each image with its own host.
    expect(new Set(order.map((i) => i.context))).toEqual(new Set(['a', 'b']));
    for (const { context, usage } of order) expect((context === 'a' ? la : lb).includes(usage)).toBe(true);
  });

  it('--limit counts across hosts; --reverse flips the whole order', () => {
    const hosts = [
      { context: 'a', images: listed(a) },
      { context: 'b', images: listed(b) },
    ];
    const top = orderAcrossHosts(hosts, 'size', false, 3);
    expect(top).toHaveLength(3);
    expect(top.map((i) => i.usage)).toEqual(sortImages([...listed(a), ...listed(b)], 'size').slice(0, 3));
    const reversed = orderAcrossHosts(hosts, 'created', true);
    const times = reversed.map((i) => i.usage.image.created);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });

  it('the same image on two hosts sorts next to itself, in the order the hosts were named', () => {
    const same = listed(a);
    const order = orderAcrossHosts(
      [
        { context: 'second', images: same.map((u) => ({ ...u })) },
        { context: 'first', images: same },
      ],
      'size',
    );
    for (let i = 0; i < order.length; i += 2) {
      expect(order[i]!.usage.image.id).toBe(order[i + 1]!.usage.image.id);
      expect([order[i]!.context, order[i + 1]!.context]).toEqual(['second', 'first']);
    }
  });
});

describe("df's total", () => {
  it('is the sum of each host\'s own rows (layers never shared across hosts)', () => {
    const ua = { usage: computeDiskUsage(a), logs: logUsage(a) };
    const ub = { usage: computeDiskUsage(b), logs: logUsage(b) };
    const total = totalDiskUsage([ua, ub]);
    for (const key of ['images', 'containers', 'volumes', 'buildCache'] as const) {
      expect(total[key].total).toBe(ua.usage[key].total + ub.usage[key].total);
      expect(total[key].sizeBytes).toBe(Math.max(0, ua.usage[key].sizeBytes) + Math.max(0, ub.usage[key].sizeBytes));
      expect(total[key].reclaimableBytes).toBe(ua.usage[key].reclaimableBytes + ub.usage[key].reclaimableBytes);
    }
    // The containerd store's image figures are estimates: so is their sum.
    expect(total.images.exact).toBe(false);
    expect(totalDiskUsage([ua]).images.exact).toBe(true);
    expect(total.logs.sizeBytes).toBe(ua.logs.sizeBytes! + ub.logs.sizeBytes!);
  });

  it('has no log bytes when a host could not read its logs', () => {
    const unknown = { ...logUsage(a), sizeBytes: null, reclaimableBytes: null, exact: false };
    const total = totalDiskUsage([
      { usage: computeDiskUsage(a), logs: logUsage(a) },
      { usage: computeDiskUsage(b), logs: unknown },
    ]);
    expect(total.logs).toMatchObject({ sizeBytes: null, reclaimableBytes: null, exact: false });
  });
});

describe('the --json document over hosts', () => {
  const results: HostResult<typeof a>[] = [
    { host: hostA, ok: true, value: a },
    { host: down, ok: false, error: { message: 'cannot connect to the Docker daemon', hint: 'is the daemon running?' } },
    { host: hostB, ok: true, value: b },
  ];

  it('df: each host its one-host document, an unreachable one its error, and the total of those read', () => {
    const total = totalDiskUsage([a, b].map((s) => ({ usage: computeDiskUsage(s), logs: logUsage(s) })));
    const doc: DfHostsDocumentV1 = hostsDocument(results, (s) => dfDocument(computeDiskUsage(s), logUsage(s), false, 'node-a'), total);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.contexts.map((c) => [c.context, c.endpoint, c.ok])).toEqual([
      ['a', 'unix:///a.sock', true],
      ['down', 'unix:///nothing.sock', false],
      ['b', 'ssh://ci@build-2', true],
    ]);
    const first = doc.contexts[0]!;
    expect(first.ok && first.result).toEqual(dfDocument(computeDiskUsage(a), logUsage(a), false, 'node-a'));
    expect(doc.contexts[1]).toEqual({ context: 'down', endpoint: 'unix:///nothing.sock', ok: false, error: { message: 'cannot connect to the Docker daemon', hint: 'is the daemon running?' } });
    expect(doc.total.images.sizeBytes).toBe(computeDiskUsage(a).images.sizeBytes + computeDiskUsage(b).images.sizeBytes);
    // One JSON document, as printed.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('images: each host its own images document', () => {
    const doc: ImagesHostsDocumentV1 = hostsDocument(results, (s) => imagesDocument(listed(s), 'node-a'), { images: listed(a).length + listed(b).length });
    const second = doc.contexts[2]!;
    expect(second.ok && second.result.images.map((i) => i.id)).toEqual(listed(b).map((u) => u.image.id));
  });

  it("rm and prune's total adds up the hosts' documents and names the hosts that failed", () => {
    const doc = (images: { action: 'delete' | 'untag' }[], bytes: number, failed = 0) => ({
      node: 'node-a',
      dryRun: false,
      containers: [],
      images: images.map((i, n) => ({ id: `sha256:${n}`, tags: [], bytes: 1, remoteCopy: null, ...i })),
      kept: [],
      failed: Array.from({ length: failed }, () => ({ kind: 'image' as const, id: 'sha256:x', error: 'lost the connection' })),
      saved: [],
      estimatedBytes: bytes,
      exact: true,
      reclaimedBytes: bytes,
      cachedBytes: 0,
    });
    const total = removalTotal(
      [
        { host: hostA, ok: true, value: doc([{ action: 'delete' }, { action: 'untag' }], 100) },
        { host: hostB, ok: true, value: doc([{ action: 'delete' }], 50, 1) },
        { host: down, ok: false, error: { message: 'cannot connect' } },
      ],
      false,
    );
    expect(total).toEqual({ dryRun: false, images: 2, untagged: 1, containers: 0, estimatedBytes: 150, reclaimedBytes: 150, cachedBytes: 0, exact: true, failedContexts: ['b', 'down'] });
    // prune's documents: its other categories summed too.
    const prune = { ...doc([], 10), schemaVersion: 1 as const, volumes: [{ name: 'v', anonymous: true, bytes: 5 }], networks: [], buildCache: [{ id: 'c', type: 'regular', shared: false, bytes: 5 }], notes: [], estimatedBytesByCategory: { containers: 0, images: 0, volumes: 5, buildCache: 5 } };
    expect(removalTotal([{ host: hostA, ok: true, value: prune }, { host: hostB, ok: true, value: prune }], true)).toMatchObject({ dryRun: true, volumes: 2, networks: 0, buildCache: 2, estimatedBytes: 20 });
  });
});

describe('text over hosts', () => {
  it('df: a block per context, the error of the unreachable one, then the total of those read', () => {
    const results: HostResult<string>[] = [
      { host: hostA, ok: true, value: 'A\n' },
      { host: down, ok: false, error: { message: 'cannot connect', hint: 'is the daemon running?' } },
    ];
    const total = totalDiskUsage([{ usage: computeDiskUsage(a), logs: logUsage(a) }]);
    const out = renderHostsDiskUsage(results, (v) => v, total);
    expect(out).toMatch(/^Context a \(unix:\/\/\/a\.sock\):\nA\n\nContext down \(unix:\/\/\/nothing\.sock\):\nerror: cannot connect\nis the daemon running\?\n\nTotal, 1 of 2 contexts:\nTYPE /);
  });

  it('images: a CONTEXT column first', () => {
    const order = orderAcrossHosts([{ context: 'build-2', images: listed(b).slice(0, 1) }], 'size');
    const out = renderHostsImageTable(order, [{ host: hostB, ok: true, value: null }], 0);
    expect(out.split('\n')[0]).toMatch(/^CONTEXT\s+REPOSITORY\s+TAG/);
    expect(out.split('\n')[1]).toMatch(/^build-2\s/);
  });
});

describe('how a run over hosts ends', () => {
  it('an unreachable host or a partial one makes it partial (exit 1); an interrupted one, interrupted', () => {
    expect(hostsOutcome(0, ['ok', 'ok'])).toBe('ok');
    expect(hostsOutcome(1, ['ok'])).toBe('partial');
    expect(hostsOutcome(0, ['ok', 'partial'])).toBe('partial');
    expect(hostsOutcome(1, ['interrupted'])).toBe('interrupted');
    expect(hostsOutcome(0, ['refused'])).toBe('refused');
  });
});

describe("rm's request on one host of several", () => {
  const base: RemovalRequest = { images: [], match: [], filter: {}, exclude: [], withContainers: false, includeLocal: true, save: false };
  const tagged = a.images.find((i) => i.tags.length > 0)!;
  const name = tagged.tags[0]!;

  it('keeps the names this host has and says which it lacks', () => {
    const { request, missing } = requestOnHost({ ...base, images: [name, 'nowhere/at-all:1'] }, a.images);
    expect(request!.images).toEqual([name]);
    expect(missing).toEqual(['nowhere/at-all:1']);
    expect(planRemoval(a, request!).removals.map((r) => r.image.id)).toContain(tagged.id);
  });

  it('selects nothing on a host that has none of the names, even with a filter that alone would select every unused image', () => {
    const { request, missing } = requestOnHost({ ...base, images: ['nowhere/at-all:1'], filter: { unused: true } }, a.images);
    expect(request).toBeUndefined();
    expect(missing).toEqual(['nowhere/at-all:1']);
    // What the request without its names would have done on this host: every unused image.
    expect(planRemoval(a, { ...base, filter: { unused: true } }).removals.length).toBeGreaterThan(0);
    expect(emptyPlan()).toMatchObject({ removals: [], containers: [], estimatedBytes: 0 });
  });

  it('keeps --match when none of the names is here', () => {
    const match = [{ source: '^x', test: (ref: string) => ref === name }];
    const { request } = requestOnHost({ ...base, images: ['nowhere/at-all:1'], match }, a.images);
    expect(request).toMatchObject({ images: [], match });
  });

  it('leaves a request without names as it is, and a malformed name an error on every host', () => {
    const request = { ...base, filter: { dangling: true } };
    expect(requestOnHost(request, a.images)).toEqual({ request, missing: [] });
    expect(() => requestOnHost({ ...base, images: ['Bad//Name'] }, a.images)).toThrow(/invalid reference format/);
  });
});
