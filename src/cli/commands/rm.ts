// `docker tidy rm`: regex, age, size and unused removal with a preview, a confirmation, exact
// reclaim, and nothing lost that was not asked for.
import { bytesMovedToBuildCache, sharesWithImages } from '../../core/build-cache.js';
import { removalSteps } from '../../core/operations.js';
import { outcomeOf, removalOutcome, type RemovalOutcome } from '../../core/outcome.js';
import { ImageArgumentError, imagesDeleted, planRemoval, removalNeeds, type RemovalPlan, type RemovalRequest } from '../../core/plan-removal.js';
import type { Snapshot } from '../../core/snapshot.js';
import { reclaimedBytes } from '../../core/usage.js';
import type { EngineClient } from '../../docker/engine.js';
import { checkSaveDir, execute } from '../../docker/execute.js';
import { readBuildCache, readSnapshot } from '../../docker/read-snapshot.js';
import { askBeforeDeleting } from '../../docker/registry.js';
import { TidyError, UsageError } from '../../errors.js';
import { rmDocument, type Freed } from '../../render/documents.js';
import { progressOn, registryProgressOn } from '../../render/progress.js';
import { goneLines, renderOutcome, renderPlan } from '../../render/removal.js';
import type { Handler } from '../command.js';
import { confirmRemoval } from '../confirm.js';
import type { rmOptions } from '../options.js';
import { removalRequest } from '../requests.js';
import { printLogsUnknown, printWarnings } from '../warnings.js';

const WHERE = 'docker tidy rm';

export const run: Handler<typeof rmOptions> = async (ctx, { flags, args, given }) => {
  // parse -> request
  const request = removalRequest(flags, args, WHERE, given);
  // -> snapshot
  const engine = await ctx.engine();
  const snapshot = await readSnapshot(engine, removalNeeds(request), { helperImage: flags.helper });
  printWarnings(ctx.stderr, snapshot);
  // ... and, for what would be deleted for good, whether its registry has a copy (--include-local: whatever it says).
  if (!request.includeLocal) await askBeforeDeleting(engine, snapshot, (s) => imagesDeleted(planOrExplain(s, request)), registryProgressOn(ctx.stderr));
  // -> plan
  const plan = planOrExplain(snapshot, request);
  if (plan.containers.length) printLogsUnknown(ctx.stderr, snapshot);
  if (flags.save !== undefined) checkSaveDir(flags.save, plan.removals.filter((r) => r.save).map((r) => r.image), WHERE);
  const finish = ['docker tidy rm -f', ...(request.includeLocal || request.save ? ['--include-local'] : []), ...(request.withContainers ? ['--with-containers'] : [])].join(' ');
  const show = (text: string): void => void ctx.stdout.write(text);
  if (plan.removals.length === 0 && plan.containers.length === 0) {
    show(flags.json ? JSON.stringify(rmDocument(plan, undefined, { reclaimedBytes: 0, cachedBytes: 0, finish }, snapshot.node)) + '\n' : (plan.kept.length ? renderPlan(plan) + '\n' : goneLines(plan.gone)) + 'Nothing to remove.\n');
    return 'ok';
  }
  if (flags.dryRun) {
    show(flags.json ? JSON.stringify(rmDocument(plan, undefined, { reclaimedBytes: 0, cachedBytes: 0, finish }, snapshot.node)) + '\n' : renderPlan(plan, true));
    return 'ok';
  }
  // The question is only ever asked about a plan the person at the terminal has seen: when the
  // plan goes to a file or a pipe (or is JSON), it is shown on stderr too, beside the question.
  if (!flags.json) show(renderPlan(plan));
  if (!flags.force && ctx.stdinIsTTY && (flags.json || !ctx.stdout.isTTY)) ctx.stderr.write(renderPlan(plan));
  const answer = await confirmRemoval(flags.force, ctx.stdinIsTTY, 'images', ctx.target.signal, ctx.stderr);
  if (answer !== 'yes') return answer === 'no' ? 'ok' : 'refused';
  // -> execute
  const steps = removalSteps(plan);
  const progress = progressOn(ctx.stderr);
  const results = await execute(engine, steps, { ...(flags.save !== undefined ? { saveDir: flags.save } : {}), ...(progress ? { onProgress: progress } : {}) });
  // -> outcome
  const outcome = removalOutcome(plan, steps, results, ctx.target.signal.aborted);
  const freed = await measureFreed(engine, snapshot, plan, outcome, finish);
  // -> render
  show(flags.json ? JSON.stringify(rmDocument(plan, outcome, freed, snapshot.node)) + '\n' : '\n' + renderOutcome(plan, outcome, freed.reclaimedBytes, freed.cachedBytes, finish));
  return outcomeOf(outcome, outcome.failed.length + outcome.containerFailures.length);
};

// IMAGE arguments that name nothing end the run as docker's rmi does (exit 1); malformed or
// ambiguous ones are usage errors.
function planOrExplain(snapshot: Snapshot, request: RemovalRequest): RemovalPlan {
  try {
    return planRemoval(snapshot, request);
  } catch (error) {
    if (!(error instanceof ImageArgumentError)) throw error;
    if (error.kind === 'missing') throw new TidyError(error.message);
    throw new UsageError(error.message, WHERE);
  }
}

/**
 * What the run freed, by what the daemon says it deleted, less what the removed images left in
 * the build cache (BuildKit layers): on the classic store measured by reading the cache again (its
 * records then say so to the byte), else as the plan counted it. An interrupted run asks nothing more.
 */
async function measureFreed(engine: EngineClient, snapshot: Snapshot, plan: RemovalPlan, outcome: RemovalOutcome, finish: string): Promise<Freed> {
  const done = new Set(outcome.removed.map((r) => r.removal));
  const asPlanned = plan.removals.filter((r) => done.has(r)).reduce((s, r) => s + r.cachedBytes, 0);
  const measurable = snapshot.imageStore !== 'containerd' && snapshot.buildCacheKnown !== false && !outcome.cancelled;
  const cachedBytes = !measurable
    ? asPlanned
    : sharesWithImages(snapshot.buildCache) && outcome.deletedIds.size > 0
      ? await readBuildCache(engine).then(
          (after) => bytesMovedToBuildCache(snapshot.buildCache, after),
          () => asPlanned,
        )
      : 0;
  const layers = reclaimedBytes(snapshot.images, outcome.deletedIds, plan.containers, outcome.containersRemoved);
  return { reclaimedBytes: Math.max(0, layers - cachedBytes), cachedBytes, finish };
}
