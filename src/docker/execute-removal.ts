// Carries out a RemovalPlan; decides nothing. Saves, then removes containers, then removes image
// references one by one over the one Engine API connection (children first, as planned). Never
// forces: docker's own refusal (a container created since the plan) is reported as a failure.
import { accessSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PlannedRemoval, RemovalPlan } from '../core/plan-removal.js';
import { CancelledError, UsageError } from '../errors.js';
import { saveImageTo } from './cli.js';
import { mapConcurrent } from './concurrency.js';
import { EngineApiError, type EngineClient } from './engine.js';

/** What happened to each planned removal. */
export interface RemovalOutcome {
  removed: { removal: PlannedRemoval; alreadyGone: boolean }[];
  failed: { removal: PlannedRemoval; error: string }[];
  containersRemoved: string[];
  containerFailures: { name: string; error: string }[];
  /** Image IDs the daemon said it deleted ("Deleted: sha256:..."), parents it pruned included. */
  deletedIds: Set<string>;
  saved: string[];
  /** Stopped early by Ctrl-C, SIGTERM or the docker CLI going away. */
  cancelled: boolean;
}

/** How many image removals to have in flight at once, and references of one image. */
const REMOVAL_CONCURRENCY = 4;
const REF_CONCURRENCY = 4;

/** Progress: references done, references in all, estimated bytes freed so far; `final` once at the end. */
export type ProgressListener = (done: number, total: number, bytes: number, final: boolean) => void;

/** Executes the plan; a failure on one image does not stop the others. */
export async function executeRemoval(
  client: EngineClient,
  plan: RemovalPlan,
  options: { saveDir?: string; onProgress?: ProgressListener } = {},
): Promise<RemovalOutcome> {
  const outcome: RemovalOutcome = {
    removed: [],
    failed: [],
    containersRemoved: [],
    containerFailures: [],
    deletedIds: new Set(),
    saved: [],
    cancelled: false,
  };
  const signal = client.target.signal;
  const failedSaves = new Set<PlannedRemoval>();

  const toSave = plan.removals.filter((r) => r.save);
  if (toSave.length && options.saveDir) {
    ensurePrivateDir(options.saveDir);
    for (const removal of toSave) {
      if (signal.aborted) break;
      const path = join(options.saveDir, tarName(removal));
      try {
        await saveOne(client, removal, path);
        outcome.saved.push(path);
      } catch (error) {
        if (error instanceof CancelledError) break;
        failedSaves.add(removal);
        outcome.failed.push({ removal, error: `not removed: docker save to ${path} failed: ${(error as Error).message}` });
      }
    }
  }

  const containers = await deleteEach(client, plan.containers, (c) => [`/containers/${encodeURIComponent(c.id)}`, `remove container ${c.name}`]);
  outcome.containersRemoved = containers.removed.map((c) => c.name);
  outcome.containerFailures = containers.failed.map(({ item, error }) => ({ name: item.name, error }));

  // Independent images are removed a few at a time (the daemon deletes in parallel); an image
  // waits for every planned removal of an image built on it (children before parents).
  const waitsFor = dependents(plan.removals);
  const finished = new Map<PlannedRemoval, Promise<void>>();
  let done = 0;
  let bytes = 0;
  let active = 0;
  const slots: (() => void)[] = [];
  const acquire = async (): Promise<void> => {
    if (active < REMOVAL_CONCURRENCY) {
      active += 1;
      return;
    }
    await new Promise<void>((resolve) => slots.push(resolve));
  };
  const release = (): void => {
    const next = slots.shift();
    if (next) next();
    else active -= 1;
  };
  client.setConnections(REMOVAL_CONCURRENCY);
  // Progress counts references (an image with 5,000 tags is 5,000 steps); bytes as images complete.
  const totalRefs = plan.removals.reduce((s, r) => s + r.refs.length, 0);
  let lastReport = 0;
  const report = (force = false): void => {
    const now = Date.now();
    if (!options.onProgress || (!force && now - lastReport < 100)) return;
    lastReport = now;
    options.onProgress(done, totalRefs, bytes, false);
  };
  const removeOne = async (removal: PlannedRemoval): Promise<void> => {
    await Promise.all((waitsFor.get(removal) ?? []).map((d) => finished.get(d)));
    await acquire();
    try {
      if (signal.aborted || failedSaves.has(removal)) return;
      try {
        const gone = await removeRefs(client, removal, outcome.deletedIds, () => {
          done += 1;
          report();
        });
        outcome.removed.push({ removal, alreadyGone: gone });
        bytes += removal.bytes;
      } catch (error) {
        if (error instanceof CancelledError) return;
        outcome.failed.push({ removal, error: errorText(error) });
      }
      report(true);
    } finally {
      release();
    }
  };
  // Children come first in the plan, so every dependency's promise exists before it is awaited.
  for (const removal of plan.removals) finished.set(removal, removeOne(removal));
  await Promise.all(finished.values());
  if (plan.removals.length) options.onProgress?.(done, totalRefs, bytes, true);
  outcome.cancelled = signal.aborted;
  return outcome;
}

/** What to report of a failed removal: the daemon's own words when it refused. */
export function errorText(error: unknown): string {
  return error instanceof EngineApiError ? error.daemonMessage : (error as Error).message;
}

/**
 * DELETEs each object in turn (never forced); one that is already gone (404) counts as neither
 * removed nor failed. Stops starting new ones once interrupted.
 */
export async function deleteEach<T>(
  client: EngineClient,
  items: readonly T[],
  request: (item: T) => [path: string, what: string],
): Promise<{ removed: T[]; gone: T[]; failed: { item: T; error: string }[] }> {
  const result = { removed: [] as T[], gone: [] as T[], failed: [] as { item: T; error: string }[] };
  for (const item of items) {
    if (client.target.signal.aborted) break;
    const [path, what] = request(item);
    try {
      await client.requestJson('DELETE', path, what, { finishOnAbort: true });
      result.removed.push(item);
    } catch (error) {
      if (error instanceof CancelledError) break;
      if (error instanceof EngineApiError && error.status === 404) result.gone.push(item);
      else result.failed.push({ item, error: errorText(error) });
    }
  }
  return result;
}

// For each removal, the planned removals of images built on its image (they hold its top layer).
function dependents(removals: readonly PlannedRemoval[]): Map<PlannedRemoval, PlannedRemoval[]> {
  const holders = new Map<string, PlannedRemoval[]>();
  for (const r of removals) {
    for (const layer of r.image.layers) {
      const list = holders.get(layer.chainId) ?? [];
      list.push(r);
      holders.set(layer.chainId, list);
    }
  }
  const position = new Map(removals.map((r, i) => [r, i]));
  const result = new Map<PlannedRemoval, PlannedRemoval[]>();
  for (const r of removals) {
    const top = r.image.layers[r.image.layers.length - 1];
    const below = top ? (holders.get(top.chainId) ?? []).filter((other) => other !== r && other.image.layers.length >= r.image.layers.length) : [];
    // Same layers, different image (a metadata-only child): the plan's order decides.
    result.set(r, below.filter((other) => other.image.layers.length > r.image.layers.length || position.get(other)! < position.get(r)!));
  }
  return result;
}

/** An image whose removal was interrupted between two of its references. */
class InterruptedRemoval extends Error {
  override name = 'InterruptedRemoval';
}

// Removes the references, never with force: all but the last a few at a time (each only untags),
// then the last, which deletes the image when the plan says so. True when the image was already gone.
async function removeRefs(client: EngineClient, removal: PlannedRemoval, deleted: Set<string>, onRef: () => void): Promise<boolean> {
  let missing = 0;
  let started = 0;
  const removeRef = async (ref: string): Promise<void> => {
    if (client.target.signal.aborted) {
      throw new InterruptedRemoval(`interrupted after removing ${started} of its ${removal.refs.length} references`);
    }
    started += 1;
    onRef();
    try {
      const answer = await client.requestJson('DELETE', `/images/${encodeURIComponent(ref)}`, `remove ${ref}`, { finishOnAbort: true });
      // The daemon answers [{"Untagged": ref}, ..., {"Deleted": id}, ...].
      for (const entry of Array.isArray(answer) ? answer : []) {
        const id = (entry as { Deleted?: unknown }).Deleted;
        if (typeof id === 'string') deleted.add(id);
      }
    } catch (error) {
      if (!(error instanceof EngineApiError) || error.status !== 404) throw error;
      missing += 1;
    }
  };
  // Each untag is independent: a refusal of one does not stop the others; the first is reported.
  let failure: unknown;
  await mapConcurrent(removal.refs.slice(0, -1), REF_CONCURRENCY, (ref) => removeRef(ref).catch((error: unknown) => void (failure ??= error)));
  if (failure !== undefined) throw failure;
  const last = removal.refs.at(-1);
  if (last !== undefined) await removeRef(last);
  return missing === removal.refs.length;
}

async function saveOne(client: EngineClient, removal: PlannedRemoval, path: string): Promise<void> {
  // O_EXCL: never overwrite, never follow a symlink someone put there; 0600 from the start.
  const fd = openSync(path, 'wx', 0o600);
  try {
    await saveImageTo(client.target, removal.image.tags.length ? removal.image.tags : [removal.image.id], fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw error;
  }
  closeSync(fd);
}

// The --save directory: created 0700 when missing; an existing one must be a real directory.
function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (!lstatSync(dir).isDirectory()) throw new Error(`--save: ${dir} exists and is not a directory`);
  }
}

/**
 * The file name for an image's tar: its first tag made safe for a file name, and its short ID,
 * so that two images never share a name ("a/b:1" and "a_b:1" both read "a_b_1").
 */
export function tarName(removal: PlannedRemoval): string {
  const id = removal.image.id.replace(/^sha256:/, '').slice(0, 12);
  const tag = removal.image.tags[0];
  return (tag ? `${tag.replace(/[^A-Za-z0-9._-]+/g, '_')}-${id}` : id) + '.tar';
}

/**
 * Checks, before the plan is shown, that `docker save` can write each planned tar into DIR: DIR
 * is a real, writable directory, or can be created (its parent exists and is writable), and no
 * file of those names is there yet. Throws a UsageError naming the problem.
 */
export function checkSaveDir(dir: string, removals: readonly PlannedRemoval[], helpCommand: string): void {
  const where = (text: string): UsageError => new UsageError(`--save ${JSON.stringify(dir)}: ${text}`, helpCommand);
  let stat;
  try {
    stat = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw where((error as Error).message);
  }
  if (stat) {
    if (!stat.isDirectory()) throw where('exists and is not a directory (a symlink is not followed)');
    if (!writable(dir)) throw where('is not writable');
    for (const removal of removals) {
      if (existsSync(join(dir, tarName(removal)))) throw where(`${tarName(removal)} is already there; docker tidy never overwrites a file`);
    }
    return;
  }
  const parent = dirname(resolve(dir));
  let parentStat;
  try {
    parentStat = statSync(parent);
  } catch {
    throw where(`cannot be created: ${parent} does not exist`);
  }
  if (!parentStat.isDirectory()) throw where(`cannot be created: ${parent} is not a directory`);
  if (!writable(parent)) throw where(`cannot be created: ${parent} is not writable`);
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
