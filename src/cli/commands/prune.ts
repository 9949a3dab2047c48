// `docker tidy prune`: one safe sweep of stopped containers, unused images, networks, volumes and
// build cache, with a preview, exact bytes, and a keep-under-a-size-limit mode for servers and CI.
import { bytesMovedToBuildCache, sharesWithImages } from '../../core/build-cache.js';
import { outcomeOf, pruneOutcome, type PruneOutcome } from '../../core/outcome.js';
import { planPrune, pruneNeeds, pruneSteps, type PrunePlan, type PruneRequest } from '../../core/plan-prune.js';
import type { EngineClient } from '../../docker/engine.js';
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
import type { CommandContext, Handler } from '../command.js';
import { hostsOf, saveDirOn, wantsHosts } from '../hosts.js';
import { removeOnHosts, type OneHostRemoval } from '../removal-hosts.js';
import { confirmRemoval } from '../confirm.js';
import type { pruneOptions } from '../options.js';
import { pruneRequest } from '../requests.js';
import { printLogsUnknown, printWarnings } from '../warnings.js';

const WHERE = 'docker tidy prune';

type Flags = Parameters<Handler<typeof pruneOptions>>[1]['flags'];

/** One host's prune up to its plan. */
interface Planned {
  engine: EngineClient;
  snapshot: Snapshot;
  plan: PrunePlan;
}

/** What became of one host's plan. */
interface Done {
  outcome: PruneOutcome;
  freed: Freed;
}

export const run: Handler<typeof pruneOptions> = async (ctx, { flags }) => {
  // parse -> request
  const request = pruneRequest(flags, WHERE);
  const finish = ['docker tidy rm -f', ...(request.includeLocal || request.save ? ['--include-local'] : [])].join(' ');
  if (wantsHosts(ctx, flags, WHERE)) return removeOnHosts(ctx, await hostsOf(ctx, flags), oneHost(request, flags, finish, true), flags);
  const one = oneHost(request, flags, finish, false);
  // -> snapshot -> plan
  const planned = await one.plan(ctx);
  const { plan } = planned;
  const show = (text: string): void => void ctx.stdout.write(text);
  const nothing = one.nothing(planned);
  if (nothing || flags.dryRun) {
    if (flags.json) show(JSON.stringify(one.document(planned)) + '\n');
    else if (flags.quiet) show((nothing ? 'Nothing to remove.' : planSummary(plan, true)) + '\n');
    else show(one.showPlan(planned, true));
    return 'ok';
  }
  // The question is only ever asked about a plan the person at the terminal has seen: shown on
  // stdout unless quiet or JSON, and on stderr too when stdout goes elsewhere.
  if (!flags.json && !flags.quiet) show(renderPrunePlan(plan));
  if (!flags.force && ctx.stdinIsTTY && (flags.json || flags.quiet || !ctx.stdout.isTTY)) ctx.stderr.write(renderPrunePlan(plan));
  const answer = await confirmRemoval(flags.force, ctx.stdinIsTTY, 'anything', ctx.target.signal, ctx.stderr);
  if (answer !== 'yes') return answer === 'no' ? 'ok' : 'refused';
  // -> execute -> outcome
  const done = await one.carryOut(ctx, planned);
  const { outcome, freed } = done;
  // -> render
  if (flags.json) show(JSON.stringify(one.document(planned, done)) + '\n');
  else if (flags.quiet) show(removedSummary(outcome, freed.reclaimedBytes, plan.estimatedBytes) + '\n');
  else show('\n' + one.showOutcome(planned, done));
  // Quiet runs (cron) still say what failed, on stderr.
  if (flags.quiet) for (const line of failureLines(outcome)) ctx.stderr.write(sanitize(line) + '\n');
  return one.outcome(done);
};

/** prune's one-host pipeline, in the steps the many-host runner needs too (`many`: --save writes into DIR/CONTEXT). */
function oneHost(request: PruneRequest, flags: Flags, finish: string, many: boolean): OneHostRemoval<Planned, Done> {
  const saveDir = (ctx: CommandContext): string | undefined => saveDirOn(ctx, flags.save, many);
  return {
    what: 'anything',
    verb: 'remove',
    plan: async (ctx) => {
      const engine = await ctx.engine();
      const snapshot = await readSnapshot(engine, pruneNeeds(request), { helperImage: flags.helper });
      printWarnings(ctx.stderr, snapshot);
      // ... and, for the images it would delete for good, whether their registries have a copy.
      if (!request.includeLocal) {
        const deleted = (s: Snapshot): string[] => imagesDeleted(planPrune(s, request).removal);
        await askBeforeDeleting(engine, snapshot, deleted, flags.quiet ? undefined : registryProgressOn(ctx.stderr));
      }
      const plan = planPrune(snapshot, request);
      if (plan.removal.containers.length) printLogsUnknown(ctx.stderr, snapshot);
      const dir = saveDir(ctx);
      if (dir !== undefined) checkSaveDir(dir, plan.removal.removals.filter((r) => r.save).map((r) => r.image), WHERE);
      return { engine, snapshot, plan };
    },
    nothing: ({ plan }) => isEmpty(plan),
    showPlan: ({ plan }, dryRun) => (isEmpty(plan) ? (plan.removal.kept.length ? renderPrunePlan(plan) + '\n' : '') + 'Nothing to remove.\n' : renderPrunePlan(plan, dryRun)),
    carryOut: async (ctx, { engine, snapshot, plan }) => {
      // Which records the removed images leave as the build cache's own is read once they are
      // gone, on the classic store (there the records' sizes are the layers').
      const measure = snapshot.imageStore !== 'containerd' && sharesWithImages(snapshot.buildCache);
      const steps = pruneSteps(plan, measure);
      const progress = flags.quiet ? undefined : progressOn(ctx.stderr);
      const dir = saveDir(ctx);
      const results = await execute(engine, steps, {
        ...(dir !== undefined ? { saveDir: dir } : {}),
        ...(progress ? { onProgress: progress } : {}),
        readBuildCache: () => readBuildCache(engine),
      });
      const outcome = pruneOutcome(plan, steps, results, ctx.target.signal.aborted);
      return { outcome, freed: freedBy(snapshot, plan, outcome, finish) };
    },
    showOutcome: ({ plan }, { outcome, freed }) => renderPruneOutcome(plan, outcome, freed.reclaimedBytes, finish),
    document: ({ plan, snapshot }, done) => pruneDocument(plan, done?.outcome, done?.freed ?? { reclaimedBytes: 0, cachedBytes: 0, finish }, snapshot.node),
    outcome: ({ outcome }) => outcomeOf(outcome, failureLines(outcome).length),
    failures: ({ outcome }) => failureLines(outcome),
  };
}

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
