// `docker tidy df`: where the space goes, with exact bytes and honest reclaimable figures.
import { computeDiskUsage } from '../../core/usage.js';
import { readSnapshot } from '../../docker/read-snapshot.js';
import { diskUsageJson, renderDiskUsage } from '../../render/df.js';
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
    const engine = await ctx.engine();
    const usage = computeDiskUsage(await readSnapshot(engine, { usage: true }));
    const verbose = flags.verbose === true;
    ctx.stdout.write(
      flags.json ? JSON.stringify(diskUsageJson(usage, verbose)) + '\n' : renderDiskUsage(usage, verbose, ctx.now),
    );
    return 0;
  },
};
