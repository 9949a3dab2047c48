// Container log files: where each logging driver keeps them, how they rotate, and the figures
// `df`, `logs`, `rm` and `prune` show. The Engine API gives a container's LogPath but no size, so
// the adapter reads the files (src/docker/logs.ts); what they mean is decided here. Pure.
//
// Where docker keeps a container's log, in its directory DATA-ROOT/containers/ID (engines 20.10+):
// - json-file: ID-json.log (LogPath), rotated to ID-json.log.1, .2, ... (.gz with compress=true);
//   no rotation unless max-size is set: the default json-file keeps every line.
// - local: local-logs/container.log, rotated to container.log.1.gz, ... (20 MiB x 5 by default).
// - journald: the lines go to the journal; docker keeps no file (it reads them back from there).
// - any other driver (syslog, fluentd, gelf, ...) sends lines elsewhere and keeps no file of its
//   own, but docker caches them for `docker logs` ("dual logging", 20.10+) in
//   container-cached.log(.1.gz, ...), 20 MiB x 5, unless cache-disabled=true. (cache-max-size and
//   cache-max-file given per container did not take effect on engines 20.10 and 26: with
//   cache-max-size=1k the cache held 13,290 bytes in one file.)
// - none: nothing at all.
import { repositoryOf } from './reference.js';
import { isActive, type Container, type Image, type Snapshot } from './snapshot.js';

/** How a container's log is configured (HostConfig.LogConfig). */
export interface LogConfig {
  driver: string;
  options: Readonly<Record<string, string>>;
}

/** One log file, by its path within the container's directory. */
export interface LogFile {
  path: string;
  bytes: number;
}

/** A container's log as read: its files and, when they were asked for, its settings. */
export interface ContainerLog {
  /** Its files, rotated ones and docker's cache included; empty when it keeps none (or they could not be read). */
  files: LogFile[];
  /** Its driver and options (an inspect per container: only `df -v` and `logs` show them). */
  config?: LogConfig;
}

/** How the log sizes of a snapshot were read, or why they could not be. */
export interface LogsReading {
  /** local: stat on this machine; helper: a short-lived container on the daemon stat'ed them. */
  via: 'local' | 'helper' | 'unknown';
  /** The image the helper ran (via helper). */
  helperImage?: string;
  /** Why the sizes are unknown, and what to do about it (via unknown). */
  unknown?: { reason: string; fix: string };
}

/** Where a container's log lines are kept on the daemon's disk. */
export type LogStorage =
  /** In files of its driver (json-file, local). */
  | 'file'
  /** Sent elsewhere (journald, syslog, ...); docker keeps a capped cache for `docker logs`. */
  | 'cache'
  /** Nowhere on this disk (driver none, or a remote driver with the cache disabled). */
  | 'none';

/** Log rotation: at most `maxFile` files of `maxSize` bytes each. */
export interface Rotation {
  maxSize: number;
  maxFile: number;
  /** The size as it was set ("10k"), or the default's ("20m"). */
  maxSizeText: string;
  /** Whether these are the driver's defaults (nothing was set). */
  isDefault: boolean;
}

/** One container's log, as `df -v` and `logs` show it. */
export interface LogRow {
  container: Container;
  driver: string;
  storage: LogStorage;
  rotation: Rotation | null;
  /** Bytes of its files; -1 when they could not be read. */
  sizeBytes: number;
  /** Whether it has a log file on disk (unknown sizes: whether its driver keeps one). */
  hasFile: boolean;
}

/** The drivers that write log files of their own. */
const FILE_DRIVERS = new Set(['json-file', 'local']);
/** Drivers that keep nothing on the daemon's disk: docker reads journald's lines back from the journal. */
const NO_FILE_DRIVERS = new Set(['none', 'journald', '']);
/** The local driver's defaults, and those of docker's cache for other drivers (20 MiB, 5 files). */
const LOCAL_MAX_SIZE = 20 * 1024 * 1024;
const LOCAL_MAX_FILE = 5;

/** The suggested cap: docker's documentation's example, 3 files of 10 MB. */
export const SUGGESTED_CAP = { maxSize: '10m', maxFile: '3' } as const;

/**
 * A size as docker reads max-size (go-units RAMInBytes: binary multiples, "10k" = 10240,
 * "1.5m", "20MB", "1GiB"); undefined when docker would not accept it.
 */
export function parseLogSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text.trim());
  if (!m) return undefined;
  const powers: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5 };
  const unit = m[2] ? powers[m[2].toLowerCase()]! : 0;
  return Math.floor(Number.parseFloat(m[1]!) * 1024 ** unit);
}

function count(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number.parseInt(text, 10);
  return /^\d+$/.test(text.trim()) && n > 0 ? n : fallback;
}

/** Where a driver keeps its lines, given its options. */
export function logStorage(config: LogConfig): LogStorage {
  if (FILE_DRIVERS.has(config.driver)) return 'file';
  if (NO_FILE_DRIVERS.has(config.driver)) return 'none';
  return config.options['cache-disabled'] === 'true' ? 'none' : 'cache';
}

/**
 * The rotation a container's log files have: null when they grow without bound (json-file
 * without max-size) or there are none. The local driver and docker's cache rotate by default.
 */
export function rotationOf(config: LogConfig): Rotation | null {
  const o = config.options;
  const storage = logStorage(config);
  if (storage === 'none') return null;
  // docker's cache rotates as the local driver does by default (see the top of this file).
  const sizeText = storage === 'cache' ? undefined : o['max-size'];
  const fileText = storage === 'cache' ? undefined : o['max-file'];
  const size = sizeText === undefined || sizeText === '-1' ? undefined : parseLogSize(sizeText);
  if (config.driver === 'json-file') {
    if (size === undefined || size <= 0) return null;
    return { maxSize: size, maxFile: count(fileText, 1), maxSizeText: sizeText!, isDefault: false };
  }
  return {
    maxSize: size ?? LOCAL_MAX_SIZE,
    maxFile: count(fileText, LOCAL_MAX_FILE),
    maxSizeText: size === undefined ? '20m' : sizeText!,
    isDefault: size === undefined && fileText === undefined,
  };
}

/**
 * Whether a file in a container's directory is part of its log: the json-file log named by
 * LogPath (`logName`, normally ID-json.log) and its rotations, the local driver's files, docker's
 * cache for other drivers.
 */
export function isLogFile(path: string, logName: string): boolean {
  if (path.startsWith('local-logs/')) return !path.slice('local-logs/'.length).includes('/') && path.length > 'local-logs/'.length;
  if (path.includes('/')) return false;
  const rotated = (base: string): boolean => path === base || (path.startsWith(base + '.') && /^\.\d+(\.gz)?$/.test(path.slice(base.length)));
  return (logName !== '' && rotated(logName)) || rotated('container-cached.log');
}

/** Bytes of a container's log files, rotated ones and docker's cache included (0 when none were read). */
export function logBytes(container: Container): number {
  return (container.log?.files ?? []).reduce((s, f) => s + f.bytes, 0);
}

/** What removing a container frees: its writable layer and its log files, which docker deletes with it. */
export function containerBytes(container: Container): number {
  return Math.max(0, container.sizeRw) + logBytes(container);
}

/** Whether the log sizes were asked for and could not be read: figures that include them are then short. */
export function logsUnknown(snapshot: Pick<Snapshot, 'logs'>): boolean {
  return snapshot.logs?.via === 'unknown';
}

/** Each container's log, largest first (ties by name). */
export function logRows(snapshot: Snapshot): LogRow[] {
  const reading = snapshot.logs;
  const rows = snapshot.containers
    .filter((c) => c.log !== undefined)
    .map((c): LogRow => {
      const { files, config } = c.log!;
      const storage = config ? logStorage(config) : files.length ? 'file' : 'none';
      const sizeBytes = reading?.via === 'unknown' ? -1 : logBytes(c);
      return {
        container: c,
        driver: config?.driver ?? '',
        storage,
        rotation: config ? rotationOf(config) : null,
        sizeBytes,
        // Sizes unknown: a container that has run, with a driver that writes a file (where its
        // settings were read), may well have one.
        hasFile: sizeBytes < 0 ? (config === undefined || storage !== 'none') && c.state !== 'created' : files.length > 0,
      };
    });
  return rows.sort((a, b) => b.sizeBytes - a.sizeBytes || (a.container.name < b.container.name ? -1 : a.container.name > b.container.name ? 1 : 0));
}

/** The `Container logs` row of df: containers with a log file, running ones, all bytes, those of stopped containers. */
export interface LogUsage {
  total: number;
  active: number;
  /** null when the files could not be read. */
  sizeBytes: number | null;
  reclaimableBytes: number | null;
  exact: boolean;
  reading: LogsReading;
  items: LogRow[];
}

/** The df row for container logs, from a snapshot read with logs. */
export function logUsage(snapshot: Snapshot): LogUsage {
  const reading = snapshot.logs ?? { via: 'unknown', unknown: { reason: 'container logs were not read', fix: '' } };
  const items = logRows(snapshot);
  const withFile = items.filter((r) => r.hasFile);
  const known = reading.via !== 'unknown';
  const sum = (rows: readonly LogRow[]): number => rows.reduce((s, r) => s + Math.max(0, r.sizeBytes), 0);
  return {
    total: withFile.length,
    active: withFile.filter((r) => isActive(r.container)).length,
    sizeBytes: known ? sum(items) : null,
    reclaimableBytes: known ? sum(items.filter((r) => !isActive(r.container))) : null,
    exact: known,
    reading,
    items,
  };
}

/** What `docker tidy logs` reports beside the rows: which logs have no cap, and the setting that would cap them. */
export interface LogAdvice {
  /** json-file logs without max-size: they keep every line. */
  uncapped: LogRow[];
  /** Those of running containers: they grow until the disk is full. */
  growing: LogRow[];
  /** The daemon.json setting that caps the logs of containers created from now on. */
  daemonJson: { 'log-driver': 'json-file'; 'log-opts': { 'max-size': string; 'max-file': string } };
  /** The options of `docker run` / `docker create` that cap one container's log. */
  logOpts: string[];
}

/** The containers whose logs have no cap, and what would cap them. */
export function logAdvice(rows: readonly LogRow[]): LogAdvice {
  const uncapped = rows.filter((r) => r.storage === 'file' && r.rotation === null);
  return {
    uncapped,
    growing: uncapped.filter((r) => isActive(r.container)),
    daemonJson: { 'log-driver': 'json-file', 'log-opts': { 'max-size': SUGGESTED_CAP.maxSize, 'max-file': SUGGESTED_CAP.maxFile } },
    logOpts: [`max-size=${SUGGESTED_CAP.maxSize}`, `max-file=${SUGGESTED_CAP.maxFile}`],
  };
}

/** The label docker tidy puts on its helper containers (so that a leftover is recognised as its own). */
export const HELPER_LABEL = 'org.docker-tidy.helper';

/**
 * Whether a container is one of docker tidy's own helpers (this run's, a concurrent run's, or one a
 * killed run left): never the user's, never in a report or a plan.
 */
export function isHelperContainer(container: Container): boolean {
  return container.labels !== undefined && HELPER_LABEL in container.labels;
}

/** The repository of docker tidy's own helper image (scripts/helper-image.sh makes it from a static busybox). */
export const OWN_HELPER_REPOSITORY = 'docker-tidy/helper';
/** Images known to have find and stat (as commands or busybox applets), by repository name. */
const HELPER_LIKE = ['busybox', 'alpine', 'debian', 'ubuntu'];
/** How many local images to try for the helper before giving up. */
const HELPER_TRIES = 3;

/**
 * The images to run the helper from, in order: the one named with --helper alone; else docker
 * tidy's own, then local busybox, alpine, debian or ubuntu images (smallest first). Never one that
 * is not on the daemon: docker tidy does not pull.
 */
export function helperCandidates(images: readonly Image[], given: string | undefined): string[] {
  if (given !== undefined) return [given];
  const named = images.flatMap((image) => image.tags.map((tag) => ({ tag, image, repo: repositoryOf(tag) })));
  const own = named.filter((n) => n.repo === OWN_HELPER_REPOSITORY).map((n) => n.tag);
  const rank = (repo: string): number => HELPER_LIKE.indexOf(repo.slice(repo.lastIndexOf('/') + 1));
  const like = named
    .filter((n) => rank(n.repo) >= 0)
    .sort((a, b) => a.image.size - b.image.size || rank(a.repo) - rank(b.repo) || (a.tag < b.tag ? -1 : 1));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const n of [...own.map((tag) => ({ tag, id: tag })), ...like.map((n) => ({ tag: n.tag, id: n.image.id }))]) {
    if (seen.has(n.id)) continue;
    seen.add(n.id);
    out.push(n.tag);
  }
  return out.slice(0, own.length + HELPER_TRIES);
}

/**
 * The helper's answer, "SIZE ./ID/PATH" a line (find and stat under DATA-ROOT/containers), as
 * each container's log files. `logNames`: each container's json-file log name (LogPath's base
 * name), by container ID; files of other containers (the helper's own) are left out.
 */
export function parseHelperOutput(text: string, logNames: ReadonlyMap<string, string>): Map<string, LogFile[]> {
  const files = new Map<string, LogFile[]>();
  for (const line of text.split('\n')) {
    const m = /^(\d+) (?:\.\/)?([0-9a-f]{64})\/(.+)$/.exec(line.trim());
    if (!m) continue;
    const [, size, id, path] = m as unknown as [string, string, string, string];
    const logName = logNames.get(id);
    if (logName === undefined || !isLogFile(path, logName)) continue;
    const list = files.get(id) ?? [];
    list.push({ path, bytes: Number(size) });
    files.set(id, list);
  }
  for (const list of files.values()) list.sort((a, b) => (a.path < b.path ? -1 : 1));
  return files;
}
