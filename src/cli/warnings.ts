// What a command could not read is said on stderr, once, before its output goes on.
import type { Snapshot } from '../core/snapshot.js';
import { sanitizeLines } from '../render/text.js';

/** When the containers' log files could not be read: that the estimate leaves them out, why, and the fix (stderr). */
export function printLogsUnknown(stderr: { write(text: string): unknown }, snapshot: Snapshot): void {
  const unknown = snapshot.logs?.via === 'unknown' ? snapshot.logs.unknown : undefined;
  if (!unknown) return;
  stderr.write(sanitizeLines(`warning: the containers' log sizes are unknown, so the estimate leaves them out: ${unknown.reason}\nto read them: ${unknown.fix}`) + '\n');
}

/** Prints the snapshot's warnings ("warning: ...") on stderr. */
export function printWarnings(stderr: { write(text: string): unknown }, snapshot: Snapshot): void {
  for (const warning of snapshot.warnings ?? []) stderr.write(sanitizeLines(`warning: ${warning}`) + '\n');
}
