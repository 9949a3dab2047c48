// Choosing and ordering images: the filters and sorts that images, unused, rm and prune share,
// the names listings show an image by, and why an image frees nothing alone.
import { InputError } from './parse.js';
import type { Pattern } from './patterns.js';
import { DANGLING_REF } from './reference.js';
import type { Image } from './snapshot.js';
import type { ImageUsage } from './usage.js';


/** Splits "host:port/org/name:tag" or "name@sha256:..." into repository and tag ("<none>" for digests). */
export function splitReference(ref: string): { repository: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repository: ref.slice(0, at), tag: '<none>' };
  const colon = ref.lastIndexOf(':');
  // A colon before the last slash belongs to a registry host:port, not a tag.
  if (colon > ref.lastIndexOf('/')) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: 'latest' };
}

/** The "repository:tag" names an image is listed under: its tags, else "repo:<none>" per digest, else "<none>:<none>". */
export function referencesOf(image: Image): string[] {
  if (image.tags.length > 0) return image.tags;
  const repos = [...new Set(image.digests.map((d) => splitReference(d).repository))];
  return repos.length > 0 ? repos.map((r) => `${r}:<none>`) : [DANGLING_REF];
}

/** What narrows a listing; every given condition must hold (AND). */
export interface ImageFilter {
  /** An image matches when any of its references matches any of these. */
  match?: Pattern[];
  /** An image is left out when any of its references matches any of these. */
  exclude?: Pattern[];
  dangling?: boolean;
  unused?: boolean;
  localOnly?: boolean;
  /** Created before this Unix time. */
  olderThan?: number;
  /** Created after this Unix time. */
  newerThan?: number;
  /** Size strictly above this many bytes. */
  largerThan?: number;
  /** Only these image IDs (prune's --until and --filter label=, decided per image). */
  ids?: ReadonlySet<string>;
  /** REPOSITORY[:TAG], as `docker image ls` takes it: an image with a reference it matches. */
  reference?: Pattern;
}

/** Keeps the images for which every condition of the filter holds. */
export function filterImages(images: readonly ImageUsage[], filter: ImageFilter): ImageUsage[] {
  return images.filter((u) => {
    const refs = referencesOf(u.image);
    if (filter.match?.length && !refs.some((r) => filter.match!.some((re) => re.test(r)))) return false;
    if (filter.exclude?.length && refs.some((r) => filter.exclude!.some((re) => re.test(r)))) return false;
    if (filter.dangling && !u.dangling) return false;
    if (filter.unused && !u.unused) return false;
    if (filter.localOnly && !u.localOnly) return false;
    if (filter.olderThan !== undefined && !(u.image.created < filter.olderThan)) return false;
    if (filter.newerThan !== undefined && !(u.image.created > filter.newerThan)) return false;
    if (filter.largerThan !== undefined && !(u.sizeBytes > filter.largerThan)) return false;
    if (filter.ids && !filter.ids.has(u.image.id)) return false;
    if (filter.reference && !refs.some((r) => filter.reference!.test(r))) return false;
    return true;
  });
}

/** The orders a listing can take. */
export const SORT_KEYS = ['size', 'unique', 'created', 'name'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** A --sort value. */
export function parseSortKey(text: string): SortKey {
  if (!(SORT_KEYS as readonly string[]).includes(text)) throw new InputError(`use one of ${SORT_KEYS.join(', ')}`);
  return text as SortKey;
}

/** Sorts: size and unique largest first, created newest first, name A to Z; `reverse` flips it. */
export function sortImages(images: readonly ImageUsage[], key: SortKey, reverse = false): ImageUsage[] {
  const name = (u: ImageUsage): string => referencesOf(u.image)[0]!;
  const compare: Record<SortKey, (a: ImageUsage, b: ImageUsage) => number> = {
    size: (a, b) => b.sizeBytes - a.sizeBytes,
    unique: (a, b) => b.uniqueBytes - a.uniqueBytes,
    created: (a, b) => b.image.created - a.image.created,
    name: (a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0),
  };
  // Ties fall back to the ID so that the order is the same on every run.
  const sorted = [...images].sort((a, b) => compare[key](a, b) || (a.image.id < b.image.id ? -1 : 1));
  return reverse ? sorted.reverse() : sorted;
}

/** Why removing this one image alone frees nothing, or undefined when it frees something. */
export function whyFreesNothing(target: ImageUsage, all: readonly ImageUsage[]): string | undefined {
  if (target.sizeBytes === 0) return 'it is empty';
  const top = target.image.layers[target.image.layers.length - 1]?.chainId;
  // Intermediate images hold their children's lower layers; they are named by the images built on them.
  const holders = all.filter((u) => u.image.id !== target.image.id && !(u.intermediate && u.unused) && u.image.layers.some((l) => l.chainId === top));
  if (holders.length === 0) return undefined;
  const inUse = holders.filter((u) => !u.unused);
  // Sorted: the daemon lists images created in the same second in no fixed order.
  const names = (list: ImageUsage[]): string =>
    list
      .map((u) => referencesOf(u.image)[0]!)
      .sort()
      .slice(0, 3)
      .join(', ') + (list.length > 3 ? `, and ${list.length - 3} more` : '');
  return inUse.length > 0
    ? `its layers are part of images in use: ${names(inUse)}`
    : `its layers are part of other images: ${names(holders)}`;
}
