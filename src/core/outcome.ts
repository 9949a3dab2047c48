// What a run did: the result of each step as the executor reports it, and the outcomes rm and
// prune report, derived from them here. Only src/cli/run.ts turns an outcome into an exit code.
import type { Step } from './operations.js';
import type { PlannedRemoval, RemovalPlan } from './plan-removal.js';
import type { Reference } from './reference.js';
import type { BuildCacheRecord, Network, Volume } from './snapshot.js';

/** How a command ended: everything done; some of it failed; interrupted; refused to start. */
export type Outcome = 'ok' | 'partial' | 'interrupted' | 'refused';

/** What became of one step. */
export type StepResult =
  /** Done. `deleted`: the image IDs the daemon said it deleted; `records`: a read of the build cache. */
  | { status: 'done'; deleted?: string[]; records?: BuildCacheRecord[]; path?: string }
  /** Already gone (the daemon answered 404, or did not prune a build-cache record). */
  | { status: 'gone' }
  | { status: 'failed'; error: string }
  /** Not tried: something it waits for failed (a save, say). */
  | { status: 'skipped'; because: string }
  /** Not started: the run was interrupted first. */
  | { status: 'not-started' };

/** What happened to each planned removal of rm (and of prune's containers and images). */
export interface RemovalOutcome {
  removed: { removal: PlannedRemoval; alreadyGone: boolean }[];
  /** `left`: its references still there (those removed before the failure are not). */
  failed: { removal: PlannedRemoval; error: string; left: Reference[] }[];
  containersRemoved: string[];
  containerFailures: { name: string; error: string }[];
  /** Image IDs the daemon said it deleted ("Deleted: sha256:..."), parents it pruned included. */
  deletedIds: Set<string>;
  saved: string[];
  /** Stopped early by Ctrl-C, SIGTERM or the docker CLI going away. */
  cancelled: boolean;
}

/** What happened to the objects of one prune category beyond images and containers. */
export interface CategoryOutcome<T> {
  removed: T[];
  gone: T[];
  failed: { item: T; error: string }[];
}

/** What happened to each planned object of prune. */
export interface PruneOutcome {
  removal: RemovalOutcome;
  networks: CategoryOutcome<Network>;
  volumes: CategoryOutcome<Volume>;
  buildCache: CategoryOutcome<BuildCacheRecord> & { reclaimedBytes: number };
  /** The build cache read again once the images were gone (when it was planned). */
  buildCacheAfterImages?: BuildCacheRecord[];
  cancelled: boolean;
}

/** The removal outcome from the results of the steps of `plan` (the first steps of `steps`). */
export function removalOutcome(plan: RemovalPlan, steps: readonly Step[], results: readonly StepResult[], cancelled: boolean): RemovalOutcome {
  const outcome: RemovalOutcome = { removed: [], failed: [], containersRemoved: [], containerFailures: [], deletedIds: new Set(), saved: [], cancelled };
  const byRemoval = new Map<PlannedRemoval, StepResult[]>();
  steps.forEach((step, i) => {
    const result = results[i]!;
    const { op } = step;
    if (op.kind === 'remove-container') {
      if (result.status === 'done') outcome.containersRemoved.push(op.container.name);
      if (result.status === 'failed') outcome.containerFailures.push({ name: op.container.name, error: result.error });
      return;
    }
    if (result.status === 'done') for (const id of result.deleted ?? []) outcome.deletedIds.add(id);
    if (op.kind === 'save-image' && result.status === 'done' && result.path) outcome.saved.push(result.path);
    if (step.removal) {
      const list = byRemoval.get(step.removal) ?? [];
      list.push(result);
      byRemoval.set(step.removal, list);
    }
  });
  for (const removal of plan.removals) {
    const results = byRemoval.get(removal) ?? [];
    const names = results.filter((_, i) => i > 0 || !removal.save);
    const left = removal.refs.filter((_, i) => names[i]?.status !== 'done' && names[i]?.status !== 'gone');
    const failed = results.find((r) => r.status === 'failed' || r.status === 'skipped');
    if (failed) {
      outcome.failed.push({ removal, error: failed.status === 'failed' ? failed.error : (failed as { because: string }).because, left });
      continue;
    }
    // Interrupted between its names: neither removed nor failed; it is left (see the report).
    if (results.some((r) => r.status === 'not-started')) {
      if (names.some((r) => r.status === 'done' || r.status === 'gone')) {
        outcome.failed.push({ removal, left, error: `interrupted after removing ${names.filter((r) => r.status !== 'not-started').length} of its ${removal.refs.length} references` });
      }
      continue;
    }
    outcome.removed.push({ removal, alreadyGone: names.every((r) => r.status === 'gone') });
  }
  return outcome;
}

/** The prune outcome: containers and images as rm's, then the other categories. */
export function pruneOutcome(
  plan: { removal: RemovalPlan },
  steps: readonly Step[],
  results: readonly StepResult[],
  cancelled: boolean,
): PruneOutcome {
  const category = <T>(): CategoryOutcome<T> => ({ removed: [], gone: [], failed: [] });
  const outcome: PruneOutcome = {
    removal: removalOutcome(plan.removal, steps, results, cancelled),
    networks: category(),
    volumes: category(),
    buildCache: { ...category<BuildCacheRecord>(), reclaimedBytes: 0 },
    cancelled,
  };
  steps.forEach((step, i) => {
    const result = results[i]!;
    const { op } = step;
    const record = <T>(into: CategoryOutcome<T>, item: T): void => {
      if (result.status === 'done') into.removed.push(item);
      else if (result.status === 'gone') into.gone.push(item);
      else if (result.status === 'failed') into.failed.push({ item, error: result.error });
      else if (result.status === 'skipped') into.failed.push({ item, error: result.because });
    };
    if (op.kind === 'remove-network') record(outcome.networks, op.network);
    if (op.kind === 'remove-volume') record(outcome.volumes, op.volume);
    if (op.kind === 'prune-build-cache') {
      record(outcome.buildCache, op.record);
      // What the plan says the record frees, not the daemon's SpaceReclaimed: engine 20.10 counts
      // a shared record's whole size although an image still holds its layers (measured: "500kB"
      // reclaimed by three shared records, 0 bytes lost on disk).
      if (result.status === 'done') outcome.buildCache.reclaimedBytes += op.bytes;
    }
    if (op.kind === 'read-build-cache' && result.status === 'done' && result.records) outcome.buildCacheAfterImages = result.records;
  });
  return outcome;
}

/** How a removal ended: interrupted, something failed, or all done. */
export function outcomeOf(outcome: { cancelled: boolean }, failures: number): Outcome {
  if (outcome.cancelled) return 'interrupted';
  return failures > 0 ? 'partial' : 'ok';
}

/**
 * The planned deletions that did not happen: failed, or never started because the run was
 * interrupted. An image can be left untagged by a removal cut short (the daemon died), so a name
 * or pattern may no longer find it: they are named by ID.
 */
export function leftToDelete(removals: readonly PlannedRemoval[], outcome: RemovalOutcome): PlannedRemoval[] {
  const done = new Set(outcome.removed.map((r) => r.removal));
  return removals.filter((r) => r.action === 'delete' && !done.has(r));
}
