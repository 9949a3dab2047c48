// `docker tidy df`: docker system df's table, from exact bytes, and its JSON document.
import type { LogUsage } from '../core/logs.js';
import type { DiskUsageTotal, SectionTotal } from '../core/hosts.js';
import type { DiskUsage } from '../core/usage.js';
import { formatAge, formatBytes } from '../core/units.js';
import { DANGLING_REF } from '../core/reference.js';
import { logSize, readingLines, renderLogTable } from './logs.js';
import { renderTable } from './table.js';
import { shortId } from './text.js';

/**
 * docker system df's summary table (TYPE TOTAL ACTIVE SIZE RECLAIMABLE) with the container logs row, and a note on
 * estimates: one host's rows, or the sums over many (core/hosts.ts). */
export function renderUsageSummary(rows: DiskUsageTotal): string {
  const mark = (s: SectionTotal): string => (s.exact ? '' : '*');
  const sections: [string, SectionTotal, boolean][] = [
    ['Images', rows.images, true],
    ['Containers', rows.containers, true],
    ['Local Volumes', rows.volumes, true],
    ['Build Cache', rows.buildCache, false],
  ];
  const { logs } = rows;
  const logRow = [
    'Container logs',
    String(logs.total),
    String(logs.active),
    logSize(logs.sizeBytes),
    logs.sizeBytes === null || logs.reclaimableBytes === null ? logSize(null) : reclaimable({ sizeBytes: logs.sizeBytes, reclaimableBytes: logs.reclaimableBytes }, true),
  ];
  let out = renderTable(
    ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
    [...sections.map(([name, s, pct]) => [name, String(s.total), String(s.active), size(s.sizeBytes) + mark(s), reclaimable(s, pct) + mark(s)]), logRow],
  );
  if (sections.some(([, s]) => !s.exact)) {
    out += '\n* estimated: the daemon did not give exact figures for every item\n';
  }
  return out;
}

// `docker system df` prints sizes with go-units HumanSize: precision 4.
const size = (bytes: number): string => (bytes < 0 ? 'N/A' : formatBytes(bytes, 4));

function reclaimable(section: { sizeBytes: number; reclaimableBytes: number }, withPercent: boolean): string {
  const text = size(section.reclaimableBytes);
  if (!withPercent || section.sizeBytes <= 0) return text;
  return `${text} (${Math.floor((section.reclaimableBytes * 100) / section.sizeBytes)}%)`;
}

/**
 * The summary table, plus with `verbose` a table per section. The `Container logs` row says
 * `unknown` when the log files could not be read, and why below the table; nothing else changes.
 */
export function renderDiskUsage(usage: DiskUsage, logs: LogUsage, verbose: boolean, now: number): string {
  let out = renderUsageSummary({ ...usage, logs });
  const reading = readingLines(logs.reading);
  if (logs.reading.via === 'unknown' && reading.length) out += '\n' + reading.join('\n') + '\n';
  if (!verbose) return out;

  out += '\nImages space usage:\n\n';
  out += renderTable(
    ['REPOSITORY:TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED', 'UNIQUE', 'CONTAINERS'],
    usage.images.items.map((u) => [
      u.image.tags.length ? u.image.tags.join(', ') : DANGLING_REF,
      shortId(u.image.id),
      formatAge(u.image.created, now),
      size(u.sizeBytes),
      size(u.sharedBytes),
      size(u.uniqueBytes),
      String(u.containers.length),
    ]),
  );
  out += '\nContainers space usage:\n\n';
  out += renderTable(
    ['CONTAINER ID', 'IMAGE', 'NAME', 'STATE', 'CREATED', 'SIZE'],
    usage.containers.items.map((c) => [shortId(c.id), imageColumn(c.imageRef, c.imageId), c.name, c.state, formatAge(c.created, now), size(c.sizeRw)]),
  );
  out += '\nLocal Volumes space usage:\n\n';
  out += renderTable(
    ['VOLUME NAME', 'LINKS', 'SIZE'],
    usage.volumes.items.map((v) => [v.name, v.refCount < 0 ? 'N/A' : String(v.refCount), size(v.size)]),
  );
  out += '\nBuild cache usage: ' + size(usage.buildCache.sizeBytes) + '\n\n';
  out += renderTable(
    ['CACHE ID', 'CACHE TYPE', 'SIZE', 'LAST USED', 'IN USE', 'SHARED'],
    usage.buildCache.items.map((b) => [
      b.id.slice(0, 12),
      b.type,
      size(b.size),
      b.lastUsedAt === null ? '' : formatAge(b.lastUsedAt, now),
      String(b.inUse),
      String(b.shared),
    ]),
  );
  out += '\nContainer logs space usage:\n\n';
  out += renderLogTable(logs.items);
  if (logs.reading.via === 'helper') out += '\n' + readingLines(logs.reading).join('\n') + '\n';
  return out;
}

/**
 * A container's image as `docker ps` shows it: the short ID when it was made from an ID, the name
 * without its digest when made from "name@sha256:...", else the name it was made with.
 */
export function imageColumn(imageRef: string, imageId: string): string {
  if (imageRef === '') return '<no image>';
  const bare = imageRef.replace(/^sha256:/, '');
  if (/^[0-9a-f]{12,64}$/.test(bare) && imageId.replace(/^sha256:/, '').startsWith(bare)) return shortId(imageId);
  const at = imageRef.indexOf('@');
  return at >= 0 ? imageRef.slice(0, at) : imageRef;
}
