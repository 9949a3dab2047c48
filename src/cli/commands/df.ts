// `docker tidy df`: where the space goes, with exact bytes and honest reclaimable figures, and the
// container log files no docker command shows.
import { logUsage } from '../../core/logs.js';
import { computeDiskUsage } from '../../core/usage.js';
import { readSnapshot } from '../../docker/read-snapshot.js';
import { renderDiskUsage } from '../../render/df.js';
import { dfDocument } from '../../render/documents.js';
import type { Handler } from '../command.js';
import type { dfOptions } from '../options.js';
import { printWarnings } from '../warnings.js';

export const run: Handler<typeof dfOptions> = async (ctx, { flags }) => {
  const snapshot = await readSnapshot(await ctx.engine(), { usage: true, logs: true, logSettings: flags.verbose }, { helperImage: flags.helper });
  printWarnings(ctx.stderr, snapshot);
  const usage = computeDiskUsage(snapshot);
  const logs = logUsage(snapshot);
  ctx.stdout.write(flags.json ? JSON.stringify(dfDocument(usage, logs, flags.verbose, snapshot.node)) + '\n' : renderDiskUsage(usage, logs, flags.verbose, ctx.now));
  return 'ok';
};
