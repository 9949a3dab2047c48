// The --json documents, built from answers captured on engine 20.10, against the shape each
// schema version promised (test/unit/document-shapes.json): a field that changes its type or goes
// away without a new schemaVersion fails here. A new version is a new entry in that file:
// `DUMP_SHAPES=/tmp/shapes.json npx vitest run test/unit/documents.test.ts` writes what the
// builders make now, to review and copy in.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { logAdvice, logUsage, type ContainerLog } from '../../src/core/logs.js';
import { removalSteps } from '../../src/core/operations.js';
import { pruneOutcome, removalOutcome, type StepResult } from '../../src/core/outcome.js';
import { planPrune, pruneSteps } from '../../src/core/plan-prune.js';
import { planRemoval } from '../../src/core/plan-removal.js';
import { analyzeImages, computeDiskUsage, listedImages } from '../../src/core/usage.js';
import { expectShape, ImageSummary, SystemDf, SystemInfo } from '../../src/docker/raw.js';
import { imageStoreFrom, layersFrom, snapshotFrom } from '../../src/docker/read-snapshot.js';
import {
  dfDocument,
  imagesDocument,
  logsDocument,
  pruneDocument,
  rmDocument,
  unusedDocument,
  type DfDocumentV1,
  type ImagesDocumentV1,
  type LogsDocumentV1,
  type PruneDocumentV1,
  type RmDocumentV2,
  type UnusedDocumentV1,
} from '../../src/render/documents.js';

const shapes = JSON.parse(readFileSync(join(import.meta.dirname, 'document-shapes.json'), 'utf8')) as Record<string, unknown>;

/** The shape of a JSON value: its type, an object's keys (those some elements lack marked "?"), an array's element shape. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [merge(value.map(shapeOf))] : [];
  if (value === null) return 'null';
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value as object).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, shapeOf(v)]));
  return typeof value;
}

function merge(shapes: unknown[]): unknown {
  if (shapes.every(Array.isArray)) {
    const elements = (shapes as unknown[][]).flat();
    return elements.length ? [merge(elements)] : [];
  }
  const objects = shapes.filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null && !Array.isArray(s));
  if (objects.length !== shapes.length) return [...new Set(shapes.map((s) => (typeof s === 'string' ? s : JSON.stringify(s))))].sort().join('|');
  const keys = [...new Set(objects.flatMap(Object.keys))].sort();
  return Object.fromEntries(keys.map((k) => [objects.every((o) => k in o) ? k : `${k}?`, merge(objects.filter((o) => k in o).map((o) => o[k]))]));
}

const seen: Record<string, unknown> = {};
function expectShapeOf(name: string, doc: { schemaVersion: number }): void {
  const key = `${name}@${doc.schemaVersion}`;
  if (process.env.DUMP_SHAPES) {
    seen[key] = key in seen ? merge([seen[key], shapeOf(doc)]) : shapeOf(doc);
    writeFileSync(process.env.DUMP_SHAPES, JSON.stringify(seen, null, 1) + '\n');
    return;
  }
  expect(shapes[key], `no shape recorded for ${key}: a new schemaVersion needs its entry in document-shapes.json`).toBeDefined();
  expect(shapeOf(doc)).toEqual(shapes[key]);
}

// The snapshot docker tidy df reads, from engine 20.10's captured answers.
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'engines', '20.10.json'), 'utf8')) as {
  info: unknown;
  systemDf: unknown;
  images: unknown;
  perImage: Record<string, { inspect: unknown; history: unknown }>;
};
const df = expectShape(SystemDf, fixture.systemDf, 'GET /system/df');
const images = expectShape(z.array(ImageSummary), fixture.images, 'GET /images/json');
const info = expectShape(SystemInfo, fixture.info, 'GET /info');
const store = imageStoreFrom(info);
const snapshot = snapshotFrom(
  { images, containers: df.Containers, volumes: df.Volumes, buildCache: df.BuildCache, layersSize: df.LayersSize },
  images.map((i) => layersFrom(fixture.perImage[i.Id]!.inspect, fixture.perImage[i.Id]!.history, i.Id, i.Size, store)),
  true,
  store,
);
// The daemon's name, as readSnapshot keeps it from /info's Name (the fixtures keep only /info's
// store part: a name is a machine's, not an engine's).
const node = 'ci-runner-3';
// Logs as the reader attaches them: a capped json-file log with a rotated file, an uncapped one,
// the local driver's files, and a container whose driver keeps no file.
snapshot.logs = { via: 'local' };
const kinds: ContainerLog[] = [
  { config: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } }, files: [{ path: 'x-json.log', bytes: 5 }, { path: 'x-json.log.1', bytes: 10 }] },
  { config: { driver: 'json-file', options: {} }, files: [{ path: 'x-json.log', bytes: 7 }] },
  { config: { driver: 'local', options: {} }, files: [{ path: 'local-logs/container.log', bytes: 3 }] },
  { config: { driver: 'journald', options: {} }, files: [] },
];
snapshot.containers.forEach((c, i) => (c.log = kinds[i % kinds.length]!));
// The same, as if the registries had been asked (--check-registry, rm, prune): some answers of each kind.
const answered = (shift: number): typeof snapshot => ({
  ...snapshot,
  images: snapshot.images.map((i, n) => (i.digests.length ? { ...i, remoteCopy: { copy: (['verified', 'unknown', 'absent'] as const)[(n + shift) % 3]!, detail: 'said' } } : i)),
});
const asked = answered(0);
const done = (n: number): StepResult[] => Array.from({ length: n }, () => ({ status: 'done', deleted: [] }));
const freed = { reclaimedBytes: 1, cachedBytes: 0, finish: 'docker tidy rm -f' };

describe('--json documents keep the shape of their schema version', () => {
  it('name the daemon they are about (GET /info Name), first after schemaVersion', () => {
    const docs = [
      dfDocument(computeDiskUsage(snapshot), logUsage(snapshot), false, node),
      imagesDocument(listedImages(analyzeImages(snapshot)), node),
      unusedDocument([], new Map(), 0, node),
      rmDocument(planRemoval(snapshot, { images: [], match: [], filter: { unused: true }, exclude: [], withContainers: false, includeLocal: false, save: false }), undefined, freed, node),
    ];
    for (const doc of docs) expect(Object.keys(doc).slice(0, 2)).toEqual(['schemaVersion', 'node']);
    for (const doc of docs) expect(doc.node).toBe(node);
  });

  it('df', () => {
    const doc: DfDocumentV1 = dfDocument(computeDiskUsage(snapshot), logUsage(snapshot), true, node);
    expectShapeOf('df', doc);
  });

  it('logs', () => {
    const logs = logUsage(snapshot);
    const doc: LogsDocumentV1 = logsDocument(logs, logAdvice(logs.items), node);
    expectShapeOf('logs', doc);
    expect(doc.containers.map((c) => c.rotation)).toContainEqual({ maxSize: 10 * 1024 * 1024, maxFile: 3 });
    expect(doc.containers.map((c) => c.rotation)).toContainEqual(null);
  });

  it('images and unused', () => {
    const listed = listedImages(analyzeImages(asked));
    const imagesDoc: ImagesDocumentV1 = imagesDocument(listed, node);
    expectShapeOf('images', imagesDoc);
    const unused = listed.filter((u) => u.unused);
    const unusedDoc: UnusedDocumentV1 = unusedDocument(unused, new Map([[unused[0]!.image.id, 'frees 0 bytes alone']]), 5, node);
    expectShapeOf('unused', unusedDoc);
  });

  it('rm, planned and done', () => {
    const plan = planRemoval(answered(1), { images: [], match: [], filter: { unused: true }, exclude: [], withContainers: false, includeLocal: false, save: false });
    const steps = removalSteps(plan);
    const planned: RmDocumentV2 = rmDocument(plan, undefined, freed, node);
    const after: RmDocumentV2 = rmDocument(plan, removalOutcome(plan, steps, done(steps.length), false), freed, node);
    expectShapeOf('rm', planned);
    expectShapeOf('rm', after);
  });

  it('prune, planned and done', () => {
    const plan = planPrune(asked, {
      containers: true,
      images: 'unused',
      networks: false,
      volumes: 'all',
      buildCache: 'all',
      labels: [],
      exclude: [],
      includeLocal: false,
      save: false,
      keepUnder: 1,
    });
    const steps = pruneSteps(plan, false);
    const planned: PruneDocumentV1 = pruneDocument(plan, undefined, freed, node);
    const after: PruneDocumentV1 = pruneDocument(plan, pruneOutcome(plan, steps, done(steps.length), false), freed, node);
    expectShapeOf('prune', planned);
    expectShapeOf('prune', after);
    // The sweep's own figures, every category in them.
    const c = planned.estimatedBytesByCategory;
    expect(planned.estimatedBytes).toBe(c.containers + c.images + c.volumes + c.buildCache);
    expect(planned.exact).toBe(plan.exact);
  });
});
