// The Snapshot: one read of the daemon's images, layers, containers, volumes and build cache,
// in plain data. Everything in core/ is pure: no I/O, no node:* imports.
import type { ContainerLog, LogsReading } from './logs.js';
import type { RemoteCopyCheck } from './remote-copy.js';

/** One layer of an image, identified by its chain ID (the layer plus everything below it). */
export interface Layer {
  chainId: string;
  /** Bytes this layer holds on disk. */
  size: number;
  /**
   * Whether the bytes of this layer and everything below it are known exactly. Where history
   * cannot tell which zero-byte steps made layers, a stretch's bytes sit on its last layer.
   */
  known: boolean;
  /**
   * Made by a BuildKit build step: the build cache holds the same bytes, so they stay on disk
   * when the image goes, until the cache is pruned. Undefined when the history was not read.
   */
  buildkit?: boolean;
  /** The BuildKit step that made this layer, as its image's history says (e.g. "RUN /bin/sh -c make # buildkit"). */
  step?: string;
  /**
   * Containerd image store only: bytes of this layer's compressed blob in containerd's content
   * store, beside its unpacked snapshot (`size`). One blob per chain ID, freed with the snapshot.
   * Placed by core/content.ts from each image's content total; undefined on the classic store.
   */
  blob?: number;
}

/**
 * Containerd image store only: the image's content, as the daemon reports it (GET
 * /images/{id}/json Size: its manifest, config and compressed layer blobs) and the part of it that
 * is the image's own (manifest and config), which goes whenever the image goes.
 */
export interface ImageContent {
  total: number;
  /** Manifest and config bytes: the manifest's size where the API gives it (image inspect's Descriptor, API 1.48+), the config's estimated. */
  own: number;
}

/** An image ID with everything the daemon knows about it. */
export interface Image {
  /** Full ID, "sha256:...". */
  id: string;
  /** "repository:tag" references; empty when dangling. */
  tags: string[];
  /** "repository@sha256:..." references; empty for images built here and never pushed or pulled. */
  digests: string[];
  /** Creation time, Unix seconds. */
  created: number;
  /** The image's size as the daemon reports it. */
  size: number;
  /** Parent image ID (legacy builder), or "". */
  parentId: string;
  /** Layers base first. */
  layers: Layer[];
  /** The image's labels (from its config). */
  labels?: Record<string, string>;
  /** When it was last tagged or pulled here (Unix seconds); 0 if never; undefined when not read. */
  lastTagged?: number;
  /** What its registries said about a copy of it (core/remote-copy.ts); undefined when not asked. */
  remoteCopy?: RemoteCopyCheck;
  /** Containerd image store only: its content (see ImageContent); its layers' `blob` are placed from it. */
  content?: ImageContent;
}

/** Container states as the Engine API names them. */
export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** A container in any state. */
export interface Container {
  id: string;
  /** Name without the leading slash. */
  name: string;
  /** The full ID of the image it uses (not the name it was created with). */
  imageId: string;
  /** The image reference it was created with, as docker shows it. */
  imageRef: string;
  state: ContainerState | string;
  /** Bytes in its writable layer; -1 when not computed. */
  sizeRw: number;
  created: number;
  /** When it last stopped (Unix seconds); 0 if never; undefined when not read (see SnapshotOptions). */
  finishedAt?: number;
  labels?: Record<string, string>;
  /** Names (and IDs, where the daemon gives them) of the networks it is attached to. */
  networks?: string[];
  /** Names of the volumes it mounts. */
  volumes?: string[];
  /** Its log configuration and files, when logs were read (see SnapshotNeeds.logs). */
  log?: ContainerLog;
}

/** A network; predefined ones (bridge, host, none) and swarm ones are never pruned. */
export interface Network {
  id: string;
  name: string;
  driver: string;
  scope: string;
  /** Unix seconds. */
  created: number;
  labels: Record<string, string>;
}

/** A volume, with its size when the daemon computed it. */
export interface Volume {
  name: string;
  driver: string;
  /** Bytes, or -1 when the daemon could not say (non-local drivers). */
  size: number;
  /** Containers that mount it; -1 when unknown. */
  refCount: number;
  /** Anonymous volumes were created without a name (engine 23+ labels them; older ones: a 64-hex name). */
  anonymous: boolean;
  labels: Record<string, string>;
}

/** One build-cache record. */
export interface BuildCacheRecord {
  id: string;
  type: string;
  description: string;
  size: number;
  inUse: boolean;
  shared: boolean;
  /** Unix seconds, as every time in the snapshot; null when never used. */
  lastUsedAt: number | null;
  createdAt: number;
  /** Records this one was built on (older engines give one Parent, newer ones Parents). */
  parents?: string[];
  /**
   * Containerd image store only (core/build-cache.ts attributeBuildCache): bytes on disk pruning
   * the record frees while the images stay. Elsewhere: its size, or 0 when shared.
   */
  free?: number;
  /**
   * Containerd image store only: the image layer this record holds on disk too (matched: the API
   * links none), and the bytes the two hold together, which leave the disk only once both go.
   */
  layer?: { chainId: string; held: number };
  /**
   * Containerd image store only: the unpacked snapshots of the image a build started from (FROM
   * an image built here), which BuildKit's snapshot of the first step on it is made on, when no
   * base record holds them: they stay on disk while the record does.
   */
  below?: { chainId: string; held: number }[];
}

/** Everything one read of the daemon returned. */
export interface Snapshot {
  /** The daemon's name (GET /info's Name: its host's name, a Swarm node's name), when it was read. */
  node?: string;
  images: Image[];
  containers: Container[];
  volumes: Volume[];
  buildCache: BuildCacheRecord[];
  /** Networks, when read (prune). */
  networks?: Network[];
  /** The daemon's own total of image bytes (/system/df's LayersSize), when it was read: every layer once on the classic store, every snapshot on the containerd store. */
  layersSize?: number;
  /**
   * Which image store the daemon uses. On the containerd store (Docker 29's default) an image's
   * size counts compressed content as well as unpacked layers, and RepoDigests do not say that an
   * image came from a registry (images built here have them too).
   */
  imageStore?: 'classic' | 'containerd';
  /** False when the build cache could not be read (API 1.41 without /system/df): `buildCache` is then empty. */
  buildCacheKnown?: boolean;
  /** What could not be read, for the user (the daemon failing to compute disk usage). */
  warnings?: string[];
  /** How the containers' log files were read, when they were (SnapshotNeeds.logs). */
  logs?: LogsReading;
}

/** What a command needs read beside images and containers; each planner says it for its request. */
export interface SnapshotNeeds {
  /** Container writable-layer sizes, volumes and build cache (GET /system/df; slower on big hosts). */
  usage: boolean;
  /** When each stopped container finished: one inspect per container, so only when needed. */
  finishTimes?: boolean;
  /** When each image was last tagged or pulled: one inspect per image, so only when needed. */
  tagTimes?: boolean;
  /** The networks (GET /networks). */
  networks?: boolean;
  /** The build cache without the rest of `usage`, where the API can give it alone (1.42+). */
  buildCache?: boolean;
  /** The sizes of each container's log files. */
  logs?: boolean;
  /** With `logs`, each container's log driver and options too (an inspect per container: slower on big hosts). */
  logSettings?: boolean;
  /** The images' layers (default true); without them images carry no layers (`logs` needs only their names). */
  layers?: boolean;
}

/** Container states in which docker will not let go of the image, and tidy never touches. */
export const ACTIVE_STATES: ReadonlySet<string> = new Set(['running', 'paused', 'restarting']);

/** True when the container is running (or paused or restarting). */
export function isActive(container: Container): boolean {
  return ACTIVE_STATES.has(container.state);
}
