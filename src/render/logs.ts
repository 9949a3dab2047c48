// Container logs as text: the table `df -v` and `logs` share, how their sizes were read, and the
// settings that would cap the logs that have no cap.
import type { LogAdvice, LogRow, LogUsage, LogsReading } from '../core/logs.js';
import { formatBytes } from '../core/units.js';
import { bytesText, count } from './removal.js';
import { renderTable } from './table.js';
import { sanitizeLines, shortId } from './text.js';

/** A log's size as docker system df prints sizes; "unknown" when it could not be read. */
export function logSize(bytes: number | null): string {
  return bytes === null || bytes < 0 ? 'unknown' : formatBytes(bytes, 4);
}

/** How a log rotates, or why it has no file ("none: keeps every line", "10k x 3 files", ...). */
export function rotationText(row: LogRow): string {
  if (row.storage === 'none') return row.driver === 'none' ? 'no log kept (driver none)' : `no file: lines go to ${row.driver}`;
  const r = row.rotation;
  if (!r) return 'none: keeps every line';
  const rotation = `${r.maxSizeText} x ${count(r.maxFile, 'file')}${r.isDefault ? ' (default)' : ''}`;
  return row.storage === 'cache' ? `lines go to ${row.driver}; docker's cache for docker logs: ${rotation}` : rotation;
}

/** One row per container: CONTAINER ID, NAME, STATE, DRIVER, SIZE, ROTATION, largest first. */
export function renderLogTable(rows: readonly LogRow[]): string {
  return renderTable(
    ['CONTAINER ID', 'NAME', 'STATE', 'DRIVER', 'SIZE', 'ROTATION'],
    rows.map((r) => [shortId(r.container.id), r.container.name, r.container.state, r.driver, logSize(r.sizeBytes), rotationText(r)]),
  );
}

/** Where the sizes came from, or why they are unknown and what to do: lines for stderr or below a table. */
export function readingLines(reading: LogsReading): string[] {
  if (reading.via === 'unknown' && reading.unknown) {
    return [`container log sizes unknown: ${reading.unknown.reason}`, `to read them: ${reading.unknown.fix}`];
  }
  if (reading.via === 'helper') return [`log sizes read by a helper container from ${reading.helperImage ?? 'an image on the daemon'} (removed afterwards)`];
  return [];
}

/** `docker tidy logs`: the table, the totals, the logs without a cap and the settings that would cap them. */
export function renderLogs(logs: LogUsage, advice: LogAdvice): string {
  const lines: string[] = [];
  const { items } = logs;
  if (items.length === 0) return 'No containers.\n';
  let out = renderLogTable(items);
  const stopped = logs.reclaimableBytes;
  lines.push(
    '',
    logs.sizeBytes === null
      ? `${count(items.length, 'container')}; the sizes of their log files are unknown`
      : `${count(items.length, 'container')}, ${count(logs.total, 'with a log file', 'with log files')}: ${bytesText(logs.sizeBytes)}` +
          (stopped ? `; ${formatBytes(stopped, 4)} of it belongs to stopped containers and goes when they are removed (docker tidy prune --containers)` : ''),
  );
  lines.push(...readingLines(logs.reading));
  if (advice.uncapped.length) {
    const names = (rows: readonly LogRow[]): string =>
      rows
        .slice(0, 6)
        .map((r) => r.container.name)
        .join(', ') + (rows.length > 6 ? ` and ${rows.length - 6} more` : '');
    lines.push('', `${count(advice.uncapped.length, 'container keeps', 'containers keep')} every line of ${advice.uncapped.length === 1 ? 'its log' : 'their logs'} (json-file without max-size): ${names(advice.uncapped)}`);
    if (advice.growing.length) {
      lines.push(`Running, so ${advice.growing.length === 1 ? 'its log keeps' : 'their logs keep'} growing until the disk is full: ${names(advice.growing)}`);
    }
    lines.push(
      'To cap the logs of containers created from now on, set in /etc/docker/daemon.json, then restart dockerd:',
      `  ${JSON.stringify(advice.daemonJson)}`,
      'or give each container its cap when it is created (a container keeps the log options it was created with: recreate it):',
      `  docker run ${advice.logOpts.map((o) => `--log-opt ${o}`).join(' ')} ...`,
    );
  }
  lines.push('', 'docker tidy never truncates a log file.');
  out += lines.join('\n') + '\n';
  return sanitizeLines(out);
}
