// A cache of per-layer bytes by image ID. An image ID is the hash of its config, which names its
// layers, so its layers never change; their sizes are checked against the image's size as the
// daemon reports it on every run, and a file that does not parse is ignored and rewritten.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod/mini';
import type { Layer } from '../core/snapshot.js';
import { sha256Hex } from './hash.js';

const CacheEntry = z.object({
  imageSize: z.number(),
  chainIds: z.array(z.string()),
  sizes: z.array(z.number()),
  known: z.array(z.boolean()),
  /**
   * The image's size less its layers when they were read: 0 on the classic store, its compressed
   * content on the containerd store. A file whose sizes no longer add up is not trusted.
   */
  content: z._default(z.number(), 0),
  /** Per layer, the BuildKit step that made it (null: none did); null when the history was not read. */
  steps: z.nullable(z.array(z.nullable(z.string()))),
  /** Containerd store: bytes of the image's own manifest and config (see ImageContent); null on the classic store. */
  own: z.nullable(z.number()),
});
// Version 2 added `buildkit`, version 3 `own`, version 4 `steps` for `buildkit`: an older file is ignored and rewritten.
const SCHEMA_VERSION = 4;
const CacheFile = z.object({ schemaVersion: z.literal(SCHEMA_VERSION), images: z.record(z.string(), CacheEntry) });
type CacheEntry = z.infer<typeof CacheEntry>;


/** The layer cache for one daemon endpoint. */
export class LayerCache {
  private entries = new Map<string, CacheEntry>();
  private dirty = false;

  constructor(private readonly file: string | undefined) {
    if (!file) return;
    try {
      const parsed = CacheFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success) this.entries = new Map(Object.entries(parsed.data.images));
      else this.dirty = true;
    } catch {
      // Missing or unreadable: start empty.
    }
  }

  /** Cached layers for the image, if the entry still agrees with the image's reported size. */
  get(imageId: string, imageSize: number): Layer[] | undefined {
    const entry = this.entries.get(imageId);
    const n = entry?.chainIds.length;
    if (!entry || entry.imageSize !== imageSize || entry.sizes.length !== n || entry.known.length !== n) return undefined;
    if (entry.sizes.reduce((s, x) => s + x, 0) + entry.content !== imageSize) return undefined;
    if (entry.steps && entry.steps.length !== n) return undefined;
    return entry.chainIds.map((chainId, i) => {
      const step = entry.steps?.[i];
      return { chainId, size: entry.sizes[i]!, known: entry.known[i]!, ...(entry.steps ? { buildkit: step != null } : {}), ...(step ? { step } : {}) };
    });
  }

  /** The image's own content bytes (containerd store) as cached with its layers, if they were. */
  ownContent(imageId: string): number | undefined {
    return this.entries.get(imageId)?.own ?? undefined;
  }

  set(imageId: string, imageSize: number, layers: Layer[], own?: number): void {
    this.entries.set(imageId, {
      own: own ?? null,
      imageSize,
      chainIds: layers.map((l) => l.chainId),
      sizes: layers.map((l) => l.size),
      known: layers.map((l) => l.known),
      content: imageSize - layers.reduce((s, l) => s + l.size, 0),
      steps: layers.every((l) => l.buildkit === undefined) ? null : layers.map((l) => l.step ?? null),
    });
    this.dirty = true;
  }

  /** Writes the cache, keeping only the images that still exist. Failures are not fatal. */
  save(liveImageIds: Iterable<string>): void {
    const live = new Set(liveImageIds);
    for (const id of this.entries.keys()) {
      if (!live.has(id)) {
        this.entries.delete(id);
        this.dirty = true;
      }
    }
    if (!this.file || !this.dirty) return;
    try {
      mkdirSync(join(this.file, '..'), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ schemaVersion: SCHEMA_VERSION, images: Object.fromEntries(this.entries) }), { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch {
      // A read-only home is no reason to fail: the next run just asks the daemon again.
    }
  }
}

/** Where the cache for this daemon endpoint lives, or undefined when caching is off. */
export function layerCachePath(env: NodeJS.ProcessEnv, endpointKey: string): string | undefined {
  if (env.DOCKER_TIDY_NO_CACHE) return undefined;
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  const key = sha256Hex(endpointKey).slice(0, 16);
  return join(base, 'docker-tidy', `layers-${key}.json`);
}
