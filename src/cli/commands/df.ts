// `docker tidy df`: where the space goes, with exact bytes and honest reclaimable figures.
import { computeDiskUsage } from '../../core/usage.js';
import { readSnapshot } from '../../docker/read-snapshot.js';
import { renderDiskUsage } from '../../render/df.js';
import { dfDocument } from '../../render/documents.js';
import type { Handler } from '../command.js';
import type { dfOptions } from '../options.js';
import { printWarnings } from '../warnings.js';

export const run: Handler<typeof dfOptions> = async (ctx, { flags }) => {
  const snapshot = await readSnapshot(await ctx.engine(), { usage: true });
  printWarnings(ctx.stderr, snapshot);
  const usage = computeDiskUsage(snapshot);
  ctx.stdout.write(flags.json ? JSON.stringify(dfDocument(usage, flags.verbose)) + '\n' : renderDiskUsage(usage, flags.verbose, ctx.now));
  return 'ok';
};
