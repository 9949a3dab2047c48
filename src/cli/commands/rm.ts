// `docker tidy rm`: regex, age, size and unused removal with a preview, a confirmation, exact
// reclaim, and nothing lost that was not asked for.
import { TidyError, UsageError } from '../../errors.js';
import type { CommandSpec } from '../command.js';
import { destructiveOptions, imageFilterOptions, jsonOption, protectionOptions } from '../options.js';

const WHERE = 'docker tidy rm';

export const rmCommand: CommandSpec = {
  name: 'rm',
  aliases: ['rmi'],
  summary: 'Remove images by name, regex, age or size, safely, with a preview',
  usage: '[OPTIONS] [IMAGE...]',
  positional: true,
  description:
    'Remove images selected by name (IMAGE: name, name:tag, full or short ID, name@digest) and/or\n' +
    '--match. --unused, --dangling, --older-than, --newer-than and --larger-than narrow that\n' +
    'selection, or select from all images when used alone. A selected tag is untagged; an image is\n' +
    'deleted when none of its tags remains; an image ID or digest selects the image with all its tags.\n\n' +
    'Never removed: images a running container uses. Kept unless asked: images used by stopped\n' +
    'containers (--with-containers), images that exist only on this host (--include-local, --save).\n' +
    'Shows the plan and asks first; -f skips the question; --dry-run only shows the plan.\n' +
    '--save and --include-local cannot be combined (one keeps a copy, the other does not).\n\n' +
    '--match and --exclude patterns are RE2 syntax, as in Go\'s regexp (no backreferences or\n' +
    'lookaround, matched in linear time), tested against "repository:tag"; an empty one is refused.',
  options: {
    ...imageFilterOptions,
    unused: { type: 'boolean', describe: 'Only images that no container (running or stopped) uses' },
    ...protectionOptions,
    'with-containers': { type: 'boolean', describe: 'Remove stopped containers that use a selected image first (never running ones)' },
    ...destructiveOptions,
    ...jsonOption,
  },
  async run(ctx, flags, args) {
    const [{ imageFilterFromFlags, protectionsFromFlags, progressOn }, plan, { formatBytes }] = await Promise.all([
      import('../flag-values.js'),
      import('../../core/plan-removal.js'),
      import('../../core/units.js'),
    ]);
    // --exclude is a protection (kept, with the reason), not a filter: protections carry it.
    const { match = [], exclude: _exclude, ...filter } = imageFilterFromFlags(flags, WHERE, ctx.now);
    const { saveDir, ...protections } = protectionsFromFlags(flags, WHERE);
    const request = { images: args, match, filter, ...protections, withContainers: flags['with-containers'] === true };
    if (!plan.requestSelects(request)) {
      throw new UsageError(`"${WHERE}" requires at least 1 IMAGE, --match, or a selection flag (--unused, --dangling, --older-than, --newer-than, --larger-than)`, WHERE);
    }

    const [{ readSnapshot }, render] = await Promise.all([import('../../docker/read-snapshot.js'), import('../../render/removal.js')]);
    const engine = await ctx.engine();
    // Container sizes (GET /system/df, slow on big hosts) only matter when containers go too.
    // The build cache too: layers a BuildKit build shares with it stay on disk when their image goes.
    const snapshot = await readSnapshot(engine, { usage: request.withContainers, buildCache: true });
    const { printWarnings } = await import('../warnings.js');
    printWarnings(ctx.stderr, snapshot);
    let planned;
    try {
      planned = plan.planRemoval(snapshot, request);
    } catch (error) {
      if (!(error instanceof plan.ImageArgumentError)) throw error;
      if (error.kind === 'missing') throw new TidyError(error.message);
      throw new UsageError(error.message, WHERE);
    }
    if (saveDir !== undefined) {
      const { checkSaveDir } = await import('../../docker/execute-removal.js');
      checkSaveDir(saveDir, planned.removals.filter((r) => r.save), WHERE);
    }
    const json = flags.json === true;
    const write = (text: string): void => void ctx.stdout.write(text);

    const dryRun = flags['dry-run'] === true;
    if (planned.removals.length === 0 && planned.containers.length === 0) {
      if (json) write(JSON.stringify(render.removalJson(planned, undefined, 0)) + '\n');
      else write((planned.kept.length ? render.renderPlan(planned) + '\n' : render.goneLines(planned.gone)) + 'Nothing to remove.\n');
      return 0;
    }
    if (dryRun) {
      write(json ? JSON.stringify(render.removalJson(planned, undefined, 0)) + '\n' : render.renderPlan(planned, true));
      return 0;
    }
    // The question is only ever asked about a plan the person at the terminal has seen: when the
    // plan goes to a file or a pipe (or is JSON), it is shown on stderr too, beside the question.
    const asking = flags.force !== true && ctx.stdinIsTTY;
    if (!json) write(render.renderPlan(planned));
    if (asking && (json || !ctx.stdout.isTTY)) ctx.stderr.write(render.renderPlan(planned));
    const { confirmRemoval } = await import('../confirm.js');
    if (!(await confirmRemoval(flags.force === true, ctx.stdinIsTTY, 'images', ctx.target.signal))) return 0;

    const { executeRemoval } = await import('../../docker/execute-removal.js');
    const progress = progressOn(ctx.stderr, (n) => formatBytes(n, 4));
    const outcome = await executeRemoval(engine, planned, { ...(saveDir ? { saveDir } : {}), ...(progress ? { onProgress: progress } : {}) });

    const [{ bytesFreedByRemoval }, { bytesMovedToBuildCache, sharesWithImages }, { readBuildCache }] = await Promise.all([
      import('../../core/usage.js'),
      import('../../core/build-cache.js'),
      import('../../docker/read-snapshot.js'),
    ]);
    // What the removed images left in the build cache (BuildKit layers) did not leave the disk:
    // on the classic store measured by reading the cache again (its records then say so to the
    // byte), else as the plan counted it (the containerd store's records measure differently).
    // An interrupted run asks the daemon nothing more.
    const done = new Set(outcome.removed.map((r) => r.removal));
    const cachedAsPlanned = planned.removals.filter((r) => done.has(r)).reduce((s, r) => s + r.cachedBytes, 0);
    const measurable = snapshot.imageStore !== 'containerd' && snapshot.buildCacheKnown !== false && !outcome.cancelled;
    const cached = !measurable
      ? cachedAsPlanned
      : sharesWithImages(snapshot.buildCache) && outcome.deletedIds.size > 0
        ? await readBuildCache(engine).then(
            (after) => bytesMovedToBuildCache(snapshot.buildCache, after),
            () => cachedAsPlanned,
          )
        : 0;
    const reclaimed = Math.max(0, bytesFreedByRemoval(snapshot.images, outcome.deletedIds, planned.containers, outcome.containersRemoved) - cached);
    // The command that finishes what an interrupted or failed run left, with the flags that lift the protections it needed.
    const finish = ['docker tidy rm -f', ...(protections.includeLocal || protections.save ? ['--include-local'] : []), ...(request.withContainers ? ['--with-containers'] : [])].join(' ');
    if (json) write(JSON.stringify(render.removalJson(planned, outcome, reclaimed, cached, finish)) + '\n');
    else write('\n' + render.renderOutcome(planned, outcome, reclaimed, cached, finish));
    if (outcome.cancelled) return 130;
    return outcome.failed.length || outcome.containerFailures.length ? 1 : 0;
  },
};
