// `docker tidy images` and `docker tidy unused`: listings with exact, layer-aware sizes, sorted
// and filtered as docker's own listing cannot; with --contexts or --all-contexts, one listing of
// every host with a CONTEXT column, sorted across them. One recipe serves both.
import type { Outcome } from '../../core/outcome.js';
import { InputError } from '../../core/parse.js';
import { parseReferencePattern, type Pattern } from '../../core/patterns.js';
import { filterImages, sortImages, whyFreesNothing, type ImageFilter } from '../../core/select.js';
import type { Snapshot } from '../../core/snapshot.js';
import { orderAcrossHosts } from '../../core/hosts.js';
import { analyzeImages, reclaimableBytes, listedImages, type ImageUsage } from '../../core/usage.js';
import { formatBytes } from '../../core/units.js';
import { readSnapshot } from '../../docker/read-snapshot.js';
import { recordRemoteCopies } from '../../docker/registry.js';
import { UsageError } from '../../errors.js';
import { hostsDocument, imagesDocument, unusedDocument, type ImagesHostsDocumentV1, type UnusedHostsDocumentV1 } from '../../render/documents.js';
import { hostsCount, renderHostsImageTable } from '../../render/hosts.js';
import { renderImageIds, renderImageTable } from '../../render/images.js';
import { registryProgressOn } from '../../render/progress.js';
import type { CommandContext, ParsedArgs } from '../command.js';
import type { imagesOptions } from '../options.js';
import { imageFilter } from '../requests.js';
import { hostsOf, onHosts, outcomeOnHosts, readHosts, wantsHosts, type Host } from '../hosts.js';

type Flags = ParsedArgs<typeof imagesOptions>['flags'];

/** One host's listing: every image (for notes), and those the filters keep, in the order asked. */
interface Listed {
  snapshot: Snapshot;
  all: ImageUsage[];
  shown: ImageUsage[];
}

/** Lists images (`unusedOnly`: those no container uses, with what removing them all frees). */
export async function runListing(ctx: CommandContext, { flags, args, given }: ParsedArgs<typeof imagesOptions>, unusedOnly: boolean): Promise<Outcome> {
  const where = `docker tidy ${unusedOnly ? 'unused' : 'images'}`;
  const filter = imageFilter({ ...flags, unused: unusedOnly || flags.unused }, where, given);
  if (args[0] !== undefined) filter.reference = referenceArgument(args[0], where);
  if (wantsHosts(ctx, flags, where)) {
    if (flags.quiet) throw new UsageError('--quiet cannot be used with --contexts or --all-contexts: an image ID names an image on one host (use --json)', where);
    return listOnHosts(ctx, await hostsOf(ctx, flags), flags, filter, unusedOnly);
  }

  const { snapshot, all, shown: sorted } = await listOn(ctx, filter, flags);
  const shown = flags.limit === undefined ? sorted : sorted.slice(0, flags.limit);
  if (flags.quiet) {
    ctx.stdout.write(renderImageIds(shown));
    return 'ok';
  }
  const reclaimable = reclaimableBytes(snapshot, new Set(shown.map((u) => u.image.id)));
  const notes = unusedOnly ? notesFor(shown, all) : undefined;
  if (flags.json) {
    ctx.stdout.write(JSON.stringify(notes ? unusedDocument(shown, notes, reclaimable, snapshot.node) : imagesDocument(shown, snapshot.node)) + '\n');
    return 'ok';
  }
  let out = renderImageTable(shown, ctx.now, { ...(notes ? { notes } : {}), ...tableOptions(flags, filter) });
  if (unusedOnly) out += unusedLine(shown.length, reclaimable, shown.every((u) => u.exact), '');
  ctx.stdout.write(out);
  return 'ok';
}

/** One host's listing: snapshot -> (registries asked) -> filtered and sorted. */
async function listOn(ctx: CommandContext, filter: ImageFilter, flags: Flags): Promise<Listed> {
  const engine = await ctx.engine();
  const snapshot = await readSnapshot(engine, { usage: false });
  const store = snapshot.imageStore ?? 'classic';
  if (flags.checkRegistry) {
    // Ask about every image the other filters keep: --local-only then goes by the answers.
    const asked = filterImages(listedImages(analyzeImages(snapshot)), { ...filter, localOnly: false }).map((u) => u.image);
    await recordRemoteCopies(engine, asked, store, registryProgressOn(ctx.stderr));
  } else if (filter.localOnly && store === 'containerd') {
    ctx.stderr.write('warning: on the containerd image store every image has a digest: only --check-registry can tell which exist only on this host\n');
  }
  const all = analyzeImages(snapshot);
  return { snapshot, all, shown: sortImages(filterImages(listedImages(all), filter), flags.sort ?? 'size', flags.reverse) };
}

/** Every host's listing as one, sorted across hosts (--limit counts across them too), with a CONTEXT column. */
async function listOnHosts(ctx: CommandContext, hosts: Host[], flags: Flags, filter: ImageFilter, unusedOnly: boolean): Promise<Outcome> {
  const results = await onHosts(ctx, hosts, (hostCtx) => listOn(hostCtx, filter, flags));
  const read = readHosts(results);
  const order = orderAcrossHosts(
    read.map((r) => ({ context: r.host.context, images: r.value.shown })),
    flags.sort ?? 'size',
    flags.reverse,
    flags.limit,
  );
  const kept = new Set(order.map((i) => i.usage));
  // Each host's part: what it frees is its own (layers are shared within a host, never across).
  const parts = new Map(
    read.map(({ value }) => {
      const shown = value.shown.filter((u) => kept.has(u));
      const reclaimable = reclaimableBytes(value.snapshot, new Set(shown.map((u) => u.image.id)));
      return [value, { shown, reclaimable, notes: unusedOnly ? notesFor(shown, value.all) : new Map<string, string>() }] as const;
    }),
  );
  const reclaimable = [...parts.values()].reduce((s, p) => s + p.reclaimable, 0);
  const exact = order.every((i) => i.usage.exact);
  if (flags.json) {
    const part = (v: Listed) => parts.get(v)!;
    const doc: ImagesHostsDocumentV1 | UnusedHostsDocumentV1 = unusedOnly
      ? hostsDocument(results, (v) => unusedDocument(part(v).shown, part(v).notes, part(v).reclaimable, v.snapshot.node), { images: order.length, reclaimableBytes: reclaimable, exact })
      : hostsDocument(results, (v) => imagesDocument(part(v).shown, v.snapshot.node), { images: order.length });
    ctx.stdout.write(JSON.stringify(doc) + '\n');
    return outcomeOnHosts(results);
  }
  const noteOf = new Map([...parts.values()].flatMap((p) => p.shown.flatMap((u) => (p.notes.has(u.image.id) ? [[u, p.notes.get(u.image.id)!] as const] : []))));
  let out = renderHostsImageTable(order, results, ctx.now, { ...(unusedOnly ? { noteOf: (u: ImageUsage) => noteOf.get(u) } : {}), ...tableOptions(flags, filter) });
  if (unusedOnly) out += unusedLine(order.length, reclaimable, exact, ` on ${hostsCount(results)}`);
  ctx.stdout.write(out);
  return outcomeOnHosts(results);
}

function tableOptions(flags: Flags, filter: ImageFilter): { byName?: 'asc' | 'desc'; reference?: Pattern } {
  return {
    ...(flags.sort === 'name' ? { byName: flags.reverse ? ('desc' as const) : ('asc' as const) } : {}),
    ...(filter.reference ? { reference: filter.reference } : {}),
  };
}

// "7 unused images, 830kB reclaimable" (`where`: " on 2 contexts").
function unusedLine(n: number, reclaimable: number, exact: boolean, where: string): string {
  const line = `${n} unused image${n === 1 ? '' : 's'}${where}, ${exact ? '' : 'about '}${formatBytes(reclaimable, 4)} reclaimable`;
  return line + (exact ? '\n' : ' (an estimate: the daemon does not give exact figures for every image here)\n');
}

// REPOSITORY[:TAG] as docker image ls reads it; a bad pattern is a usage error.
function referenceArgument(text: string, where: string): Pattern {
  try {
    return parseReferencePattern(text);
  } catch (error) {
    if (error instanceof InputError) throw new UsageError(`invalid reference "${text}": ${error.message}`, where);
    throw error;
  }
}

// Why an image that frees nothing alone does so; with --check-registry, what the registry said
// when it is not a copy (rm and prune keep such an image and give the same words).
function notesFor(images: readonly ImageUsage[], all: readonly ImageUsage[]): Map<string, string> {
  const notes = new Map<string, string>();
  for (const u of images) {
    const said = [];
    if (u.uniqueBytes <= 0) {
      const reason = whyFreesNothing(u, all);
      said.push(reason ? `frees 0 bytes alone: ${reason}` : 'frees 0 bytes alone: its layers are shared');
    }
    const copy = u.image.remoteCopy;
    if (copy && copy.copy !== 'verified' && u.image.tags.length > 0) said.push(copy.detail);
    if (said.length) notes.set(u.image.id, said.join('; '));
  }
  return notes;
}
