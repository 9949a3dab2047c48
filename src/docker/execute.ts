// Carries out a plan's steps and decides nothing: each step starts once the steps it waits for
// are done, a few at a time, over the Engine API connection; a step whose prerequisite failed is
// skipped with that reason. Never forced: docker's own refusal (a container created since the
// plan) is a failed step. Interrupted, it starts nothing new and lets the requests already sent
// finish, so that what was done is reported, never lost.
import { accessSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CONCURRENCY, tarName, type Operation, type Step } from '../core/operations.js';
import type { StepResult } from '../core/outcome.js';
import type { BuildCacheRecord } from '../core/snapshot.js';
import type { Image } from '../core/snapshot.js';
import { CancelledError, UsageError } from '../errors.js';
import { saveImageTo } from './cli.js';
import { EngineApiError, type EngineClient } from './engine.js';
import { BuildPruneAnswer, expectShape } from './raw.js';

/** Progress: references done, references in all, estimated bytes freed so far; `final` once at the end. */
export type ProgressListener = (done: number, total: number, bytes: number, final: boolean) => void;

/** What the steps need besides the plan. */
export interface ExecuteOptions {
  /** Where save-image steps write (--save DIR). */
  saveDir?: string;
  onProgress?: ProgressListener;
  /** Reads the build cache (a read-build-cache step). */
  readBuildCache?: () => Promise<BuildCacheRecord[]>;
}

/** Runs every step; the result of each, in the same order. */
export async function execute(client: EngineClient, steps: readonly Step[], options: ExecuteOptions = {}): Promise<StepResult[]> {
  const { signal } = client.target;
  const finished: Promise<StepResult>[] = [];
  const references = steps.filter((s) => s.op.kind === 'untag' || s.op.kind === 'delete-image').length;
  let referencesDone = 0;
  let bytes = 0;
  let lastReport = 0;
  const report = (force = false): void => {
    const now = Date.now();
    if (!options.onProgress || (!force && now - lastReport < 100)) return;
    lastReport = now;
    options.onProgress(referencesDone, references, bytes, false);
  };
  // The --save directory is made (0700) once, before the first save; its failure fails every save.
  let saveDir: { error?: Error } | undefined;
  const limit = semaphore(CONCURRENCY);
  client.setConnections(CONCURRENCY);

  const run = async (step: Step): Promise<StepResult> => {
    const before = await Promise.all(step.after.map((i) => finished[i]!));
    if (step.orderAfter) await Promise.all(step.orderAfter.map((i) => finished[i]!));
    const blocked = before.find((r) => r.status === 'failed' || r.status === 'skipped');
    if (blocked) return { status: 'skipped', because: becauseOf(step, steps, step.after[before.indexOf(blocked)]!, blocked) };
    if (before.some((r) => r.status === 'not-started')) return { status: 'not-started' };
    return limit(async () => {
      if (signal.aborted) return { status: 'not-started' } as StepResult;
      const { op } = step;
      if (op.kind === 'save-image') {
        saveDir ??= { error: ensurePrivateDir(options.saveDir!) };
        if (saveDir.error) return { status: 'failed', error: `not removed: --save ${options.saveDir}: ${saveDir.error.message}` } as StepResult;
      }
      let result: StepResult;
      try {
        result = await perform(client, op, options);
      } catch (error) {
        if (error instanceof CancelledError) return { status: 'not-started' } as StepResult;
        result = { status: 'failed', error: errorText(error) };
      }
      if (op.kind === 'untag' || op.kind === 'delete-image') {
        referencesDone += 1;
        if (op.kind === 'delete-image' && result.status === 'done') bytes += op.bytes;
        report(op.kind === 'delete-image');
      }
      return result;
    });
  };
  // Steps only wait for earlier steps, so every promise exists before it is awaited.
  for (const step of steps) finished.push(run(step));
  const all = await Promise.all(finished);
  await pruneKeptRecordsAgain(client, steps, all, limit, options);
  if (references) options.onProgress?.(referencesDone, references, bytes, true);
  return all;
}

/**
 * BuildKit keeps a record while others built on it are there, and on the containerd store the
 * daemon names no parents (engines 26 and 28.5), so a plan cannot put them in order: a record the
 * daemon kept is asked again once others went, round after round while a round prunes any. Found
 * by pruning every record of a world one by one: base and COPY records stayed until their
 * children went, and a second prune then removed them.
 */
async function pruneKeptRecordsAgain(
  client: EngineClient,
  steps: readonly Step[],
  results: StepResult[],
  limit: <T>(task: () => Promise<T>) => Promise<T>,
  options: ExecuteOptions,
): Promise<void> {
  const records = steps.flatMap((s, i) => (s.op.kind === 'prune-build-cache' ? [i] : []));
  let kept = records.filter((i) => results[i]!.status === 'gone');
  let progress = records.some((i) => results[i]!.status === 'done');
  while (progress && kept.length && !client.target.signal.aborted) {
    const again = await Promise.all(kept.map((i) => limit(() => perform(client, steps[i]!.op, options).catch((): StepResult => ({ status: 'gone' })))));
    for (const [k, i] of kept.entries()) if (again[k]!.status === 'done') results[i] = again[k]!;
    progress = again.some((r) => r.status === 'done');
    kept = kept.filter((_, k) => again[k]!.status !== 'done');
  }
}

// What one operation asks of the daemon.
async function perform(client: EngineClient, op: Operation, options: ExecuteOptions): Promise<StepResult> {
  switch (op.kind) {
    case 'remove-container':
      return remove(client, `/containers/${encodeURIComponent(op.container.id)}`, `remove container ${op.container.name}`);
    case 'untag':
    case 'delete-image':
      return remove(client, `/images/${encodeURIComponent(op.ref.name)}`, `remove ${op.ref.name}`);
    case 'remove-network':
      return remove(client, `/networks/${encodeURIComponent(op.network.id)}`, `remove network ${op.network.name}`);
    case 'remove-volume':
      return remove(client, `/volumes/${encodeURIComponent(op.volume.name)}`, `remove volume ${op.volume.name}`);
    case 'save-image': {
      const path = join(options.saveDir!, op.file);
      await saveOne(client, op.image.tags.length ? op.image.tags : [op.image.id], path).catch((error: unknown) => {
        if (error instanceof CancelledError) throw error;
        throw new Error(`not removed: docker save to ${path} failed: ${(error as Error).message}`);
      });
      return { status: 'done', path };
    }
    case 'prune-build-cache': {
      // One record per request (the daemon takes one ID per filter): only what the plan lists goes.
      const filters = encodeURIComponent(JSON.stringify({ id: { [op.record.id]: true } }));
      const what = `prune build cache ${op.record.id}`;
      const answer = expectShape(BuildPruneAnswer, await client.requestJson('POST', `/build/prune?all=1&filters=${filters}`, what, { finishOnAbort: true }), what);
      // Not pruned: gone already, or in use again since the plan.
      return answer.CachesDeleted.includes(op.record.id) ? { status: 'done' } : { status: 'gone' };
    }
    case 'read-build-cache':
      return { status: 'done', records: await options.readBuildCache!() };
  }
}

/** DELETE, never forced; 404 means it is gone already. The daemon's "Deleted:" answers are kept. */
async function remove(client: EngineClient, path: string, what: string): Promise<StepResult> {
  try {
    const answer = await client.requestJson('DELETE', path, what, { finishOnAbort: true });
    // Images: [{"Untagged": ref}, ..., {"Deleted": id}, ...].
    const deleted = (Array.isArray(answer) ? answer : []).flatMap((entry) => {
      const id = (entry as { Deleted?: unknown }).Deleted;
      return typeof id === 'string' ? [id] : [];
    });
    return { status: 'done', deleted };
  } catch (error) {
    if (error instanceof EngineApiError && error.status === 404) return { status: 'gone' };
    throw error;
  }
}

/** What to report of a failed step: the daemon's own words when it refused. */
export function errorText(error: unknown): string {
  return error instanceof EngineApiError ? error.daemonMessage : (error as Error).message;
}

function becauseOf(step: Step, steps: readonly Step[], index: number, blocked: StepResult): string {
  const reason = blocked.status === 'failed' ? blocked.error : (blocked as { because: string }).because;
  // A failed save already says that the image was not removed.
  return steps[index]!.op.kind === 'save-image' || step.removal === steps[index]!.removal || reason.startsWith('not removed: ') ? reason : `not removed: ${reason}`;
}

/** At most `n` at a time. */
function semaphore(n: number): <T>(work: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}

async function saveOne(client: EngineClient, refs: string[], path: string): Promise<void> {
  // O_EXCL: never overwrite, never follow a symlink someone put there; 0600 from the start.
  const fd = openSync(path, 'wx', 0o600);
  try {
    await saveImageTo(client.target, refs, fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw error;
  }
  closeSync(fd);
}

// The --save directory: created 0700 when missing; an existing one must be a real directory.
function ensurePrivateDir(dir: string): Error | undefined {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return error as Error;
    if (!lstatSync(dir).isDirectory()) return new Error(`${dir} exists and is not a directory`);
  }
  return undefined;
}

/**
 * Checks, before the plan is shown, that `docker save` can write each planned tar into DIR: DIR
 * is a real, writable directory, or can be created (its parent exists and is writable), and no
 * file of those names is there yet. Throws a UsageError naming the problem.
 */
export function checkSaveDir(dir: string, images: readonly Image[], helpCommand: string): void {
  const problem = (text: string): UsageError => new UsageError(`--save ${JSON.stringify(dir)}: ${text}`, helpCommand);
  let stat;
  try {
    stat = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw problem((error as Error).message);
  }
  if (stat) {
    if (!stat.isDirectory()) throw problem('exists and is not a directory (a symlink is not followed)');
    if (!writable(dir)) throw problem('is not writable');
    for (const image of images) {
      if (existsSync(join(dir, tarName(image)))) throw problem(`${tarName(image)} is already there; docker tidy never overwrites a file`);
    }
    return;
  }
  const parent = dirname(resolve(dir));
  let parentStat;
  try {
    parentStat = statSync(parent);
  } catch {
    throw problem(`cannot be created: ${parent} does not exist`);
  }
  if (!parentStat.isDirectory()) throw problem(`cannot be created: ${parent} is not a directory`);
  if (!writable(parent)) throw problem(`cannot be created: ${parent} is not writable`);
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
