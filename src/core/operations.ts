// A plan as the executor sees it: typed operations, each with the operations it must wait for
// and the bytes it frees. The planners decide everything here (what, in which order, with what
// effect); the executor only walks the graph (src/docker/execute.ts), as docker/compose's
// executor walks its plan.
import { containerBytes } from './logs.js';
import type { PlannedRemoval, RemovalPlan } from './plan-removal.js';
import type { Reference } from './reference.js';
import type { BuildCacheRecord, Container, Image, Network, Volume } from './snapshot.js';

/** One thing to do to the daemon. */
export type Operation =
  | { kind: 'remove-container'; container: Container; bytes: number }
  /** `docker save` of an image that exists only here, into `file` (a name within the --save directory). */
  | { kind: 'save-image'; image: Image; file: string }
  /** A reference whose removal leaves the image (another name still holds it): 0 bytes. */
  | { kind: 'untag'; image: Image; ref: Reference }
  /** The reference whose removal deletes the image (and parents pruned with it). */
  | { kind: 'delete-image'; image: Image; ref: Reference; bytes: number }
  | { kind: 'remove-network'; network: Network }
  | { kind: 'remove-volume'; volume: Volume; bytes: number }
  | { kind: 'prune-build-cache'; record: BuildCacheRecord; bytes: number }
  /** Reads the build cache again once the images are gone: which records they left as its own. */
  | { kind: 'read-build-cache' };

/** An operation and those it waits for (by index in the plan's list). */
export interface Step {
  op: Operation;
  after: number[];
  /** Steps it only goes after, done or not: their failure does not stop it. */
  orderAfter?: number[];
  /** The removal of the rm plan this step is part of, for reporting by image. */
  removal?: PlannedRemoval;
}

/** What the executor may do at once. */
export const CONCURRENCY = 4;

/** The tar file name for an image saved with --save: its first tag made safe, and its short ID, so two images never share one. */
export function tarName(image: Image): string {
  const id = image.id.replace(/^sha256:/, '').slice(0, 12);
  const tag = image.tags[0];
  return (tag ? `${tag.replace(/[^A-Za-z0-9._-]+/g, '_')}-${id}` : id) + '.tar';
}

/**
 * The steps of a removal plan: containers first; each image's save, then its names, then the
 * removal that deletes it, after every planned removal of an image built on it (children first)
 * and after the deletion of the previous image with the same parent (siblings one by one). Only a
 * child by the parent link stops it by failing; images that only hold its layers, and siblings,
 * go before it in order only. An image's names go one after another.
 * `into` collects the steps (prune adds its own after them).
 */
export function removalSteps(plan: RemovalPlan, into: Step[] = []): Step[] {
  const containerStep = new Map<string, number>();
  for (const container of plan.containers) {
    containerStep.set(container.id, into.length);
    into.push({ op: { kind: 'remove-container', container, bytes: containerBytes(container) }, after: [] });
  }
  const lastStep = new Map<PlannedRemoval, number>();
  const lastDeleteOnParent = new Map<string, number>();
  const builtOn = dependents(plan.removals);
  for (const removal of plan.removals) {
    const { image } = removal;
    const before = plan.containers.filter((c) => c.imageId === image.id).map((c) => containerStep.get(c.id)!);
    if (removal.save) {
      before.push(into.length);
      into.push({ op: { kind: 'save-image', image, file: tarName(image) }, after: [], removal });
    }
    const refs = removal.refs;
    const names: number[] = [];
    // One name at a time: the containerd store decides what an image's last names leave behind
    // (a dangling record for an image built on) without a lock, and two at once lose it.
    refs.forEach((ref, i) => {
      const deletes = removal.action === 'delete' && i === refs.length - 1;
      if (deletes) return;
      const previous = names[names.length - 1];
      names.push(into.length);
      into.push({ op: { kind: 'untag', image, ref }, after: [...before, ...(previous === undefined ? [] : [previous])], removal });
    });
    if (removal.action === 'delete') {
      // An image whose parent link names this one must be gone first, or the daemon refuses this
      // one; one that only holds its layers goes first so that the bytes go as planned, in order only.
      const children = (builtOn.get(removal) ?? []).filter((r) => r.image.parentId === image.id).map((r) => lastStep.get(r)!);
      const holders = (builtOn.get(removal) ?? []).filter((r) => r.image.parentId !== image.id).map((r) => lastStep.get(r)!);
      // Deleting an image also deletes its untagged parent once no other image is built on it. The
      // containerd store decides that without a lock: two children deleted at once each see the
      // other and leave the parent behind, dangling. So images with the same parent go one by one.
      const sibling = image.parentId ? lastDeleteOnParent.get(image.parentId) : undefined;
      if (image.parentId) lastDeleteOnParent.set(image.parentId, into.length);
      lastStep.set(removal, into.length);
      into.push({
        op: { kind: 'delete-image', image, ref: refs[refs.length - 1]!, bytes: removal.bytes },
        after: [...before, ...names, ...children],
        ...(sibling === undefined && holders.length === 0 ? {} : { orderAfter: [...holders, ...(sibling === undefined ? [] : [sibling])] }),
        removal,
      });
    } else {
      lastStep.set(removal, names[names.length - 1]!);
    }
  }
  return into;
}

/**
 * For each removal, the earlier planned removals of images built on its image (they hold its top
 * layer, with more layers; or the same layers, planned first: a metadata-only child).
 */
function dependents(removals: readonly PlannedRemoval[]): Map<PlannedRemoval, PlannedRemoval[]> {
  const holders = new Map<string, PlannedRemoval[]>();
  for (const r of removals) {
    for (const layer of r.image.layers) {
      const list = holders.get(layer.chainId) ?? [];
      list.push(r);
      holders.set(layer.chainId, list);
    }
  }
  const position = new Map(removals.map((r, i) => [r, i]));
  const result = new Map<PlannedRemoval, PlannedRemoval[]>();
  for (const r of removals) {
    const top = r.image.layers[r.image.layers.length - 1];
    const children = (top ? (holders.get(top.chainId) ?? []) : []).filter(
      (other) =>
        other !== r &&
        other.action === 'delete' &&
        (other.image.layers.length > r.image.layers.length || (other.image.layers.length === r.image.layers.length && position.get(other)! < position.get(r)!)),
    );
    // Images whose parent link names this one, as the legacy builder records it.
    for (const other of removals) {
      if (other !== r && other.action === 'delete' && other.image.parentId === r.image.id && position.get(other)! < position.get(r)! && !children.includes(other)) children.push(other);
    }
    result.set(r, children);
  }
  return result;
}
