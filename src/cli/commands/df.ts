// `docker tidy df`: where the space goes, with exact bytes and honest reclaimable figures.
import type { CommandSpec } from '../command.js';
import { jsonOption, verboseOption } from '../options.js';

export const dfCommand: CommandSpec = {
  name: 'df',
  summary: 'Show docker disk usage with exact bytes and layer-aware reclaimable space',
  usage: '[OPTIONS]',
  description:
    'Show docker disk usage with exact bytes.\n\n' +
    'Images RECLAIMABLE is what removing every image that no container uses would really free:\n' +
    'a layer shared with an image in use is not counted, a layer shared by two unused images counts once.',
  options: { ...verboseOption, ...jsonOption },
  async run(ctx, flags) {
    const [{ computeDiskUsage }, { readSnapshot }, { printWarnings }] = await Promise.all([
      import('../../core/usage.js'),
      import('../../docker/read-snapshot.js'),
      import('../warnings.js'),
    ]);
    const engine = await ctx.engine();
    const snapshot = await readSnapshot(engine, { usage: true });
    printWarnings(ctx.stderr, snapshot);
    const usage = computeDiskUsage(snapshot);
    const verbose = flags.verbose === true;
    if (flags.json) {
      const { diskUsageJson } = await import('../../render/json.js');
      ctx.stdout.write(JSON.stringify(diskUsageJson(usage, verbose)) + '\n');
    } else {
      const { renderDiskUsage } = await import('../../render/df.js');
      ctx.stdout.write(renderDiskUsage(usage, verbose, ctx.now));
    }
    return 0;
  },
};
