// Progress of a removal on stderr, on a terminal only ("Removing: 3/10 references, 12.5MB freed").
import { formatBytes } from '../core/units.js';

/** A listener that rewrites one progress line (clearing what a longer one left), or undefined when stderr is not a terminal. */
export function progressOn(
  stderr: { write(text: string): unknown; readonly isTTY?: boolean },
): ((done: number, total: number, bytes: number, final: boolean) => void) | undefined {
  if (!stderr.isTTY) return undefined;
  return (done, total, bytes, final) => {
    // "\x1b[K" clears what a longer earlier line left to the right.
    stderr.write(`\rRemoving: ${done}/${total} references, ${formatBytes(bytes, 4)} freed\x1b[K${final ? '\n' : ''}`);
  };
}

/** A listener for the registry questions ("Asking registries: 3/12 images"), or undefined when stderr is not a terminal. */
export function registryProgressOn(stderr: { write(text: string): unknown; readonly isTTY?: boolean }): ((done: number, total: number) => void) | undefined {
  if (!stderr.isTTY) return undefined;
  return (done, total) => {
    stderr.write(`\rAsking registries: ${done}/${total} image${total === 1 ? '' : 's'}\x1b[K${done === total ? '\r\x1b[K' : ''}`);
  };
}

/**
 * Progress over many hosts ("Reading: 3/12 hosts"), on a terminal only; the line is cleared once
 * all are done. `clear()` wipes it before another line goes to stderr (a host's warning).
 */
export function hostProgressOn(
  stderr: { write(text: string): unknown; readonly isTTY?: boolean },
  verb: string,
  total: number,
): { update(done: number): void; clear(): void } | undefined {
  if (!stderr.isTTY) return undefined;
  let shown = false;
  return {
    update: (done) => {
      shown = done < total;
      stderr.write(shown ? `\r${verb}: ${done}/${total} hosts\x1b[K` : '\r\x1b[K');
    },
    clear: () => {
      if (shown) stderr.write('\r\x1b[K');
    },
  };
}
