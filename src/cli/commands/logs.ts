// `docker tidy logs`: every container by the size of its log files, with its rotation, the logs
// that keep every line, and the setting that would cap them. Reads only: never truncates a log.
import { logAdvice, logUsage } from '../../core/logs.js';
import { readSnapshot } from '../../docker/read-snapshot.js';
import { logsDocument } from '../../render/documents.js';
import { renderLogs } from '../../render/logs.js';
import type { Handler } from '../command.js';
import type { logsOptions } from '../options.js';
import { printWarnings } from '../warnings.js';

export const run: Handler<typeof logsOptions> = async (ctx, { flags }) => {
  // parse -> request: the flags are the request (which image may run the helper).
  // -> snapshot: the containers and their logs; no sizes of layers or volumes.
  const snapshot = await readSnapshot(await ctx.engine(), { usage: false, logs: true, logSettings: true, layers: false }, { helperImage: flags.helper });
  printWarnings(ctx.stderr, snapshot);
  // -> plan: what each log holds, and what would cap the ones without a cap.
  const logs = logUsage(snapshot);
  const advice = logAdvice(logs.items);
  // -> render (nothing to execute: a listing).
  ctx.stdout.write(flags.json ? JSON.stringify(logsDocument(logs, advice, snapshot.node)) + '\n' : renderLogs(logs, advice));
  return 'ok';
};
