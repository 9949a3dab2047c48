// The confirmation docker's own prune commands ask for, on stderr, reading one line from stdin.
import { createInterface } from 'node:readline';
import { CancelledError } from '../errors.js';
import { sanitizeLines } from '../render/text.js';

/** Asks "Are you sure you want to continue? [y/N]"; true only for y or yes. */
export async function confirm(signal: AbortSignal): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  process.stderr.write('Are you sure you want to continue? [y/N] ');
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
      signal.addEventListener('abort', () => reject(new CancelledError()), { once: true });
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/**
 * Whether to go ahead with a removal: yes with --force; else ask on a terminal; with no terminal
 * to ask on, refuse, saying so and how to go ahead on `stderr`.
 */
export async function confirmRemoval(
  force: boolean,
  stdinIsTTY: boolean,
  what: string,
  signal: AbortSignal,
  stderr: { write(text: string): unknown },
): Promise<'yes' | 'no' | 'refused'> {
  if (force) return 'yes';
  if (!stdinIsTTY) {
    stderr.write(
      sanitizeLines(
        `refusing to remove ${what} without confirmation: there is no terminal to ask on\n` +
          'pass --force (-f) to remove without asking, or --dry-run to only see the plan\n',
      ),
    );
    return 'refused';
  }
  return (await confirm(signal)) ? 'yes' : 'no';
}
