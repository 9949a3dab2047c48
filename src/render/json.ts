// JSON shapes shared by several commands: integer bytes, full IDs, ISO times.
import type { BuildCacheRecord, Container, Volume } from '../core/snapshot.js';
import type { DiskUsage, ImageUsage, UsageSection } from '../core/usage.js';

/** The schema version of every JSON document docker tidy prints. */
export const SCHEMA_VERSION = 1;

/** An image as `images --json`, `unused --json` and `df -v --json` print it. */
export function imageJson(u: ImageUsage): Record<string, unknown> {
  return {
    id: u.image.id,
    tags: u.image.tags,
    digests: u.image.digests,
    createdAt: new Date(u.image.created * 1000).toISOString(),
    sizeBytes: u.sizeBytes,
    uniqueBytes: u.uniqueBytes,
    sharedBytes: u.sharedBytes,
    containers: u.containers.map((c) => c.name),
    dangling: u.dangling,
    unused: u.unused,
    localOnly: u.localOnly,
    exact: u.exact,
  };
}

/** A container in `df -v --json`. */
export function containerJson(c: Container): Record<string, unknown> {
  return { id: c.id, name: c.name, image: c.imageRef, imageId: c.imageId, state: c.state, sizeBytes: c.sizeRw };
}

/** A volume in `df -v --json`. */
export function volumeJson(v: Volume): Record<string, unknown> {
  return { name: v.name, driver: v.driver, links: v.refCount, sizeBytes: v.size, anonymous: v.anonymous };
}

/** A build-cache record in `df -v --json`. */
export function buildCacheJson(b: BuildCacheRecord): Record<string, unknown> {
  return {
    id: b.id,
    type: b.type,
    description: b.description,
    sizeBytes: b.size,
    inUse: b.inUse,
    shared: b.shared,
    lastUsedAt: b.lastUsedAt,
  };
}

/** The `df --json` document. */
export function diskUsageJson(usage: DiskUsage, verbose: boolean): Record<string, unknown> {
  const section = <T>(s: UsageSection<T>, item: (t: T) => unknown): Record<string, unknown> => ({
    total: s.total,
    active: s.active,
    sizeBytes: s.sizeBytes,
    reclaimableBytes: s.reclaimableBytes,
    exact: s.exact,
    ...(verbose ? { items: s.items.map(item) } : {}),
  });
  return {
    schemaVersion: SCHEMA_VERSION,
    images: section(usage.images, imageJson),
    containers: section(usage.containers, containerJson),
    volumes: section(usage.volumes, volumeJson),
    buildCache: section(usage.buildCache, buildCacheJson),
  };
}
