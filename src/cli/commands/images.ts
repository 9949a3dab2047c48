// `docker tidy images` (alias `ls`) and `docker tidy unused`: listings with exact, layer-aware
// sizes, sorted and filtered as docker's own listing cannot.
import type { ImageUsage } from '../../core/usage.js';
import { UsageError } from '../../errors.js';
import type { CommandContext, CommandSpec, Flags } from '../command.js';
import { imageFilterOptions, jsonOption, listingOptions, quietOption } from '../options.js';

async function runListing(ctx: CommandContext, flags: Flags, args: string[], unusedOnly: boolean): Promise<number> {
  const where = `docker tidy ${unusedOnly ? 'unused' : 'images'}`;
  if (args.length > 1) throw new UsageError(`"${where}" requires at most 1 argument`, where);
  const [{ imageFilterFromFlags, listingFromFlags, referenceArgument }, { analyzeImages, bytesFreedByRemovingImages, listedImages }, select, { readSnapshot }] = await Promise.all([
    import('../flag-values.js'),
    import('../../core/usage.js'),
    import('../../core/select.js'),
    import('../../docker/read-snapshot.js'),
  ]);
  // Every flag is checked before docker is asked anything.
  const filter = imageFilterFromFlags(flags, where, ctx.now);
  if (unusedOnly) filter.unused = true;
  if (args[0] !== undefined) filter.reference = referenceArgument(args[0], where);
  const listing = listingFromFlags(flags, where);

  const snapshot = await readSnapshot(await ctx.engine(), { usage: false });
  const all = analyzeImages(snapshot);
  let images = select.sortImages(select.filterImages(listedImages(all), filter), listing.sort, listing.reverse);
  if (listing.limit !== undefined) images = images.slice(0, listing.limit);

  if (flags.quiet) {
    const { renderImageIds } = await import('../../render/images.js');
    ctx.stdout.write(renderImageIds(images));
    return 0;
  }
  const reclaimable = bytesFreedByRemovingImages(snapshot, new Set(images.map((u) => u.image.id)));
  const notes = unusedOnly ? notesFor(images, all, select.whyFreesNothing) : undefined;
  const exact = images.every((u) => u.exact);
  if (flags.json) {
    const { imageJson, SCHEMA_VERSION } = await import('../../render/json.js');
    const doc: Record<string, unknown> = {
      schemaVersion: SCHEMA_VERSION,
      images: images.map((u) => (notes?.has(u.image.id) ? { ...imageJson(u), note: notes.get(u.image.id) } : imageJson(u))),
    };
    if (unusedOnly) {
      doc.reclaimableBytes = reclaimable;
      doc.exact = exact;
    }
    ctx.stdout.write(JSON.stringify(doc) + '\n');
    return 0;
  }
  const { renderImageTable } = await import('../../render/images.js');
  let out = renderImageTable(images, ctx.now, {
    ...(notes ? { notes } : {}),
    ...(listing.sort === 'name' ? { byName: listing.reverse ? ('desc' as const) : ('asc' as const) } : {}),
    ...(filter.reference ? { reference: filter.reference } : {}),
  });
  if (unusedOnly) {
    const { formatBytes } = await import('../../core/units.js');
    out += `${images.length} unused image${images.length === 1 ? '' : 's'}, ${exact ? '' : 'about '}${formatBytes(reclaimable, 4)} reclaimable`;
    out += exact ? '\n' : ' (an estimate: the daemon does not give exact figures for every image here)\n';
  }
  ctx.stdout.write(out);
  return 0;
}

function notesFor(
  images: readonly ImageUsage[],
  all: readonly ImageUsage[],
  why: (u: ImageUsage, all: readonly ImageUsage[]) => string | undefined,
): Map<string, string> {
  const notes = new Map<string, string>();
  for (const u of images) {
    if (u.uniqueBytes > 0) continue;
    const reason = why(u, all);
    notes.set(u.image.id, reason ? `frees 0 bytes alone: ${reason}` : 'frees 0 bytes alone: its layers are shared');
  }
  return notes;
}

export const imagesCommand: CommandSpec = {
  name: 'images',
  aliases: ['ls'],
  summary: 'List images with exact sizes, sorted and filtered',
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  positional: true,
  description:
    'List images with exact sizes, one row per reference, largest first.\n\n' +
    'UNIQUE is what removing the image alone frees: the bytes of layers no other image holds.\n' +
    'Filters combine with AND. --match and --exclude test regular expressions against\n' +
    '"repository:tag" (an untagged image is "<none>:<none>"), anywhere in it unless anchored (^, $).\n' +
    'Patterns are RE2 syntax, as in Go\'s regexp: no backreferences or lookaround, matched in\n' +
    'linear time; an empty pattern is refused.',
  options: {
    ...imageFilterOptions,
    unused: { type: 'boolean', describe: 'Only images that no container (running or stopped) uses' },
    'local-only': { type: 'boolean', describe: 'Only tagged images that were never pushed or pulled (no digest)' },
    ...listingOptions,
    ...quietOption,
    ...jsonOption,
  },
  run: (ctx, flags, args) => runListing(ctx, flags, args, false),
};

export const unusedCommand: CommandSpec = {
  name: 'unused',
  summary: 'List the images no container uses, and what removing them frees',
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  positional: true,
  description:
    'List the images that no container, running or stopped, uses (by image ID), and exactly how\n' +
    'many bytes removing them all would free: a layer another image still holds frees nothing, a\n' +
    'layer shared only by these images counts once.',
  options: {
    ...imageFilterOptions,
    'local-only': { type: 'boolean', describe: 'Only tagged images that were never pushed or pulled (no digest)' },
    ...listingOptions,
    ...quietOption,
    ...jsonOption,
  },
  run: (ctx, flags, args) => runListing(ctx, flags, args, true),
};
