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
import { emptyPlan, requestOnHost } from '../../core/hosts.js';
import { rmDocument, type Freed } from '../../render/documents.js';
import { progressOn, registryProgressOn } from '../../render/progress.js';
import { goneLines, renderOutcome, renderPlan } from '../../render/removal.js';
import type { CommandContext, Handler } from '../command.js';
import { hostsOf, readHosts, saveDirOn, wantsHosts } from '../hosts.js';
import { removeOnHosts, type OneHostRemoval } from '../removal-hosts.js';
import { confirmRemoval } from '../confirm.js';
import type { rmOptions } from '../options.js';
import { removalRequest } from '../requests.js';
import { printLogsUnknown, printWarnings } from '../warnings.js';

const WHERE = 'docker tidy rm';

type Flags = Parameters<Handler<typeof rmOptions>>[1]['flags'];

/** One host's rm up to its plan. */
interface Planned {
  engine: EngineClient;
  snapshot: Snapshot;
  plan: RemovalPlan;
  /** IMAGE arguments this host has none of (many hosts only). */
  missing: string[];
}

/** What became of one host's plan. */
interface Done {
  outcome: RemovalOutcome;
  freed: Freed;
}

export const run: Handler<typeof rmOptions> = async (ctx, { flags, args, given }) => {
  // parse -> request
  const request = removalRequest(flags, args, WHERE, given);
  const finish = ['docker tidy rm -f', ...(request.includeLocal || request.save ? ['--include-local'] : []), ...(request.withContainers ? ['--with-containers'] : [])].join(' ');
  if (wantsHosts(ctx, flags, WHERE)) {
    const hosts = await hostsOf(ctx, flags);
    return removeOnHosts(ctx, hosts, oneHost(request, flags, finish, true), flags, (planned) => {
      // An IMAGE that no host that answered has ends the run, as on one host (docker rmi: exit 1).
      const read = readHosts(planned);
      const nowhere = request.images.filter((name) => read.length > 0 && read.every((r) => r.value.missing.includes(name)));
      if (nowhere.length) throw new TidyError(nowhere.map((name) => `No such image: ${name}`).join('\n'));
    });
  }
  const one = oneHost(request, flags, finish, false);
  // -> snapshot -> plan
  const planned = await one.plan(ctx);
  const { plan } = planned;
  const show = (text: string): void => void ctx.stdout.write(text);
  if (one.nothing(planned) || flags.dryRun) {
    show(flags.json ? JSON.stringify(one.document(planned)) + '\n' : one.showPlan(planned, true));
    return 'ok';
  }
  // The question is only ever asked about a plan the person at the terminal has seen: when the
  // plan goes to a file or a pipe (or is JSON), it is shown on stderr too, beside the question.
  if (!flags.json) show(renderPlan(plan));
  if (!flags.force && ctx.stdinIsTTY && (flags.json || !ctx.stdout.isTTY)) ctx.stderr.write(renderPlan(plan));
  const answer = await confirmRemoval(flags.force, ctx.stdinIsTTY, 'images', ctx.target.signal, ctx.stderr);
  if (answer !== 'yes') return answer === 'no' ? 'ok' : 'refused';
  // -> execute -> outcome
  const done = await one.carryOut(ctx, planned);
  // -> render
  show(flags.json ? JSON.stringify(one.document(planned, done)) + '\n' : '\n' + one.showOutcome(planned, done));
  return one.outcome(done);
};

/**
 * rm's one-host pipeline, in the steps the many-host runner needs too. `many`: one host of
 * several, where an IMAGE argument it does not have is left out of its request (another host may
 * have it) and --save writes into DIR/CONTEXT.
 */
function oneHost(request: RemovalRequest, flags: Flags, finish: string, many: boolean): OneHostRemoval<Planned, Done> {
  const saveDir = (ctx: CommandContext): string | undefined => saveDirOn(ctx, flags.save, many);
  return {
    what: 'images',
    verb: 'delete',
    plan: async (ctx) => {
      const engine = await ctx.engine();
      const snapshot = await readSnapshot(engine, removalNeeds(request), { helperImage: flags.helper });
      printWarnings(ctx.stderr, snapshot);
      const { request: here, missing } = many ? requestOnHost(request, snapshot.images) : { request, missing: [] };
      const planFor = (s: Snapshot): RemovalPlan => (here ? planOrExplain(s, here) : emptyPlan());
      // ... and, for what would be deleted for good, whether its registry has a copy (--include-local: whatever it says).
      if (here && !here.includeLocal) await askBeforeDeleting(engine, snapshot, (s) => imagesDeleted(planFor(s)), registryProgressOn(ctx.stderr));
      const plan = planFor(snapshot);
      if (plan.containers.length) printLogsUnknown(ctx.stderr, snapshot);
      const dir = saveDir(ctx);
      if (dir !== undefined) checkSaveDir(dir, plan.removals.filter((r) => r.save).map((r) => r.image), WHERE);
      return { engine, snapshot, plan, missing };
    },
    nothing: ({ plan }) => plan.removals.length === 0 && plan.containers.length === 0,
    showPlan: ({ plan }, dryRun) => (plan.removals.length === 0 && plan.containers.length === 0 ? (plan.kept.length ? renderPlan(plan) + '\n' : goneLines(plan.gone)) + 'Nothing to remove.\n' : renderPlan(plan, dryRun)),
    carryOut: async (ctx, { engine, snapshot, plan }) => {
      const steps = removalSteps(plan);
      const progress = progressOn(ctx.stderr);
      const dir = saveDir(ctx);
      const results = await execute(engine, steps, { ...(dir !== undefined ? { saveDir: dir } : {}), ...(progress ? { onProgress: progress } : {}) });
      const outcome = removalOutcome(plan, steps, results, ctx.target.signal.aborted);
      return { outcome, freed: await measureFreed(engine, snapshot, plan, outcome, finish) };
    },
    showOutcome: ({ plan }, { outcome, freed }) => renderOutcome(plan, outcome, freed.reclaimedBytes, freed.cachedBytes, finish),
    document: ({ plan, snapshot }, done) => rmDocument(plan, done?.outcome, done?.freed ?? { reclaimedBytes: 0, cachedBytes: 0, finish }, snapshot.node),
    outcome: ({ outcome }) => outcomeOf(outcome, outcome.failed.length + outcome.containerFailures.length),
  };
}

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
