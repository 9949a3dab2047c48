// `docker tidy prune`: one safe sweep of stopped containers, unused images, networks, volumes and
// build cache, with a preview, exact bytes, and a keep-under-a-size-limit mode for servers and CI.
import { bytesMovedToBuildCache, sharesWithImages } from '../../core/build-cache.js';
import { outcomeOf, pruneOutcome, type PruneOutcome } from '../../core/outcome.js';
import { planPrune, pruneNeeds, pruneSteps, type PrunePlan } from '../../core/plan-prune.js';
import { imagesDeleted } from '../../core/plan-removal.js';
import type { Snapshot } from '../../core/snapshot.js';
import { reclaimedBytes } from '../../core/usage.js';
import { checkSaveDir, execute } from '../../docker/execute.js';
import { readBuildCache, readSnapshot } from '../../docker/read-snapshot.js';
import { askBeforeDeleting } from '../../docker/registry.js';
import { pruneDocument, type Freed } from '../../render/documents.js';
import { progressOn, registryProgressOn } from '../../render/progress.js';
import { failureLines, isEmpty, planSummary, removedSummary, renderPruneOutcome, renderPrunePlan } from '../../render/prune.js';
import { sanitize } from '../../render/text.js';
import type { Handler } from '../command.js';
import { confirmRemoval } from '../confirm.js';
import type { pruneOptions } from '../options.js';
import { pruneRequest } from '../requests.js';
import { printLogsUnknown, printWarnings } from '../warnings.js';

const WHERE = 'docker tidy prune';

export const run: Handler<typeof pruneOptions> = async (ctx, { flags }) => {
  // parse -> request
  const request = pruneRequest(flags, WHERE);
  // -> snapshot
  const engine = await ctx.engine();
  const snapshot = await readSnapshot(engine, pruneNeeds(request), { helperImage: flags.helper });
  printWarnings(ctx.stderr, snapshot);
  // ... and, for the images it would delete for good, whether their registries have a copy.
  if (!request.includeLocal) {
    const deleted = (s: Snapshot): string[] => imagesDeleted(planPrune(s, request).removal);
    await askBeforeDeleting(engine, snapshot, deleted, flags.quiet ? undefined : registryProgressOn(ctx.stderr));
  }
  // -> plan
  const plan = planPrune(snapshot, request);
  if (plan.removal.containers.length) printLogsUnknown(ctx.stderr, snapshot);
  if (flags.save !== undefined) checkSaveDir(flags.save, plan.removal.removals.filter((r) => r.save).map((r) => r.image), WHERE);
  const finish = ['docker tidy rm -f', ...(request.includeLocal || request.save ? ['--include-local'] : [])].join(' ');
  const show = (text: string): void => void ctx.stdout.write(text);
  const nothing = isEmpty(plan);
  if (nothing || flags.dryRun) {
    if (flags.json) show(JSON.stringify(pruneDocument(plan, undefined, { reclaimedBytes: 0, cachedBytes: 0, finish }, snapshot.node)) + '\n');
    else if (flags.quiet) show((nothing ? 'Nothing to remove.' : planSummary(plan, true)) + '\n');
    else show(nothing ? (plan.removal.kept.length ? renderPrunePlan(plan) + '\n' : '') + 'Nothing to remove.\n' : renderPrunePlan(plan, true));
    return 'ok';
  }
  // The question is only ever asked about a plan the person at the terminal has seen: shown on
  // stdout unless quiet or JSON, and on stderr too when stdout goes elsewhere.
  if (!flags.json && !flags.quiet) show(renderPrunePlan(plan));
  if (!flags.force && ctx.stdinIsTTY && (flags.json || flags.quiet || !ctx.stdout.isTTY)) ctx.stderr.write(renderPrunePlan(plan));
  const answer = await confirmRemoval(flags.force, ctx.stdinIsTTY, 'anything', ctx.target.signal, ctx.stderr);
  if (answer !== 'yes') return answer === 'no' ? 'ok' : 'refused';
  // -> execute: which records the removed images leave as the build cache's own is read once they
  // are gone, on the classic store (there the records' sizes are the layers').
  const measure = snapshot.imageStore !== 'containerd' && sharesWithImages(snapshot.buildCache);
  const steps = pruneSteps(plan, measure);
  const progress = flags.quiet ? undefined : progressOn(ctx.stderr);
  const results = await execute(engine, steps, {
    ...(flags.save !== undefined ? { saveDir: flags.save } : {}),
    ...(progress ? { onProgress: progress } : {}),
    readBuildCache: () => readBuildCache(engine),
  });
  // -> outcome
  const outcome = pruneOutcome(plan, steps, results, ctx.target.signal.aborted);
  const freed = freedBy(snapshot, plan, outcome, finish);
  // -> render
  if (flags.json) show(JSON.stringify(pruneDocument(plan, outcome, freed, snapshot.node)) + '\n');
  else if (flags.quiet) show(removedSummary(outcome, freed.reclaimedBytes, plan.estimatedBytes) + '\n');
  else show('\n' + renderPruneOutcome(plan, outcome, freed.reclaimedBytes, finish));
  const failures = failureLines(outcome);
  // Quiet runs (cron) still say what failed, on stderr.
  if (flags.quiet) for (const line of failures) ctx.stderr.write(sanitize(line) + '\n');
  return outcomeOf(outcome, failures.length);
};

/**
 * Freed, by what the daemon says it removed: images and containers as rm counts them, less what
 * the images left in the build cache (measured, or as planned); the sizes read before of the
 * volumes it removed; and the daemon's own count for the build-cache records it pruned.
 */
function freedBy(snapshot: Snapshot, plan: PrunePlan, outcome: PruneOutcome, finish: string): Freed {
  const deleted = new Set(outcome.removal.removed.map((r) => r.removal));
  const moved = outcome.buildCacheAfterImages
    ? bytesMovedToBuildCache(snapshot.buildCache, outcome.buildCacheAfterImages)
    : plan.removal.removals.filter((r) => deleted.has(r)).reduce((s, r) => s + r.cachedBytes, 0);
  const layers = reclaimedBytes(snapshot.images, outcome.removal.deletedIds, plan.removal.containers, outcome.removal.containersRemoved);
  const volumes = outcome.volumes.removed.reduce((s, v) => s + Math.max(0, v.size), 0);
  return { reclaimedBytes: Math.max(0, layers - moved) + volumes + outcome.buildCache.reclaimedBytes, cachedBytes: plan.cachedBytes, finish };
}
