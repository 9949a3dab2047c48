// `docker tidy images` and `docker tidy unused`: listings with exact, layer-aware sizes, sorted
// and filtered as docker's own listing cannot. One recipe serves both.
import type { Outcome } from '../../core/outcome.js';
import { InputError } from '../../core/parse.js';
import { parseReferencePattern, type Pattern } from '../../core/patterns.js';
import { filterImages, sortImages, whyFreesNothing } from '../../core/select.js';
import { analyzeImages, reclaimableBytes, listedImages, type ImageUsage } from '../../core/usage.js';
import { formatBytes } from '../../core/units.js';
import { readSnapshot } from '../../docker/read-snapshot.js';
import { recordRemoteCopies } from '../../docker/registry.js';
import { UsageError } from '../../errors.js';
import { imagesDocument, unusedDocument } from '../../render/documents.js';
import { renderImageIds, renderImageTable } from '../../render/images.js';
import { registryProgressOn } from '../../render/progress.js';
import type { CommandContext, ParsedArgs } from '../command.js';
import type { imagesOptions } from '../options.js';
import { imageFilter } from '../requests.js';

/** Lists images (`unusedOnly`: those no container uses, with what removing them all frees). */
export async function runListing(ctx: CommandContext, { flags, args, given }: ParsedArgs<typeof imagesOptions>, unusedOnly: boolean): Promise<Outcome> {
  const where = `docker tidy ${unusedOnly ? 'unused' : 'images'}`;
  const filter = imageFilter({ ...flags, unused: unusedOnly || flags.unused }, where, given);
  if (args[0] !== undefined) filter.reference = referenceArgument(args[0], where);

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
  let shown = sortImages(filterImages(listedImages(all), filter), flags.sort ?? 'size', flags.reverse);
  if (flags.limit !== undefined) shown = shown.slice(0, flags.limit);

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
  let out = renderImageTable(shown, ctx.now, {
    ...(notes ? { notes } : {}),
    ...(flags.sort === 'name' ? { byName: flags.reverse ? ('desc' as const) : ('asc' as const) } : {}),
    ...(filter.reference ? { reference: filter.reference } : {}),
  });
  if (unusedOnly) {
    const exact = shown.every((u) => u.exact);
    out += `${shown.length} unused image${shown.length === 1 ? '' : 's'}, ${exact ? '' : 'about '}${formatBytes(reclaimable, 4)} reclaimable`;
    out += exact ? '\n' : ' (an estimate: the daemon does not give exact figures for every image here)\n';
  }
  ctx.stdout.write(out);
  return 'ok';
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

// Why an image that frees nothing alone does so.
function notesFor(images: readonly ImageUsage[], all: readonly ImageUsage[]): Map<string, string> {
  const notes = new Map<string, string>();
  for (const u of images) {
    if (u.uniqueBytes > 0) continue;
    const reason = whyFreesNothing(u, all);
    notes.set(u.image.id, reason ? `frees 0 bytes alone: ${reason}` : 'frees 0 bytes alone: its layers are shared');
  }
  return notes;
}
