// Planning `docker tidy rm`: what goes (untag or delete), what stays and why, in which order, and
// how many bytes it frees. Pure: the executor only carries the plan out.
import type { Pattern } from './patterns.js';
import { ImageStoreModel, RemovalReplay } from './image-store.js';
import { containerBytes, logsUnknown } from './logs.js';
import { referenceOf, repositoryOf, type Reference } from './reference.js';
import { copyDecision, needsAsking, type CopyDecision } from './remote-copy.js';
import { filterImages, referencesOf, splitReference, type ImageFilter } from './select.js';
import { isActive, type BuildCacheRecord, type Container, type Image, type Snapshot, type SnapshotNeeds } from './snapshot.js';
import { analyzeImages, childrenFirst, listedImages, type ImageUsage } from './usage.js';

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
  /** The references to remove, in order; the last one deletes the image when the action is delete. */
  refs: Reference[];
  /** Bytes this removal frees within the plan (each freed layer counted once, where it is freed). */
  bytes: number;
  /** Bytes of the layers it frees from the images that stay on disk in the build cache (BuildKit). */
  cachedBytes: number;
  /** Saved with `docker save` first (--save, local-only images). */
  save: boolean;
  /** Why its copy in a registry was not verified, when it goes without (classic store: its RepoDigest counts). */
  note?: string;
}

/** Something selected that stays, and why. */
export interface KeptImage {
  image: Image;
  /** The selected names that stay, as listings show them ("repo:tag", "repo:<none>", "<none>:<none>"). */
  shown: string[];
  reason: string;
  /** Kept only because its registry was not asked: nothing in the plan needed to delete it. */
  unasked?: true;
}

/** The whole plan, in execution order. */
export interface RemovalPlan {
  /** Containers removed first (--with-containers). */
  containers: Container[];
  /** Children before parents. */
  removals: PlannedRemoval[];
  kept: KeptImage[];
  /** Full image IDs given as IMAGE that no image has any more: already gone, nothing to do. */
  gone: string[];
  /** Layer bytes the plan frees, plus the writable layers and log files of the containers it removes. */
  estimatedBytes: number;
  /**
   * Bytes the removed images leave on disk in the build cache (the layers BuildKit built them
   * with), which `docker tidy prune --build-cache` frees; not in estimatedBytes.
   */
  cachedBytes: number;
  /** The shared build-cache records that become the cache's own when the plan is done (classic store). */
  cachedRecords: BuildCacheRecord[];
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
/** Per image ID: the references selected (or all of them), and whether a name, ID or --match chose it. */
type Selection = Map<string, { refs: Set<string> | typeof ALL; byName: boolean }>;

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

/**
 * What rm reads: container sizes and logs only when containers go too (GET /system/df is slow on
 * big hosts); the build cache, whose records say which layers stay on disk when an image goes.
 */
export function removalNeeds(request: RemovalRequest): SnapshotNeeds {
  return { usage: request.withContainers, buildCache: true, logs: request.withContainers };
}

/** Plans the removal `request` describes on `snapshot`. Throws ImageArgumentError for bad IMAGE arguments. */
export function planRemoval(snapshot: Snapshot, request: RemovalRequest): RemovalPlan {
  const usage = analyzeImages(snapshot);
  const byId = new Map(usage.map((u) => [u.image.id, u]));
  const kept: KeptImage[] = [];
  const gone: string[] = [];
  const selection = select(usage, request, gone);

  // Protections: --exclude, then --keep-last, drop references from the selection.
  const drop = (id: string, refs: string[], reason: string): void => {
    const current = selection.get(id);
    if (!current || refs.length === 0) return;
    const image = byId.get(id)!.image;
    const set = current.refs === ALL ? new Set(referencesOf(image)) : current.refs;
    const dropped = refs.filter((r) => set.has(r));
    for (const r of dropped) set.delete(r);
    if (dropped.length) kept.push({ image, shown: dropped, reason });
    if (set.size === 0) selection.delete(id);
    else selection.set(id, { ...current, refs: set });
  };
  if (request.exclude.length) {
    for (const [id] of selection) {
      const refs = referencesOf(byId.get(id)!.image).filter((r) => request.exclude.some((re) => re.test(r)));
      drop(id, refs, 'excluded by --exclude');
    }
  }
  if (request.keepLast !== undefined) {
    // A repository's images: those tagged in it, and those pulled into it by digest only.
    const byRepo = new Map<string, Image[]>();
    for (const { image, intermediate } of usage) {
      if (intermediate) continue;
      for (const repo of new Set([...image.tags, ...image.digests].map(repositoryOf))) {
        const list = byRepo.get(repo) ?? [];
        list.push(image);
        byRepo.set(repo, list);
      }
    }
    for (const [repo, list] of byRepo) {
      const newest = [...list].sort((a, b) => b.created - a.created || (a.id < b.id ? -1 : 1)).slice(0, request.keepLast);
      for (const image of newest) {
        const refs = referencesOf(image).filter((r) => repositoryOf(r) === repo || (r.endsWith(':<none>') && r.slice(0, -':<none>'.length) === repo));
        const which = request.keepLast === 1 ? 'the newest image' : `one of the ${request.keepLast} newest images`;
        drop(image.id, refs, `${which} of ${repo} (--keep-last ${request.keepLast})`);
      }
    }
  }

  // Safety: what may go of each selected image, before anything is simulated.
  const candidates: Candidate[] = [];
  for (const [id, sel] of selection) {
    const u = byId.get(id)!;
    const image = u.image;
    const wantsAll = sel.refs === ALL || image.tags.every((t) => sel.refs !== ALL && sel.refs.has(t));
    const shown = sel.refs === ALL ? referencesOf(image) : [...sel.refs];
    const active = u.containers.filter(isActive);
    if (active.length) {
      kept.push({ image, shown, reason: `used by running container${plural(active)} ${names(active)}` });
      continue;
    }
    if (wantsAll && u.containers.length && !request.withContainers) {
      kept.push({ image, shown, reason: `used by stopped container${plural(u.containers)} ${names(u.containers)} (--with-containers removes them)` });
      continue;
    }
    // Deleting it for good: is there another copy (core/remote-copy.ts)? An image whose registry
    // was not asked (nothing would delete it) is kept below only if it turns out it would go.
    const copy: CopyDecision = wantsAll ? copyDecision(image, snapshot.imageStore ?? 'classic') : { keep: false };
    const protect = copy.keep && !request.includeLocal && !request.save ? copy.reason : undefined;
    const unasked = protect !== undefined && needsAsking(image);
    if (protect && !unasked) {
      kept.push({ image, shown, reason: `${protect}; --save DIR or --include-local to remove it` });
      continue;
    }
    const refs = wantsAll ? referencesToDelete(image) : [...(sel.refs as Set<string>)].map(referenceOf);
    candidates.push({
      usage: u,
      refs,
      shown,
      wantsAll,
      byName: sel.byName,
      save: copy.keep && request.save,
      ...(!copy.keep && copy.note ? { note: copy.note } : {}),
      ...(unasked ? { protect } : {}),
    });
  }
  const ordered = childrenFirstBy(candidates, (c) => c.usage.image, snapshot.images);

  // First pass: which images really go, with every container they need gone. An image that would
  // only lose its names (images built on it stay) keeps its containers, and is kept itself when it
  // was selected only by a filter: that would free nothing.
  const trial = new ImageStoreModel(snapshot.images, snapshot.containers);
  for (const c of ordered) if (c.wantsAll && request.withContainers) for (const container of c.usage.containers) trial.removeContainer(container);
  const goes = new Set<string>();
  for (const c of ordered) for (const ref of c.refs) for (const id of trial.remove(c.usage.image.id, ref).deleted) goes.add(id);

  // Second pass, for real: containers first, then the images, children first.
  const containers = ordered.filter((c) => c.wantsAll && goes.has(c.usage.image.id)).flatMap((c) => c.usage.containers);
  const replay = new RemovalReplay(snapshot, containers);
  const removals: PlannedRemoval[] = [];
  for (const c of ordered) {
    const { image } = c.usage;
    const { shown } = c;
    if (c.wantsAll && !goes.has(image.id) && (!c.byName || c.usage.containers.length > 0)) {
      const built = replay.model.childIds(image.id).map((id) => replay.model.nameOf(id));
      const reason = built.length
        ? `image${plural(built)} ${built.slice(0, 3).join(', ')}${built.length > 3 ? ` and ${built.length - 3} more` : ''} ${built.length === 1 ? 'is' : 'are'} built on it and stay${built.length === 1 ? 's' : ''}: removing its names would free nothing`
        : `it would not be deleted: ${replay.model.remove(image.id, { kind: 'id', name: image.id }).refused ?? 'something else still holds it'}`;
      kept.push({ image, shown, reason });
      continue;
    }
    if (c.protect !== undefined && goes.has(image.id)) {
      kept.push({ image, shown, reason: `${c.protect}; --save DIR or --include-local to remove it`, unasked: true });
      continue;
    }
    const step = replay.apply(image, c.refs);
    if (step.done.length === 0) {
      kept.push({ image, shown, reason: `docker would refuse: ${step.refused ?? 'nothing to remove'}` });
      continue;
    }
    const deletes = step.action === 'delete';
    removals.push({ image, action: step.action, refs: step.done, bytes: step.bytes, cachedBytes: step.cachedBytes, save: deletes && c.save, ...(deletes && c.note ? { note: c.note } : {}) });
  }
  const containersFree = containers.reduce((s, c) => s + containerBytes(c), 0);
  return {
    containers,
    removals,
    kept,
    gone,
    cachedBytes: removals.reduce((s, r) => s + r.cachedBytes, 0),
    cachedRecords: replay.cachedRecords,
    estimatedBytes: removals.reduce((s, r) => s + r.bytes, 0) + containersFree,
    exact:
      removals.every((r) => r.action === 'untag' || byId.get(r.image.id)!.exact) && containers.every((c) => c.sizeRw >= 0) && !(containers.length && logsUnknown(snapshot)),
  };
}

/** A selected image that passed the protections, with the references to remove in order. */
interface Candidate {
  usage: ImageUsage;
  refs: Reference[];
  /** The selected names, as listings show them. */
  shown: string[];
  /** Every tag of it was selected: the user wants the image gone, not renamed. */
  wantsAll: boolean;
  /** Selected by name, ID or --match, not only by a filter. */
  byName: boolean;
  save: boolean;
  /** Its copy was not verified (classic store): said beside its removal. */
  note?: string;
  /** Kept for this reason if it turns out to be deleted: its registry was not asked (nothing was expected to delete it). */
  protect?: string;
}

/**
 * The references whose removal deletes the image, the deleting one last: its tags (each takes
 * the digests of its repository along), and the digests of repositories it has no tag in, which
 * would otherwise keep it (as `docker image prune` removes them); its ID when it has no name.
 */
export function referencesToDelete(image: Image): Reference[] {
  const tagRepos = new Set(image.tags.map((t) => repositoryOf(t)));
  const digests = image.digests.filter((d) => !tagRepos.has(repositoryOf(d)));
  const refs: Reference[] = [...digests.map((name) => ({ kind: 'digest' as const, name })), ...image.tags.map((name) => ({ kind: 'tag' as const, name }))];
  return refs.length > 0 ? refs : [{ kind: 'id', name: image.id }];
}

/** The IDs of the images a plan deletes (not those it only untags). */
export function imagesDeleted(plan: Pick<RemovalPlan, 'removals'>): string[] {
  return plan.removals.filter((r) => r.action === 'delete').map((r) => r.image.id);
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

function select(usage: ImageUsage[], request: RemovalRequest, gone: string[]): Selection {
  const selection: Selection = new Map();
  const images = usage.map((u) => u.image);
  const add = (id: string, byName: boolean, ref?: string): void => {
    const current = selection.get(id);
    if (current?.refs === ALL) return;
    if (ref === undefined) selection.set(id, { refs: ALL, byName: byName || current?.byName === true });
    else selection.set(id, { refs: new Set([...(current?.refs ?? []), ref]), byName: byName || current?.byName === true });
  };
  const errors: ImageArgumentError[] = [];
  for (const arg of request.images) {
    // A full image ID names exactly one image: when none has it, it is gone already (a rerun of a
    // run that was cut short), not a mistake.
    const full = /^(?:sha256:)?([0-9a-f]{64})$/.exec(arg);
    if (full && !images.some((i) => i.id === `sha256:${full[1]}`)) {
      gone.push(`sha256:${full[1]}`);
      continue;
    }
    try {
      const { id, ref } = resolveImageArgument(images, arg);
      add(id, true, ref);
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
  // Patterns and filters see the images docker image ls lists; an intermediate image goes with
  // the images built on it, or by its ID.
  const listed = listedImages(usage);
  for (const u of listed) {
    for (const ref of referencesOf(u.image)) {
      if (!request.match.some((re) => re.test(ref))) continue;
      // Untagged images are listed as <none>:<none> or repo:<none>: matching one selects the image.
      add(u.image.id, true, u.image.tags.includes(ref) ? ref : undefined);
    }
  }
  if (request.images.length === 0 && request.match.length === 0) {
    for (const u of filterImages(listed, request.filter)) add(u.image.id, false);
  } else {
    const narrowed = new Set(filterImages(usage, request.filter).map((u) => u.image.id));
    for (const id of [...selection.keys()]) if (!narrowed.has(id)) selection.delete(id);
  }
  return selection;
}

/** `list` ordered children first (see childrenFirst), by the image each item is about. */
function childrenFirstBy<T>(list: readonly T[], imageOf: (t: T) => Image, all: readonly Image[]): T[] {
  const byImage = new Map(list.map((t) => [imageOf(t), t]));
  return childrenFirst([...byImage.keys()], all).map((i) => byImage.get(i)!);
}

function plural(list: readonly unknown[]): string {
  return list.length === 1 ? '' : 's';
}

function names(containers: readonly Container[]): string {
  const shown = containers.slice(0, 5).map((c) => c.name);
  return shown.join(', ') + (containers.length > 5 ? ` and ${containers.length - 5} more` : '');
}
