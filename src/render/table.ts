// Tables like docker's: uppercase headers, columns aligned by display width (docker's tabwriter:
// minimum cell width 10, padding 3), the last column not padded.
import stringWidth from 'string-width';

const MIN_WIDTH = 10;
const PADDING = 3;

import { sanitize } from './text.js';

/** Renders rows under headers as docker aligns them; every cell is sanitized. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows].map((row) => row.map((cell) => sanitize(cell)));
  const widths = headers.map((_, col) =>
    Math.max(MIN_WIDTH, ...all.map((row) => stringWidth(row[col] ?? '') + PADDING)),
  );
  return all
    .map((row) =>
      row
        .map((cell, col) => (col === row.length - 1 ? cell : cell + ' '.repeat(widths[col]! - stringWidth(cell))))
        .join('')
        .trimEnd(),
    )
    .join('\n') + '\n';
}
