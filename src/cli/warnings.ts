// What a command could not read is said on stderr, once, before its output goes on.
import type { Snapshot } from '../core/snapshot.js';
import { sanitizeLines } from '../render/text.js';

/** Prints the snapshot's warnings ("warning: ...") on stderr. */
export function printWarnings(stderr: NodeJS.WritableStream, snapshot: Snapshot): void {
  for (const warning of snapshot.warnings ?? []) stderr.write(sanitizeLines(`warning: ${warning}`) + '\n');
}
