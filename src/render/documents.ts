// Every --json document docker tidy prints: a type per document and schema version, and the
// builder that returns it. Integer bytes, full IDs, ISO 8601 times. A document's schemaVersion
// changes only when a field changes meaning or goes away (test/unit/documents.test.ts holds each
// version's shape). rm and prune use the same words for the same things.
import type { DiskUsageTotal, HostResult } from '../core/hosts.js';
import { containerBytes, logBytes, type LogAdvice, type LogRow, type LogUsage, type LogsReading } from '../core/logs.js';
import { leftToDelete, type PruneOutcome, type RemovalOutcome } from '../core/outcome.js';
import { buildCacheBytes, type PrunePlan } from '../core/plan-prune.js';
import type { KeptImage, PlannedRemoval, RemovalPlan } from '../core/plan-removal.js';
import { tagsOf } from '../core/reference.js';
import type { RemoteCopy } from '../core/remote-copy.js';
import type { BuildCacheRecord, Container, Volume } from '../core/snapshot.js';
import type { DiskUsage, ImageUsage, UsageSection } from '../core/usage.js';

/**
 * Which daemon a document is about: GET /info's Name, the host name of the machine the daemon runs
 * on (a Swarm node's name). Added within each document's version (an addition: no field changed
 * meaning or went away), so that documents from many hosts (a Swarm global job's logs) say whose
 * they are.
 */
export interface OnNodeV1 {
  node: string;
}

/** An image as `images`, `unused` and `df -v` print it. */
export interface ImageEntryV1 {
  id: string;
  tags: string[];
  digests: string[];
  createdAt: string;
  sizeBytes: number;
  uniqueBytes: number;
  sharedBytes: number;
  /** Names of the containers (any state) made from this image ID. */
  containers: string[];
  dangling: boolean;
  unused: boolean;
  localOnly: boolean;
  /** What its registries said (--check-registry): a copy verified, absent, or unknown; null when not asked. */
  remoteCopy: RemoteCopy | null;
  exact: boolean;
}

/** `images --json`. */
export interface ImagesDocumentV1 extends OnNodeV1 {
  schemaVersion: 1;
  images: ImageEntryV1[];
}

/** `unused --json`: the images, what removing them all frees, and why one frees nothing alone. */
export interface UnusedDocumentV1 extends OnNodeV1 {
  schemaVersion: 1;
  images: (ImageEntryV1 & { note?: string })[];
  reclaimableBytes: number;
  exact: boolean;
}

/** A section of `df --json`; `items` with -v. */
export interface UsageSectionV1<Item> {
  total: number;
  active: number;
  sizeBytes: number;
  reclaimableBytes: number;
  exact: boolean;
  items?: Item[];
}

export interface ContainerEntryV1 {
  id: string;
  name: string;
  /** The image reference it was made with. */
  image: string;
  imageId: string;
  state: string;
  sizeBytes: number;
}

export interface VolumeEntryV1 {
  name: string;
  driver: string;
  links: number;
  sizeBytes: number;
  anonymous: boolean;
}

export interface BuildCacheEntryV1 {
  id: string;
  type: string;
  description: string;
  sizeBytes: number;
  inUse: boolean;
  shared: boolean;
  lastUsedAt: string | null;
}

/** A container's log, as `df -v --json` and `logs --json` list it. */
export interface LogEntryV1 {
  containerId: string;
  name: string;
  state: string;
  driver: string;
  /** Bytes of its log files, rotated ones and docker's cache included; -1 when they could not be read. */
  sizeBytes: number;
  /** At most maxFile files of maxSize bytes; null when its log grows without bound (json-file without max-size) or it keeps no file. */
  rotation: { maxSize: number; maxFile: number } | null;
  /** Where its lines are kept: its driver's files (json-file, local), docker's cache for `docker logs` (drivers that send them elsewhere), or nowhere here. */
  storage: 'file' | 'cache' | 'none';
}

/** How log sizes were read: stat here, or a helper container; unknown with the reason and the fix. */
interface LogReadingV1 {
  via: 'local' | 'helper' | 'unknown';
  helperImage?: string;
  unknown?: { reason: string; fix: string };
}

/**
 * The `logs` section of `df --json` (added within version 1: an addition, no field changed meaning
 * or went away). Its bytes are null when the files could not be read.
 */
export interface LogSectionV1 extends LogReadingV1 {
  total: number;
  active: number;
  sizeBytes: number | null;
  reclaimableBytes: number | null;
  exact: boolean;
  items?: LogEntryV1[];
}

/** `df --json`. */
export interface DfDocumentV1 extends OnNodeV1 {
  schemaVersion: 1;
  images: UsageSectionV1<ImageEntryV1>;
  containers: UsageSectionV1<ContainerEntryV1>;
  volumes: UsageSectionV1<VolumeEntryV1>;
  buildCache: UsageSectionV1<BuildCacheEntryV1>;
  logs: LogSectionV1;
}

/** `logs --json`: every container's log, largest first, and what would cap the ones without a cap. */
export interface LogsDocumentV1 extends LogReadingV1, OnNodeV1 {
  schemaVersion: 1;
  containers: LogEntryV1[];
  /** All log bytes, and those of stopped containers (removed with them); null when unknown. */
  sizeBytes: number | null;
  reclaimableBytes: number | null;
  exact: boolean;
  /** IDs of the containers whose log keeps every line (json-file without max-size). */
  uncapped: string[];
  /** Those of them that are running: their logs grow until the disk is full. */
  growing: string[];
  /** The settings that cap logs: in daemon.json for new containers, or as docker run options. */
  cap: { daemonJson: LogAdvice['daemonJson']; logOpts: string[] };
}

/** An image rm or prune removes (or, on a dry run, would). */
export interface RemovedImageV2 {
  id: string;
  tags: string[];
  action: 'delete' | 'untag';
  bytes: number;
  /** What its registry said before it was deleted; null when not asked (untagged images, --include-local). */
  remoteCopy: RemoteCopy | null;
  /** Why its copy was not verified, when it goes without (classic store, where a RepoDigest counts as a copy). */
  note?: string;
  alreadyGone?: true;
}

/** A container rm (--with-containers) or prune removes. */
export interface RemovedContainerV2 {
  id: string;
  name: string;
  state: string;
  /** What removing it frees: its writable layer and its log files. */
  bytes: number;
  /** Its log files' part of that (added within rm's version 2 and prune's version 1). */
  logBytes: number;
}

export interface KeptEntryV2 {
  id: string;
  tags: string[];
  reason: string;
  /** What its registry said, when it was asked. */
  remoteCopy: RemoteCopy | null;
}

/** Something that failed, of any kind. */
export interface FailedEntryV2 {
  kind: 'container' | 'image' | 'network' | 'volume' | 'buildCache';
  id: string;
  name?: string;
  tags?: string[];
  error: string;
}

/** What rm and prune both say. */
export interface RemovalFieldsV2 extends OnNodeV1 {
  dryRun: boolean;
  containers: RemovedContainerV2[];
  images: RemovedImageV2[];
  kept: KeptEntryV2[];
  failed: FailedEntryV2[];
  saved: string[];
  estimatedBytes: number;
  exact: boolean;
  /** 0 on a dry run. */
  reclaimedBytes: number;
  /** Bytes the removed images leave in the build cache: estimated on a dry run, measured after a real one. */
  cachedBytes: number;
  /** Images planned for deletion and not deleted (failed, or the run was cut short), by ID. */
  left?: string[];
  /** The one command that deletes them. */
  finishCommand?: string;
  interrupted?: true;
}

/** `rm --json`, version 2: the words of prune's document (version 1 had removed/containersRemoved). */
export interface RmDocumentV2 extends RemovalFieldsV2 {
  schemaVersion: 2;
  /** Full image IDs named that were gone already. */
  alreadyGone?: string[];
}

/** `prune --json` (version 1 already used these words; rm took them at its version 2). */
export interface PruneDocumentV1 extends RemovalFieldsV2 {
  schemaVersion: 1;
  volumes: { name: string; anonymous: boolean; bytes: number }[];
  networks: { id: string; name: string }[];
  buildCache: { id: string; type: string; shared: boolean; bytes: number }[];
  notes: string[];
  keepUnder?: {
    limitBytes: number;
    beforeBytes: number;
    afterBytes: number;
    shortByBytes: number;
    steps: { id: string; lastUsedAt: string; freedBytes: number }[];
  };
  estimatedBytesByCategory: { containers: number; images: number; volumes: number; buildCache: number };
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** An image entry. */
export function imageEntry(u: ImageUsage): ImageEntryV1 {
  return {
    id: u.image.id,
    tags: u.image.tags,
    digests: u.image.digests,
    createdAt: iso(u.image.created),
    sizeBytes: u.sizeBytes,
    uniqueBytes: u.uniqueBytes,
    sharedBytes: u.sharedBytes,
    containers: u.containers.map((c) => c.name),
    dangling: u.dangling,
    unused: u.unused,
    localOnly: u.localOnly,
    remoteCopy: u.image.remoteCopy?.copy ?? null,
    exact: u.exact,
  };
}

/** `images --json`. */
export function imagesDocument(images: readonly ImageUsage[], node: string | undefined): ImagesDocumentV1 {
  return { schemaVersion: 1, node: node ?? '', images: images.map(imageEntry) };
}

/** `unused --json`. */
export function unusedDocument(images: readonly ImageUsage[], notes: ReadonlyMap<string, string>, reclaimableBytes: number, node: string | undefined): UnusedDocumentV1 {
  return {
    schemaVersion: 1,
    node: node ?? '',
    images: images.map((u) => (notes.has(u.image.id) ? { ...imageEntry(u), note: notes.get(u.image.id)! } : imageEntry(u))),
    reclaimableBytes,
    exact: images.every((u) => u.exact),
  };
}

function containerEntry(c: Container): ContainerEntryV1 {
  return { id: c.id, name: c.name, image: c.imageRef, imageId: c.imageId, state: c.state, sizeBytes: c.sizeRw };
}

function volumeEntry(v: Volume): VolumeEntryV1 {
  return { name: v.name, driver: v.driver, links: v.refCount, sizeBytes: v.size, anonymous: v.anonymous };
}

function buildCacheEntry(b: BuildCacheRecord): BuildCacheEntryV1 {
  return { id: b.id, type: b.type, description: b.description, sizeBytes: b.size, inUse: b.inUse, shared: b.shared, lastUsedAt: b.lastUsedAt === null ? null : iso(b.lastUsedAt) };
}

/** A container's log entry. */
export function logEntry(row: LogRow): LogEntryV1 {
  return {
    containerId: row.container.id,
    name: row.container.name,
    state: row.container.state,
    driver: row.driver,
    sizeBytes: row.sizeBytes,
    rotation: row.rotation ? { maxSize: row.rotation.maxSize, maxFile: row.rotation.maxFile } : null,
    storage: row.storage,
  };
}

function readingFields(reading: LogsReading): LogReadingV1 {
  return { via: reading.via, ...(reading.helperImage ? { helperImage: reading.helperImage } : {}), ...(reading.unknown ? { unknown: reading.unknown } : {}) };
}

/** df's logs section, with `items` when verbose. */
export function logSection(logs: LogUsage, verbose: boolean): LogSectionV1 {
  return {
    total: logs.total,
    active: logs.active,
    sizeBytes: logs.sizeBytes,
    reclaimableBytes: logs.reclaimableBytes,
    exact: logs.exact,
    ...readingFields(logs.reading),
    ...(verbose ? { items: logs.items.map(logEntry) } : {}),
  };
}

/** `logs --json`. */
export function logsDocument(logs: LogUsage, advice: LogAdvice, node: string | undefined): LogsDocumentV1 {
  return {
    schemaVersion: 1,
    node: node ?? '',
    containers: logs.items.map(logEntry),
    sizeBytes: logs.sizeBytes,
    reclaimableBytes: logs.reclaimableBytes,
    exact: logs.exact,
    ...readingFields(logs.reading),
    uncapped: advice.uncapped.map((r) => r.container.id),
    growing: advice.growing.map((r) => r.container.id),
    cap: { daemonJson: advice.daemonJson, logOpts: advice.logOpts },
  };
}

/** `df --json`, with `items` when verbose. */
export function dfDocument(usage: DiskUsage, logs: LogUsage, verbose: boolean, node: string | undefined): DfDocumentV1 {
  const section = <T, I>(s: UsageSection<T>, item: (t: T) => I): UsageSectionV1<I> => ({
    total: s.total,
    active: s.active,
    sizeBytes: s.sizeBytes,
    reclaimableBytes: s.reclaimableBytes,
    exact: s.exact,
    ...(verbose ? { items: s.items.map(item) } : {}),
  });
  return {
    schemaVersion: 1,
    node: node ?? '',
    images: section(usage.images, imageEntry),
    containers: section(usage.containers, containerEntry),
    volumes: section(usage.volumes, volumeEntry),
    buildCache: section(usage.buildCache, buildCacheEntry),
    logs: logSection(logs, verbose),
  };
}

/** What a removal freed and left, as measured after it (0 and the estimate on a dry run). */
export interface Freed {
  reclaimedBytes: number;
  cachedBytes: number;
  /** The command, with its flags, that finishes what is left (the IDs follow). */
  finish: string;
}

const removedImage = (r: PlannedRemoval, alreadyGone = false): RemovedImageV2 => ({
  id: r.image.id,
  tags: tagsOf(r.refs),
  action: r.action,
  bytes: r.bytes,
  remoteCopy: r.image.remoteCopy?.copy ?? null,
  ...(r.note ? { note: r.note } : {}),
  ...(alreadyGone ? { alreadyGone: true as const } : {}),
});
const keptEntry = (k: KeptImage): KeptEntryV2 => ({
  id: k.image.id,
  tags: k.shown.filter((n) => k.image.tags.includes(n)),
  reason: k.reason,
  remoteCopy: k.image.remoteCopy?.copy ?? null,
});
const removedContainer = (c: Container): RemovedContainerV2 => ({ id: c.id, name: c.name, state: c.state, bytes: containerBytes(c), logBytes: logBytes(c) });

/** The command that deletes the images left, by full ID (one gone meanwhile is then skipped, not an error). */
export function finishCommand(left: readonly PlannedRemoval[], finish: string): string {
  return `${finish} ${left.map((r) => r.image.id).join(' ')}`;
}

function removalFields(plan: RemovalPlan, outcome: RemovalOutcome | undefined, freed: Freed, node: string | undefined): RemovalFieldsV2 {
  const left = outcome ? leftToDelete(plan.removals, outcome) : [];
  const containersRemoved = outcome ? new Set(outcome.containersRemoved) : undefined;
  return {
    node: node ?? '',
    dryRun: outcome === undefined,
    containers: plan.containers.filter((c) => !containersRemoved || containersRemoved.has(c.name)).map(removedContainer),
    images: outcome ? outcome.removed.map(({ removal, alreadyGone }) => removedImage(removal, alreadyGone)) : plan.removals.map((r) => removedImage(r)),
    kept: plan.kept.map(keptEntry),
    failed: outcome
      ? [
          ...outcome.containerFailures.map((f) => ({ kind: 'container' as const, id: plan.containers.find((c) => c.name === f.name)?.id ?? f.name, name: f.name, error: f.error })),
          ...outcome.failed.map((f) => ({ kind: 'image' as const, id: f.removal.image.id, tags: tagsOf(f.left), error: f.error })),
        ]
      : [],
    saved: outcome?.saved ?? [],
    estimatedBytes: plan.estimatedBytes,
    exact: plan.exact,
    reclaimedBytes: outcome ? freed.reclaimedBytes : 0,
    cachedBytes: outcome ? freed.cachedBytes : plan.cachedBytes,
    ...(left.length ? { left: left.map((r) => r.image.id), finishCommand: finishCommand(left, freed.finish) } : {}),
    ...(outcome?.cancelled ? { interrupted: true as const } : {}),
  };
}

/** `rm --json`: the plan on a dry run, what was done after a real one. */
export function rmDocument(plan: RemovalPlan, outcome: RemovalOutcome | undefined, freed: Freed, node: string | undefined): RmDocumentV2 {
  return { schemaVersion: 2, ...removalFields(plan, outcome, freed, node), ...(plan.gone.length ? { alreadyGone: plan.gone } : {}) };
}

/** `prune --json`: the plan on a dry run, what was removed after a real one. */
export function pruneDocument(plan: PrunePlan, outcome: PruneOutcome | undefined, freed: Freed, node: string | undefined): PruneDocumentV1 {
  const had = <T>(list: readonly T[], done: readonly T[] | undefined): readonly T[] => (done ? list.filter((x) => done.includes(x)) : list);
  const fields = removalFields(plan.removal, outcome?.removal, freed, node);
  const released = new Set(plan.releasedBuildCache);
  return {
    schemaVersion: 1,
    ...fields,
    failed: [
      ...fields.failed,
      ...(outcome?.networks.failed ?? []).map((f) => ({ kind: 'network' as const, id: f.item.id, name: f.item.name, error: f.error })),
      ...(outcome?.volumes.failed ?? []).map((f) => ({ kind: 'volume' as const, id: f.item.name, name: f.item.name, error: f.error })),
      ...(outcome?.buildCache.failed ?? []).map((f) => ({ kind: 'buildCache' as const, id: f.item.id, error: f.error })),
    ],
    // The whole sweep's figures, not only its containers' and images'.
    estimatedBytes: plan.estimatedBytes,
    exact: plan.exact,
    cachedBytes: outcome ? freed.cachedBytes : plan.cachedBytes,
    volumes: had(plan.volumes, outcome?.volumes.removed).map((v) => ({ name: v.name, anonymous: v.anonymous, bytes: Math.max(0, v.size) })),
    networks: had(plan.networks, outcome?.networks.removed).map((n) => ({ id: n.id, name: n.name })),
    buildCache: had(plan.buildCache, outcome?.buildCache.removed).map((b) => ({ id: b.id, type: b.type, shared: b.shared, bytes: buildCacheBytes([b], released) })),
    notes: plan.notes,
    ...(plan.keepUnder
      ? {
          keepUnder: {
            ...plan.keepUnder,
            steps: plan.keepUnder.steps.map((s) => ({ id: s.id, lastUsedAt: iso(s.lastUsed), freedBytes: s.freedBytes })),
          },
        }
      : {}),
    estimatedBytesByCategory: plan.bytes,
  };
}

/** One host of a document over many (--contexts, --all-contexts): its own one-host document, or why it could not be read. */
export type HostEntryV1<R> =
  | { context: string; endpoint: string; ok: true; result: R }
  | { context: string; endpoint: string; ok: false; error: { message: string; hint?: string } };

/** `--json` over many hosts: each host's document, in the order the contexts were named, and what they add up to. */
export interface HostsDocumentV1<R, T> {
  schemaVersion: 1;
  contexts: HostEntryV1<R>[];
  total: T;
}

/** df's rows summed over the hosts that answered (no items). */
export type DfTotalV1 = DiskUsageTotal;
/** `df --json` over many hosts. */
export type DfHostsDocumentV1 = HostsDocumentV1<DfDocumentV1, DfTotalV1>;
/** `images --json` over many hosts: how many images are listed on all of them. */
export type ImagesHostsDocumentV1 = HostsDocumentV1<ImagesDocumentV1, { images: number }>;
/** `unused --json` over many hosts: the images listed, and what removing them frees on every host together. */
export type UnusedHostsDocumentV1 = HostsDocumentV1<UnusedDocumentV1, { images: number; reclaimableBytes: number; exact: boolean }>;

/** What rm's and prune's documents of many hosts add up to (a dry run: the plans; else what was done). */
export interface RemovalTotalV1 {
  dryRun: boolean;
  /** Images deleted (or to delete) and untagged, containers removed, on every host that answered. */
  images: number;
  untagged: number;
  containers: number;
  /** prune's other categories, summed (prune only). */
  volumes?: number;
  networks?: number;
  buildCache?: number;
  estimatedBytes: number;
  reclaimedBytes: number;
  cachedBytes: number;
  exact: boolean;
  /** Hosts where something failed or that could not be read. */
  failedContexts: string[];
  interrupted?: true;
}
/** `rm --json` over many hosts. */
export type RmHostsDocumentV1 = HostsDocumentV1<RmDocumentV2, RemovalTotalV1>;
/** `prune --json` over many hosts. */
export type PruneHostsDocumentV1 = HostsDocumentV1<PruneDocumentV1, RemovalTotalV1>;

/** A document over many hosts: each host's one-host document (made by `result`), and `total`. */
export function hostsDocument<V, R, T>(results: readonly HostResult<V>[], result: (value: V) => R, total: T): HostsDocumentV1<R, T> {
  return {
    schemaVersion: 1,
    contexts: results.map((r) =>
      r.ok
        ? { context: r.host.context, endpoint: r.host.endpoint, ok: true as const, result: result(r.value) }
        : { context: r.host.context, endpoint: r.host.endpoint, ok: false as const, error: r.error },
    ),
    total,
  };
}

/** What rm's or prune's one-host documents add up to; `results` name the hosts that failed. */
export function removalTotal(results: readonly HostResult<RemovalFieldsV2 | PruneDocumentV1>[], dryRun: boolean): RemovalTotalV1 {
  const docs = results.flatMap((r) => (r.ok ? [r.value] : []));
  const sum = (f: (d: RemovalFieldsV2) => number): number => docs.reduce((s, d) => s + f(d), 0);
  const prune = docs.filter((d): d is PruneDocumentV1 => 'volumes' in d);
  const others =
    prune.length > 0
      ? {
          volumes: prune.reduce((s, d) => s + d.volumes.length, 0),
          networks: prune.reduce((s, d) => s + d.networks.length, 0),
          buildCache: prune.reduce((s, d) => s + d.buildCache.length, 0),
        }
      : {};
  return {
    dryRun,
    images: sum((d) => d.images.filter((i) => i.action === 'delete' && !i.alreadyGone).length),
    untagged: sum((d) => d.images.filter((i) => i.action === 'untag' && !i.alreadyGone).length),
    containers: sum((d) => d.containers.length),
    ...others,
    estimatedBytes: sum((d) => d.estimatedBytes),
    reclaimedBytes: sum((d) => d.reclaimedBytes),
    cachedBytes: sum((d) => d.cachedBytes),
    exact: docs.every((d) => d.exact),
    failedContexts: results.filter((r) => !r.ok || r.value.failed.length > 0 || r.value.interrupted).map((r) => r.host.context),
    ...(docs.some((d) => d.interrupted) ? { interrupted: true as const } : {}),
  };
}
