// `docker tidy df`: where the space goes, with exact bytes and honest reclaimable figures, and the
// container log files no docker command shows; with --contexts or --all-contexts, on each host and in all.
import { totalDiskUsage } from '../../core/hosts.js';
import { logUsage, type LogUsage } from '../../core/logs.js';
import { computeDiskUsage, type DiskUsage } from '../../core/usage.js';
import { readSnapshot } from '../../docker/read-snapshot.js';
import { renderDiskUsage } from '../../render/df.js';
import { dfDocument, hostsDocument, type DfHostsDocumentV1 } from '../../render/documents.js';
import { renderHostsDiskUsage } from '../../render/hosts.js';
import type { CommandContext, Handler } from '../command.js';
import { hostsOf, onHosts, outcomeOnHosts, readHosts, wantsHosts } from '../hosts.js';
import type { dfOptions } from '../options.js';
import { printWarnings } from '../warnings.js';

type Flags = Parameters<Handler<typeof dfOptions>>[1]['flags'];

/** One host's disk usage: snapshot -> usage and logs (warnings said on that host's stderr). */
async function diskUsageOn(ctx: CommandContext, flags: Flags): Promise<{ usage: DiskUsage; logs: LogUsage; node: string | undefined }> {
  const snapshot = await readSnapshot(await ctx.engine(), { usage: true, logs: true, logSettings: flags.verbose }, { helperImage: flags.helper });
  printWarnings(ctx.stderr, snapshot);
  return { usage: computeDiskUsage(snapshot), logs: logUsage(snapshot), node: snapshot.node };
}

export const run: Handler<typeof dfOptions> = async (ctx, { flags }) => {
  if (wantsHosts(ctx, flags, 'docker tidy df')) {
    const results = await onHosts(ctx, await hostsOf(ctx, flags), (hostCtx) => diskUsageOn(hostCtx, flags));
    const total = totalDiskUsage(readHosts(results).map((r) => r.value));
    const doc: DfHostsDocumentV1 = hostsDocument(results, ({ usage, logs, node }) => dfDocument(usage, logs, flags.verbose, node), total);
    ctx.stdout.write(flags.json ? JSON.stringify(doc) + '\n' : renderHostsDiskUsage(results, ({ usage, logs }) => renderDiskUsage(usage, logs, flags.verbose, ctx.now), total));
    return outcomeOnHosts(results);
  }
  const { usage, logs, node } = await diskUsageOn(ctx, flags);
  ctx.stdout.write(flags.json ? JSON.stringify(dfDocument(usage, logs, flags.verbose, node)) + '\n' : renderDiskUsage(usage, logs, flags.verbose, ctx.now));
  return 'ok';
};
