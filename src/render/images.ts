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
 * `contextOf` adds a CONTEXT column first (many hosts), and `noteOf` then takes the place of
 * `notes` (an image ID may be on several hosts, each with its own note).
 */
export function renderImageTable(
  images: readonly ImageUsage[],
  now: number,
  options: {
    notes?: ReadonlyMap<string, string>;
    noteOf?: (u: ImageUsage) => string | undefined;
    byName?: 'asc' | 'desc';
    reference?: { test(ref: string): boolean };
    contextOf?: (u: ImageUsage) => string;
  } = {},
): string {
  const { notes, byName, reference, contextOf } = options;
  const noteOf = options.noteOf ?? (notes ? (u: ImageUsage) => notes.get(u.image.id) : undefined);
  const headers = [...(contextOf ? ['CONTEXT'] : []), 'REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'UNIQUE', 'CONTAINERS', 'FLAGS'];
  if (noteOf) headers.push('NOTE');
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
      ...(contextOf ? [contextOf(u)] : []),
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
    if (noteOf) row.push(noteOf(u) ?? '');
    rows.push(row);
  }
  return renderTable(headers, rows);
}

/** `-q`: full IDs, each once. */
export function renderImageIds(images: readonly ImageUsage[]): string {
  return [...new Set(images.map((u) => u.image.id))].map((id) => id + '\n').join('');
}
