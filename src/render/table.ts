// Tables like docker's: uppercase headers, columns aligned by display width (docker's tabwriter:
// minimum cell width 10, padding 3), the last column not padded.
import stringWidth from 'string-width';

import { sanitize } from './text.js';

const MIN_WIDTH = 10;
const PADDING = 3;

/**
 * A cell's display width. Printable ASCII is one column a character; string-width (which builds
 * Intl.Segmenter and Unicode-set regexes when it loads, about 20 ms) measures the rest. The
 * executable loads it on its first use, so tables of plain names never pay for it.
 */
function displayWidth(text: string): number {
  return /^[\x20-\x7e]*$/.test(text) ? text.length : stringWidth(text);
}

/** Renders rows under headers as docker aligns them; every cell is sanitized. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows].map((row) => row.map((cell) => sanitize(cell)));
  const widths = headers.map((_, col) =>
    Math.max(MIN_WIDTH, ...all.map((row) => displayWidth(row[col] ?? '') + PADDING)),
  );
  return all
    .map((row) =>
      row
        .map((cell, col) => (col === row.length - 1 ? cell : cell + ' '.repeat(widths[col]! - displayWidth(cell))))
        .join('')
        .trimEnd(),
    )
    .join('\n') + '\n';
}
