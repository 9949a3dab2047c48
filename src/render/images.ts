// `docker tidy images` and `docker tidy unused`: one row per reference, like `docker image ls`.
import { DANGLING_REF } from '../core/reference.js';
import { referencesOf, splitReference } from '../core/select.js';
import type { ImageUsage } from '../core/usage.js';
import { formatAge, formatBytes } from '../core/units.js';
import { shortId } from './text.js';
import { renderTable } from './table.js';

/** The short flag column: dangling / unused / local-only / unverified (tagged, asked, and no registry could say). */
export function flagsOf(u: ImageUsage): string {
  const unverified = u.image.tags.length > 0 && u.image.remoteCopy?.copy === 'unknown';
  return [u.dangling && 'dangling', u.unused && 'unused', u.localOnly && 'local-only', unverified && 'unverified'].filter(Boolean).join(',');
}

/**
 * The table; `notes` adds a NOTE column (unused: why an image frees nothing). `byName` orders the
 * rows by the reference each shows (--sort name), an image with several tags being several rows.
 */
export function renderImageTable(
  images: readonly ImageUsage[],
  now: number,
  options: { notes?: ReadonlyMap<string, string>; byName?: 'asc' | 'desc'; reference?: { test(ref: string): boolean } } = {},
): string {
  const { notes, byName, reference } = options;
  const headers = ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'UNIQUE', 'CONTAINERS', 'FLAGS'];
  if (notes) headers.push('NOTE');
  const rows: string[][] = [];
  // With REPOSITORY[:TAG], only the references it names, as docker image ls shows them.
  const refs = images.flatMap((u) => referencesOf(u.image).filter((ref) => !reference || reference.test(ref)).map((ref) => [u, ref] as const));
  if (byName) {
    refs.sort(([a, x], [b, y]) => (x < y ? -1 : x > y ? 1 : a.image.id < b.image.id ? -1 : 1));
    if (byName === 'desc') refs.reverse();
  }
  for (const [u, ref] of refs) {
    const { repository, tag } = ref === DANGLING_REF ? { repository: '<none>', tag: '<none>' } : splitReference(ref);
    const row = [
      repository,
      tag,
      shortId(u.image.id),
      formatAge(u.image.created, now),
      // `docker image ls` prints sizes with precision 3.
      formatBytes(u.sizeBytes, 3),
      formatBytes(u.uniqueBytes, 3),
      String(u.containers.length),
      flagsOf(u),
    ];
    if (notes) row.push(notes.get(u.image.id) ?? '');
    rows.push(row);
  }
  return renderTable(headers, rows);
}

/** `-q`: full IDs, each once. */
export function renderImageIds(images: readonly ImageUsage[]): string {
  return [...new Set(images.map((u) => u.image.id))].map((id) => id + '\n').join('');
}
