// `docker tidy prune`: one safe sweep of stopped containers, unused images, networks, volumes and
// build cache, with a preview, exact bytes, and a keep-under-a-size-limit mode for servers and CI.
import { UsageError } from '../../errors.js';
import type { CommandSpec } from '../command.js';
import { destructiveOptions, jsonOption, protectionOptions } from '../options.js';

const WHERE = 'docker tidy prune';

export const pruneCommand: CommandSpec = {
  name: 'prune',
  summary: 'Remove stopped containers, unused images, networks, volumes and build cache, safely, with a preview',
  usage: '[OPTIONS]',
  description:
    'With no category flag, remove what docker system prune removes: stopped containers (exited,\n' +
    'created, dead), dangling images, unused networks and build cache, in that order, so an image\n' +
    'used only by a container the sweep removes goes too. -a adds every unused image (and all unused\n' +
    'build cache); --volumes adds unused anonymous volumes, --all-volumes named ones too, on every engine.\n' +
    '--containers, --images, --networks, --build-cache pick only those categories (with --volumes\n' +
    'or --all-volumes if given).\n\n' +
    '--until: containers by when they stopped; images by when they were last used where known (the\n' +
    'newest stop time of a container made from them, else when they were tagged or pulled here, else\n' +
    'when they were created); networks by when they were created; build cache by when it was last\n' +
    'used. Volumes have no such time: one stays while a container it belongs to stays.\n\n' +
    '--keep-under SIZE: remove unused images, least recently used first, only until all images\n' +
    'together take at most SIZE; if images in use or protected keep it above, says by how much.\n\n' +
    'Never removed: running containers and what they use. Kept unless asked: images that exist only\n' +
    'on this host (--include-local, --save). Networks are kept while any container, even a stopped\n' +
    'one that stays, is attached. Build-cache records have no labels: --filter label leaves them.\n\n' +
    'Refused as meaningless or contradictory (exit 125): --quiet with --json, --save with\n' +
    '--include-local, --keep-under with category flags that leave out --images.',
  options: {
    all: { type: 'boolean', short: 'a', describe: 'Remove every unused image, not only dangling ones, and all unused build cache' },
    volumes: { type: 'boolean', describe: 'Also remove unused anonymous volumes' },
    'all-volumes': { type: 'boolean', describe: 'Also remove unused volumes, named ones too' },
    containers: { type: 'boolean', describe: 'Only prune stopped containers (combine category flags to pick several)' },
    images: { type: 'boolean', describe: 'Only prune images (dangling ones; with -a every unused one)' },
    networks: { type: 'boolean', describe: 'Only prune unused networks' },
    'build-cache': { type: 'boolean', describe: 'Only prune build cache' },
    until: { type: 'string', valueName: 'time', describe: 'Only what stopped or was last used before this: a duration (24h), a date (2020-07-07) or a timestamp' },
    filter: { type: 'string', repeat: true, valueName: 'filter', describe: 'label=KEY[=VALUE] or label!=KEY[=VALUE] (repeatable; all must hold)' },
    'keep-under': { type: 'string', valueName: 'size', describe: 'Remove unused images, least recently used first, until images take at most this (20GB)' },
    exclude: { type: 'string', repeat: true, valueName: 'regex', describe: 'Keep images with a reference (repository:tag) matching this regex (repeatable)' },
    ...protectionOptions,
    ...destructiveOptions,
    quiet: { type: 'boolean', short: 'q', describe: 'Print only the summary line (the plan is still shown before asking on a terminal)' },
    ...jsonOption,
  },
  async run(ctx, flags) {
    const [{ flagValue, flagValues, protectionsFromFlags, progressOn }, { parseLabelFilter, parseSize, parseTimestamp }, { planPrune }, { formatBytes }] =
      await Promise.all([import('../flag-values.js'), import('../../core/parse.js'), import('../../core/plan-prune.js'), import('../../core/units.js')]);
    const { saveDir, ...protections } = protectionsFromFlags(flags, WHERE);
    const until = flagValue(flags, 'until', WHERE, (text) => parseTimestamp(text, ctx.now));
    const keepUnder = flagValue(flags, 'keep-under', WHERE, parseSize);
    const labels = flagValues(flags, 'filter', WHERE, parseLabelFilter);
    if (flags.quiet && flags.json) throw new UsageError('--quiet and --json cannot be used together: --json prints one document', WHERE);

    const all = flags.all === true;
    const picked = ['containers', 'images', 'networks', 'build-cache'].some((f) => flags[f] === true);
    const wants = (name: string): boolean => !picked || flags[name] === true;
    if (keepUnder !== undefined && !wants('images')) {
      throw new UsageError('--keep-under limits images: add --images to the categories you picked', WHERE);
    }
    const request = {
      containers: wants('containers'),
      images: wants('images') ? (all ? 'unused' : 'dangling') : 'none',
      networks: wants('networks'),
      volumes: flags['all-volumes'] ? 'all' : flags.volumes ? 'anonymous' : 'none',
      buildCache: wants('build-cache') ? (all ? 'all' : 'dangling') : 'none',
      ...(until === undefined ? {} : { until }),
      labels,
      ...(keepUnder === undefined ? {} : { keepUnder }),
      ...protections,
    } as const;

    const [{ readSnapshot }, render, { sanitize }] = await Promise.all([
      import('../../docker/read-snapshot.js'),
      import('../../render/prune.js'),
      import('../../render/text.js'),
    ]);
    const engine = await ctx.engine();
    const lastUsed = request.images !== 'none' && (until !== undefined || keepUnder !== undefined);
    const snapshot = await readSnapshot(engine, {
      usage: true,
      networks: request.networks,
      finishTimes: lastUsed || (request.containers && until !== undefined),
      tagTimes: lastUsed,
    });
    const { printWarnings } = await import('../warnings.js');
    printWarnings(ctx.stderr, snapshot);
    const plan = planPrune(snapshot, request);
    if (saveDir !== undefined) {
      const { checkSaveDir } = await import('../../docker/execute-removal.js');
      checkSaveDir(saveDir, plan.images.filter((r) => r.save), WHERE);
    }
    const json = flags.json === true;
    const quiet = flags.quiet === true;
    const write = (text: string): void => void ctx.stdout.write(text);
    const nothing = render.isEmpty(plan);
    if (nothing || flags['dry-run']) {
      if (json) write(JSON.stringify(render.pruneJson(plan, undefined, 0)) + '\n');
      else if (quiet) write((nothing ? 'Nothing to remove.' : render.planSummary(plan, true)) + '\n');
      else write(nothing ? (plan.kept.length ? render.renderPrunePlan(plan) + '\n' : '') + 'Nothing to remove.\n' : render.renderPrunePlan(plan, true));
      return 0;
    }
    // The question is only ever asked about a plan the person at the terminal has seen: shown on
    // stdout unless quiet or JSON, and on stderr too when stdout goes elsewhere.
    const asking = flags.force !== true && ctx.stdinIsTTY;
    if (!json && !quiet) write(render.renderPrunePlan(plan));
    if (asking && (json || quiet || !ctx.stdout.isTTY)) ctx.stderr.write(render.renderPrunePlan(plan));
    const { confirmRemoval } = await import('../confirm.js');
    if (!(await confirmRemoval(flags.force === true, ctx.stdinIsTTY, 'anything', ctx.target.signal))) return 0;

    const [{ executePrune }, { readBuildCache }, { bytesMovedToBuildCache, sharesWithImages }] = await Promise.all([
      import('../../docker/execute-prune.js'),
      import('../../docker/read-snapshot.js'),
      import('../../core/build-cache.js'),
    ]);
    const progress = quiet ? undefined : progressOn(ctx.stderr, (n) => formatBytes(n, 4));
    const outcome = await executePrune(engine, plan, {
      ...(saveDir ? { saveDir } : {}),
      ...(progress ? { onProgress: progress } : {}),
      // Which records the removed images left as the cache's own: read once the images are gone
      // (classic store: there the records' sizes are the layers').
      ...(snapshot.imageStore !== 'containerd' && sharesWithImages(snapshot.buildCache) ? { readBuildCache: () => readBuildCache(engine) } : {}),
    });

    // Freed, by what the daemon says it removed: images and containers as rm counts them, less
    // what the images left in the build cache; the sizes read before of the volumes it removed;
    // and the daemon's own count for the build-cache records it pruned.
    const { bytesFreedByRemoval } = await import('../../core/usage.js');
    const deleted = new Set(outcome.removal.removed.map((r) => r.removal));
    const moved = outcome.buildCacheAfterImages
      ? bytesMovedToBuildCache(snapshot.buildCache, outcome.buildCacheAfterImages)
      : plan.images.filter((r) => deleted.has(r)).reduce((s, r) => s + r.cachedBytes, 0);
    const reclaimed =
      Math.max(0, bytesFreedByRemoval(snapshot.images, outcome.removal.deletedIds, plan.containers, outcome.removal.containersRemoved) - moved) +
      outcome.volumes.removed.reduce((s, v) => s + Math.max(0, v.size), 0) +
      outcome.buildCache.reclaimedBytes;
    const finish = ['docker tidy rm -f', ...(protections.includeLocal || protections.save ? ['--include-local'] : [])].join(' ');
    if (json) write(JSON.stringify(render.pruneJson(plan, outcome, reclaimed, finish)) + '\n');
    else if (quiet) write(render.removedSummary(outcome, reclaimed, plan.estimatedBytes) + '\n');
    else write('\n' + render.renderPruneOutcome(plan, outcome, reclaimed, finish));
    const failures = render.failureLines(outcome);
    // Quiet runs (cron) still say what failed, on stderr.
    if (quiet) for (const line of failures) ctx.stderr.write(sanitize(line) + '\n');
    if (outcome.cancelled) return 130;
    return failures.length ? 1 : 0;
  },
};
