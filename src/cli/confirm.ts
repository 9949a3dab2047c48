// The confirmation docker's own prune commands ask for, on stderr, reading one line from stdin.
import { createInterface } from 'node:readline';
import { CancelledError } from '../errors.js';

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
