// Reads the containers' log files: the sizes of each container's files (core/logs.ts says which
// files are a log's) and, where they are shown, its log settings and LogPath from inspect (an
// inspect per container, so only for df -v and logs). On this machine the files are stat'ed
// directly when they can be; otherwise (a remote daemon, Docker Desktop's VM, no permission) a
// short-lived, read-only helper container on the daemon stats them, and is removed whatever
// happens, an interrupt included. If neither works the sizes are unknown, with the reason and the
// fix. Nothing here ever writes to, truncates or opens a log file for reading its content.
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { helperCandidates, HELPER_LABEL, isLogFile, parseHelperOutput, type ContainerLog, type LogConfig, type LogFile, type LogsReading } from '../core/logs.js';
import type { Container, Image } from '../core/snapshot.js';
import { CancelledError } from '../errors.js';
import { mapConcurrent } from './concurrency.js';
import { EngineApiError, type EngineClient } from './engine.js';
import { ContainerCreated, ContainerInspect, ContainerWaited, expectShape, SystemInfo } from './raw.js';

/** Inspects in flight at once. */
const INSPECT_CONCURRENCY = 16;
/** How long removing the helper may take after an interrupt. */
const CLEANUP_TIMEOUT_MS = 20_000;
/** A helper container left by a run that was killed is removed once it is this old (seconds). */
const STALE_HELPER_SECONDS = 60;

/** The helper's last line: it ran to its end. */
const DONE = 'docker-tidy-helper-done';
/**
 * What the helper runs under DATA-ROOT/containers (mounted read-only at /c): find and stat, as
 * commands or busybox applets, printing "SIZE ./ID/FILE" for each log file, then DONE. The first
 * find proves that find -exec ... + and stat -c work in this image.
 */
const HELPER_SCRIPT = [
  'cd /c || exit 2',
  'have() { command -v "$1" >/dev/null 2>&1; }',
  "F=find; have find || F='busybox find'",
  "S=stat; have stat || S='busybox stat'",
  "$F . -maxdepth 0 -exec $S -c '%s %n' {} + >/dev/null || { echo 'this image has no working find and stat' >&2; exit 127; }",
  "$F . -mindepth 2 -maxdepth 3 -type f \\( -name '*-json.log*' -o -path './*/local-logs/*' -o -name 'container-cached.log*' \\) -exec $S -c '%s %n' {} +",
  `echo ${DONE}`,
].join('\n');

/** The logs of a snapshot's containers, as read. */
export interface LogsRead {
  reading: LogsReading;
  /** Each container's log, by container ID (one removed since it was listed has none). */
  logs: Map<string, ContainerLog>;
  /** The inspect answers, by container ID (for other needs of the snapshot, such as finish times). */
  inspects: Map<string, ContainerInspect>;
  /** What the user should hear (a helper that could not be removed). */
  warnings: string[];
}

/** A container whose log files are to be read. */
interface Target {
  id: string;
  /** Its log settings, when they were asked for. */
  config?: LogConfig;
  /** Where its json-file log is: LogPath when inspected (json-file, once started; else ""), else where docker puts it. */
  logPath: string;
}

/** What to read besides the sizes: each container's log settings (an inspect per container); the image for the helper (--helper). */
export interface LogsRequest {
  settings: boolean;
  helperImage?: string | undefined;
  /** The daemon's /info answer, when it was read already. */
  info?: SystemInfo;
  /** The files read here already (readAllHere), when settings are not asked for. */
  here?: LocalRead;
}

/** Log files read on this machine, by container ID, and which container directories were there; or why they could not be. */
export type LocalRead = { files: Map<string, LogFile[]>; present: Set<string> } | { unavailable: string; permission: boolean };

/**
 * Reads the sizes of every container's log files and, when asked, its log settings. `helpers`
 * are docker tidy's own helper containers the daemon listed (a stopped one a killed run left is
 * removed); `images` are the daemon's (the helper runs from one of them, never a pulled one).
 */
export async function readContainerLogs(
  client: EngineClient,
  listed: readonly Container[],
  helpers: readonly Container[],
  images: readonly Image[],
  request: LogsRequest,
): Promise<LogsRead> {
  const warnings: string[] = [];
  const [info, inspected] = await Promise.all([
    request.info ?? client.getJson('/info', 'GET /info').then((raw) => expectShape(SystemInfo, raw, 'GET /info')),
    request.settings ? mapConcurrent(listed, INSPECT_CONCURRENCY, (c) => inspectIfPresent(client, c.id)) : undefined,
  ]);
  const root = info.DockerRootDir;
  const inspects = new Map<string, ContainerInspect>();
  const targets: Target[] = [];
  listed.forEach((c, i) => {
    if (!inspected) {
      // Without settings, the json-file log is where docker puts it (LogPath, on every engine since 1.x).
      targets.push({ id: c.id, logPath: join(root, 'containers', c.id, `${c.id}-json.log`) });
      return;
    }
    const inspect = inspected[i];
    if (!inspect) return;
    inspects.set(c.id, inspect);
    const config = inspect.HostConfig?.LogConfig;
    targets.push({ id: c.id, config: { driver: config?.Type || info.LoggingDriver, options: { ...(config?.Config ?? {}) } }, logPath: inspect.LogPath });
  });
  await removeStaleHelpers(client, helpers, warnings);

  const done = (reading: LogsReading, files: Map<string, LogFile[]>): LogsRead => ({
    reading,
    logs: new Map(targets.map((t): [string, ContainerLog] => [t.id, { files: files.get(t.id) ?? [], ...(t.config ? { config: t.config } : {}) }])),
    inspects,
    warnings,
  });
  if (targets.length === 0) return done({ via: 'local' }, new Map());

  const via = client.target.logsVia;
  let here: string;
  let permission = false;
  if (via === 'helper') here = 'DOCKER_TIDY_LOGS_VIA=helper';
  else {
    const local = ofTargets(root, targets, inspected ? undefined : request.here);
    if ('files' in local) return done({ via: 'local' }, local.files);
    here = local.unavailable;
    permission = local.permission;
  }
  let helper: string;
  if (via === 'local') helper = 'DOCKER_TIDY_LOGS_VIA=local';
  else {
    const candidates = helperCandidates(images, request.helperImage);
    const read = candidates.length ? await readThroughHelper(client, root, targets, candidates, warnings) : undefined;
    if (read && 'files' in read) return done({ via: 'helper', helperImage: read.image }, read.files);
    helper = read
      ? read.unavailable
      : 'no image on the daemon to run a helper container from (docker tidy looks for docker-tidy/helper, busybox, alpine, debian and ubuntu, and never pulls one)';
  }
  const fixes = [
    ...(permission ? ['run it as root (sudo)'] : []),
    ...(via === 'local' ? ['unset DOCKER_TIDY_LOGS_VIA so that a helper container can read them'] : []),
    'name an image on the daemon that has find and stat for the helper container: --helper IMAGE (docker tidy never pulls: docker pull busybox, then --helper busybox)',
  ];
  return done({ via: 'unknown', unknown: { reason: `${here}; ${helper}`, fix: fixes.join(', or ') } }, new Map());
}

// A container's inspect, or undefined when it was removed since it was listed.
async function inspectIfPresent(client: EngineClient, id: string): Promise<ContainerInspect | undefined> {
  const what = `GET /containers/${id}/json`;
  try {
    return expectShape(ContainerInspect, await client.getJson(`/containers/${encodeURIComponent(id)}/json`, what), what);
  } catch (error) {
    if (error instanceof EngineApiError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * Every container directory's log files under the daemon's data root, read on this machine before
 * the container list is in (plain sizes, without settings: each json-file log is where docker puts
 * it), so that the reading overlaps the daemon's answers (on 1,000 containers, about 50 ms).
 */
export function readAllHere(root: string): LocalRead {
  const base = join(root, 'containers');
  let ids: string[];
  try {
    if (!root || !statSync(base).isDirectory()) return { unavailable: `the daemon's data root ${root} is not on this machine`, permission: false };
    ids = readdirSync(base);
  } catch (error) {
    return unreadable(error, base, root);
  }
  return readHere(root, ids.map((id) => ({ id, logPath: join(base, id, `${id}-json.log`) })));
}

/**
 * The files of these containers: those read already (`early`), the others now (a container created
 * since). None of them here means this machine's directory is another daemon's.
 */
function ofTargets(root: string, targets: readonly Target[], early?: LocalRead): LocalRead {
  if (early && !('files' in early)) return early;
  const late = targets.filter((t) => !early?.present.has(t.id));
  const now = late.length ? readHere(root, late) : { files: new Map<string, LogFile[]>(), present: new Set<string>() };
  if (!('files' in now)) return now;
  const ids = new Set(targets.map((t) => t.id));
  const present = new Set([...(early?.present ?? [])].filter((id) => ids.has(id)).concat([...now.present]));
  if (present.size === 0) {
    return { unavailable: `the daemon's data root ${root} is not on this machine (${join(root, 'containers')} here holds none of its containers)`, permission: false };
  }
  const files = new Map([...(early?.files ?? [])].filter(([id]) => ids.has(id)).concat([...now.files]));
  return { files, present };
}

/**
 * The files' sizes read on this machine, or why they cannot be (the daemon is elsewhere, or they
 * are not readable here). Synchronous calls: a directory a container is thousands of times faster
 * so than through the thread pool.
 */
function readHere(root: string, targets: readonly Target[]): LocalRead {
  const base = join(root, 'containers');
  try {
    if (!root || !statSync(base).isDirectory()) return { unavailable: `the daemon's data root ${root} is not on this machine`, permission: false };
  } catch (error) {
    return unreadable(error, base, root);
  }
  const files = new Map<string, LogFile[]>();
  const present = new Set<string>();
  for (const t of targets) {
    const dir = join(base, t.id);
    // The json-file log is where LogPath says (beside the container's other files, on every engine).
    const logDir = t.logPath ? dirname(t.logPath) : dir;
    const logName = t.logPath ? basename(t.logPath) : '';
    try {
      const names = readdirSync(dir);
      present.add(t.id);
      const nameHere = logDir === dir ? logName : '';
      const paths = names.filter((n) => isLogFile(n, nameHere));
      if (names.includes('local-logs')) paths.push(...readdirSync(join(dir, 'local-logs')).map((n) => `local-logs/${n}`));
      const list = sizesOf(dir, paths);
      if (logDir !== dir && logName) list.push(...sizesOf(logDir, readdirSync(logDir).filter((n) => isLogFile(n, logName))));
      if (list.length) files.set(t.id, list);
    } catch (error) {
      // Removed since it was listed: it has no files.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return unreadable(error, dir, root);
    }
  }
  return { files, present };
}

// Each file's size (a file that went between the listing and its stat, in a rotation, is left out).
function sizesOf(dir: string, paths: readonly string[]): LogFile[] {
  const out: LogFile[] = [];
  for (const path of paths) {
    try {
      const s = statSync(join(dir, path));
      if (s.isFile()) out.push({ path, bytes: s.size });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

function unreadable(error: unknown, path: string, root: string): { unavailable: string; permission: boolean } {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return { unavailable: `cannot read ${path} on this machine: permission denied`, permission: true };
  if (code === 'ENOENT' || code === 'ENOTDIR') return { unavailable: `the daemon's data root ${root} is not on this machine`, permission: false };
  return { unavailable: `cannot read ${path} on this machine: ${(error as Error).message}`, permission: false };
}

/**
 * The sizes as a helper container on the daemon reads them: tries each candidate image in turn
 * (one without find and stat fails, and the next is tried), or says why none worked.
 */
async function readThroughHelper(
  client: EngineClient,
  root: string,
  targets: readonly Target[],
  candidates: readonly string[],
  warnings: string[],
): Promise<{ files: Map<string, LogFile[]>; image: string } | { unavailable: string }> {
  const logNames = new Map(targets.map((t) => [t.id, t.logPath && dirname(t.logPath) === join(root, 'containers', t.id) ? basename(t.logPath) : '']));
  const failures: string[] = [];
  for (const image of candidates) {
    const result = await runHelper(client, root, image, warnings);
    if ('output' in result) return { files: parseHelperOutput(result.output, logNames), image };
    failures.push(`the helper container from ${image} failed: ${result.error}`);
  }
  return { unavailable: failures.join('; ') };
}

/**
 * One helper container: created (never pulled), started, waited for, its output read, and
 * removed in every case; after an interrupt, removed through a connection the interrupt does not
 * cancel. Read-only everywhere: the data root's containers directory mounted read-only, a
 * read-only root, no network, no capabilities.
 */
async function runHelper(client: EngineClient, root: string, image: string, warnings: string[]): Promise<{ output: string } | { error: string }> {
  const name = `docker-tidy-helper-${randomBytes(6).toString('hex')}`;
  const path = `/containers/${name}`;
  const spec = {
    Image: image,
    Entrypoint: ['sh', '-c', HELPER_SCRIPT, 'docker-tidy-helper'],
    User: '0',
    WorkingDir: '/',
    NetworkDisabled: true,
    Labels: { [HELPER_LABEL]: '1' },
    HostConfig: {
      Binds: [`${join(root, 'containers')}:/c:ro`],
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      // Its own output is read back through docker logs, whatever the daemon's default driver.
      LogConfig: { Type: 'json-file', Config: {} },
    },
  };
  let sent = false;
  try {
    sent = true;
    // Finished even when interrupted meanwhile, so that the container it made is known and removed.
    expectShape(ContainerCreated, await client.requestJson('POST', `/containers/create?name=${name}`, 'create the helper container', { body: spec, finishOnAbort: true }), 'create the helper container');
    await client.requestJson('POST', `${path}/start`, 'start the helper container');
    const waited = expectShape(ContainerWaited, await client.requestJson('POST', `${path}/wait`, 'wait for the helper container'), 'wait for the helper container');
    const { stdout, stderr } = demultiplex(await client.requestBytes('GET', `${path}/logs?stdout=1&stderr=1`, 'read the helper container output'));
    const lines = stdout.trimEnd().split('\n');
    if (waited.StatusCode !== 0) return { error: `it exited with code ${waited.StatusCode}${stderr.trim() ? `: ${firstLine(stderr)}` : ''}` };
    if (lines[lines.length - 1] !== DONE) return { error: `its output ended early${stderr.trim() ? `: ${firstLine(stderr)}` : ''}` };
    return { output: lines.slice(0, -1).join('\n') };
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    if (error instanceof EngineApiError) {
      if (error.status === 404 && /no such image/i.test(error.daemonMessage)) return { error: `${image} is not on the daemon (docker tidy never pulls an image)` };
      return { error: firstLine(error.daemonMessage) || error.message };
    }
    throw error;
  } finally {
    if (sent) {
      const left = await removeHelper(client, name);
      if (left) warnings.push(left);
    }
  }
}

/** Removes a helper container by name (gone already is fine); after an interrupt, through a client it does not cancel. */
async function removeHelper(client: EngineClient, name: string): Promise<string | undefined> {
  const cleaner = client.target.signal.aborted ? client.uncancelled(Math.min(client.target.timeoutMs, CLEANUP_TIMEOUT_MS)) : client;
  try {
    await cleaner.requestJson('DELETE', `/containers/${name}?force=1&v=1`, `remove the helper container ${name}`, { finishOnAbort: true });
    return undefined;
  } catch (error) {
    if (error instanceof EngineApiError && error.status === 404) return undefined;
    return `could not remove docker tidy's helper container ${name} (${(error as Error).message}): remove it with docker rm -f ${name}`;
  } finally {
    if (cleaner !== client) cleaner.close();
  }
}

/** Helper containers a killed run left behind (stopped, a minute old or more): removed; a running one may be another run's. */
async function removeStaleHelpers(client: EngineClient, own: readonly Container[], warnings: string[]): Promise<void> {
  const now = Date.now() / 1000;
  for (const c of own) {
    if (c.state === 'running' || now - c.created < STALE_HELPER_SECONDS) continue;
    const left = await removeHelper(client, c.id);
    if (left) warnings.push(left);
  }
}

/**
 * A container's output as the logs endpoint sends it without a terminal: frames of an 8-byte
 * header (stream 1 stdout, 2 stderr; then the length, big-endian) and the bytes.
 */
export function demultiplex(bytes: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(i + 4);
    const frame = bytes.subarray(i + 8, i + 8 + length);
    (bytes[i] === 2 ? err : out).push(frame);
    i += 8 + length;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}
