// Planning `docker tidy rm`: what goes (untag or delete), what stays and why, in which order, and
// how many bytes it frees. Pure: the executor only carries the plan out.
import type { Pattern } from './parse.js';
import { filterImages, referencesOf, splitReference, type ImageFilter } from './select.js';
import { isActive, type Container, type Image, type Snapshot } from './snapshot.js';
import { analyzeImages, bytesFreedByDeleting, type ImageUsage } from './usage.js';

/** What the user asked to remove. */
export interface RemovalRequest {
  /** IMAGE arguments: name, name:tag, full or short ID, name@digest. */
  images: string[];
  /** --match: references (repository:tag) matching any of these. */
  match: Pattern[];
  /** --unused, --dangling, --older-than, --newer-than, --larger-than: narrow, or select alone. */
  filter: ImageFilter;
  /** --exclude: references matching any of these are kept. */
  exclude: Pattern[];
  /** --keep-last: the N newest images of each repository are kept. */
  keepLast?: number;
  /** --with-containers: remove stopped containers that use a selected image first. */
  withContainers: boolean;
  /** --include-local: remove images that exist only on this host. */
  includeLocal: boolean;
  /** --save DIR: save local-only images with `docker save` before removing them. */
  save: boolean;
}

/** One image the plan removes something of. */
export interface PlannedRemoval {
  image: Image;
  /** untag: some of its tags go, the image stays; delete: the image goes. */
  action: 'untag' | 'delete';
  /** The references to remove, in order: tags, or the ID for an untagged image. */
  refs: string[];
  /** Bytes this removal frees within the plan (each freed layer counted once, where it is freed). */
  bytes: number;
  /** Saved with `docker save` first (--save, local-only images). */
  save: boolean;
}

/** Something selected that stays, and why. */
export interface KeptImage {
  image: Image;
  /** The selected references that stay. */
  refs: string[];
  reason: string;
}

/** The whole plan, in execution order. */
export interface RemovalPlan {
  /** Containers removed first (--with-containers). */
  containers: Container[];
  /** Children before parents. */
  removals: PlannedRemoval[];
  kept: KeptImage[];
  /** Layer bytes the plan frees, plus the writable layers of the containers it removes. */
  estimatedBytes: number;
  /** False when the daemon's data cannot pin the bytes down (the containerd image store, unplaced layer sizes). */
  exact: boolean;
}

/** An IMAGE argument that names nothing (rm exits 1, like docker) or is ambiguous or malformed (125). */
export class ImageArgumentError extends Error {
  override name = 'ImageArgumentError';
  constructor(
    message: string,
    readonly kind: 'missing' | 'ambiguous' | 'invalid',
  ) {
    super(message);
  }
}

const ALL = 'all' as const;
type Selection = Map<string, Set<string> | typeof ALL>;

/** docker's normalisation of a name: docker.io/library/x, docker.io/x and library/x mean x; no tag means :latest. */
export function normalizeReference(ref: string): string {
  // "library" has no dot or colon, so it is never a registry host: library/x is Docker Hub's x.
  let name = ref.replace(/^(?:docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '');
  if (!name.includes('@') && splitReference(name).repository === name) name += ':latest';
  return name;
}

// Docker's reference grammar, simplified: lowercase path components, optional host[:port],
// optional :tag and @digest.
const REFERENCE =
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;

/** Finds what one IMAGE argument names: a tag, or a whole image (ID, short ID, digest). */
export function resolveImageArgument(images: readonly Image[], arg: string): { id: string; ref?: string } {
  const hex = /^(?:sha256:)?([0-9a-f]{1,64})$/.exec(arg);
  const looksLikeName = REFERENCE.test(arg);
  if (looksLikeName) {
    const ref = normalizeReference(arg);
    if (ref.includes('@')) {
      const image = images.find((i) => i.digests.some((d) => normalizeReference(d) === ref));
      if (image) return { id: image.id };
    } else {
      const image = images.find((i) => i.tags.includes(ref));
      if (image) return { id: image.id, ref };
    }
  }
  if (hex) {
    const matches = images.filter((i) => i.id.slice('sha256:'.length).startsWith(hex[1]!));
    if (matches.length === 1) return { id: matches[0]!.id };
    if (matches.length > 1) throw new ImageArgumentError(`ambiguous image ID "${arg}": it starts ${matches.length} image IDs`, 'ambiguous');
  }
  if (!looksLikeName && !hex) {
    const lower = arg.toLowerCase() !== arg && REFERENCE.test(arg.toLowerCase());
    throw new ImageArgumentError(
      lower ? `invalid reference format: repository name "${arg}" must be lowercase` : `invalid reference format: "${arg}"`,
      'invalid',
    );
  }
  throw new ImageArgumentError(`No such image: ${arg}`, 'missing');
}

/** Plans the removal `request` describes on `snapshot`. Throws ImageArgumentError for bad IMAGE arguments. */
export function planRemoval(snapshot: Snapshot, request: RemovalRequest): RemovalPlan {
  const usage = analyzeImages(snapshot);
  const byId = new Map(usage.map((u) => [u.image.id, u]));
  const kept: KeptImage[] = [];
  const selection = select(usage, request);

  // Protections: --exclude, then --keep-last, drop references from the selection.
  const drop = (id: string, refs: string[], reason: string): void => {
    const current = selection.get(id);
    if (!current || refs.length === 0) return;
    const image = byId.get(id)!.image;
    const set = current === ALL ? new Set(image.tags.length ? image.tags : referencesOf(image)) : current;
    const dropped = refs.filter((r) => set.has(r));
    for (const r of dropped) set.delete(r);
    if (dropped.length) kept.push({ image, refs: dropped, reason });
    if (set.size === 0) selection.delete(id);
    else selection.set(id, set);
  };
  if (request.exclude.length) {
    for (const [id] of selection) {
      const refs = referencesOf(byId.get(id)!.image).filter((r) => request.exclude.some((re) => re.test(r)));
      drop(id, refs, 'excluded by --exclude');
    }
  }
  if (request.keepLast !== undefined) {
    const byRepo = new Map<string, Image[]>();
    for (const { image } of usage) {
      for (const tag of image.tags) {
        const repo = splitReference(tag).repository;
        const list = byRepo.get(repo) ?? [];
        if (!list.includes(image)) list.push(image);
        byRepo.set(repo, list);
      }
    }
    for (const [repo, list] of byRepo) {
      const newest = [...list].sort((a, b) => b.created - a.created || (a.id < b.id ? -1 : 1)).slice(0, request.keepLast);
      for (const image of newest) {
        const refs = image.tags.filter((t) => splitReference(t).repository === repo);
        drop(image.id, refs, `one of the ${request.keepLast} newest images of ${repo} (--keep-last)`);
      }
    }
  }

  // Safety: decide per image whether its selected references can go.
  const removals: PlannedRemoval[] = [];
  const containers: Container[] = [];
  for (const [id, sel] of selection) {
    const u = byId.get(id)!;
    const image = u.image;
    const refs = sel === ALL ? (image.tags.length ? [...image.tags] : [image.id]) : [...sel];
    const deletes = sel === ALL || image.tags.every((t) => sel.has(t));
    const active = u.containers.filter(isActive);
    if (active.length) {
      kept.push({ image, refs, reason: `used by running container${plural(active)} ${names(active)}` });
      continue;
    }
    if (!deletes) {
      removals.push({ image, action: 'untag', refs, bytes: 0, save: false });
      continue;
    }
    if (u.containers.length && !request.withContainers) {
      kept.push({
        image,
        refs,
        reason: `used by stopped container${plural(u.containers)} ${names(u.containers)} (--with-containers removes them)`,
      });
      continue;
    }
    if (u.localOnly && !request.includeLocal && !request.save) {
      const reason =
        snapshot.imageStore === 'containerd' && image.digests.length > 0
          ? 'may exist only on this host (the containerd image store does not say whether it was pushed or pulled)'
          : 'exists only on this host (never pushed or pulled)';
      kept.push({ image, refs, reason: `${reason}; --save DIR or --include-local to remove it` });
      continue;
    }
    containers.push(...u.containers);
    removals.push({ image, action: 'delete', refs, bytes: 0, save: u.localOnly && request.save });
  }

  orderChildrenFirst(removals, snapshot.images);
  const deleteIds = new Set(removals.filter((r) => r.action === 'delete').map((r) => r.image.id));
  attributeBytes(removals, snapshot.images, deleteIds);
  const containerBytes = containers.reduce((s, c) => s + Math.max(0, c.sizeRw), 0);
  return {
    containers,
    removals,
    kept,
    estimatedBytes: bytesFreedByDeleting(snapshot.images, deleteIds) + containerBytes,
    exact: removals.every((r) => r.action === 'untag' || byId.get(r.image.id)!.exact) && containers.every((c) => c.sizeRw >= 0),
  };
}

/** Whether a request selects anything at all (IMAGE, --match, or a filter used alone). */
export function requestSelects(request: RemovalRequest): boolean {
  const f = request.filter;
  return (
    request.images.length > 0 ||
    request.match.length > 0 ||
    Boolean(f.dangling || f.unused || f.localOnly) ||
    f.olderThan !== undefined ||
    f.newerThan !== undefined ||
    f.largerThan !== undefined
  );
}

function select(usage: ImageUsage[], request: RemovalRequest): Selection {
  const selection: Selection = new Map();
  const images = usage.map((u) => u.image);
  const add = (id: string, ref?: string): void => {
    const current = selection.get(id);
    if (current === ALL) return;
    if (ref === undefined) selection.set(id, ALL);
    else selection.set(id, new Set([...(current ?? []), ref]));
  };
  const errors: ImageArgumentError[] = [];
  for (const arg of request.images) {
    try {
      const { id, ref } = resolveImageArgument(images, arg);
      add(id, ref);
    } catch (error) {
      if (!(error instanceof ImageArgumentError)) throw error;
      errors.push(error);
    }
  }
  if (errors.length) {
    // Malformed or ambiguous arguments are usage errors; names that match nothing are reported together.
    const worst = errors.find((e) => e.kind !== 'missing') ?? errors[0]!;
    throw new ImageArgumentError(errors.filter((e) => e.kind === worst.kind).map((e) => e.message).join('\n'), worst.kind);
  }
  for (const u of usage) {
    for (const ref of referencesOf(u.image)) {
      if (!request.match.some((re) => re.test(ref))) continue;
      // Untagged images are listed as <none>:<none> or repo:<none>: matching one selects the image.
      add(u.image.id, u.image.tags.includes(ref) ? ref : undefined);
    }
  }
  const narrowed = new Set(filterImages(usage, request.filter).map((u) => u.image.id));
  if (request.images.length === 0 && request.match.length === 0) {
    for (const id of narrowed) add(id);
  } else {
    for (const id of [...selection.keys()]) if (!narrowed.has(id)) selection.delete(id);
  }
  return selection;
}

// Children before parents: a child holds all of its parent's layers, so more layers (then a
// deeper parent chain) goes first.
function orderChildrenFirst(removals: PlannedRemoval[], images: readonly Image[]): void {
  const parent = new Map(images.map((i) => [i.id, i.parentId]));
  const depth = (id: string): number => {
    let d = 0;
    for (let p = parent.get(id); p && d < 1000; p = parent.get(p)) d++;
    return d;
  };
  removals.sort(
    (a, b) => b.image.layers.length - a.image.layers.length || depth(b.image.id) - depth(a.image.id) || (a.image.id < b.image.id ? -1 : 1),
  );
}

/**
 * Each freed layer's bytes go to the removal that really frees it: the last one (in execution
 * order) of the images holding it, since the layer goes only when its last holder does.
 */
export function attributeBytes(removals: PlannedRemoval[], images: readonly Image[], deleteIds: ReadonlySet<string>): void {
  const kept = new Set<string>();
  for (const image of images) if (!deleteIds.has(image.id)) for (const l of image.layers) kept.add(l.chainId);
  const counted = new Set<string>();
  for (const r of [...removals].reverse()) {
    if (r.action !== 'delete') continue;
    for (const l of r.image.layers) {
      if (kept.has(l.chainId) || counted.has(l.chainId)) continue;
      counted.add(l.chainId);
      r.bytes += l.size;
    }
  }
}

function plural(list: readonly unknown[]): string {
  return list.length === 1 ? '' : 's';
}

function names(containers: readonly Container[]): string {
  const shown = containers.slice(0, 5).map((c) => c.name);
  return shown.join(', ') + (containers.length > 5 ? ` and ${containers.length - 5} more` : '');
}
