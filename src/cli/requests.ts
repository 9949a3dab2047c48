// From typed flag values to the core's requests, with the checks that span several flags (each a
// usage error, said before docker is asked anything).
import type { PruneRequest } from '../core/plan-prune.js';
import type { RemovalRequest } from '../core/plan-removal.js';
import type { Pattern } from '../core/patterns.js';
import type { ImageFilter } from '../core/select.js';
import { UsageError } from '../errors.js';
import type { FlagsOf, pruneOptions, rmOptions } from './options.js';

/** The shared filter flags (images, unused, rm), as parsed. */
export interface FilterFlags {
  match: Pattern[];
  exclude: Pattern[];
  dangling: boolean;
  olderThan: number | undefined;
  newerThan: number | undefined;
  largerThan: number | undefined;
  unused?: boolean;
  localOnly?: boolean;
}

/** The image filter the shared filter flags describe; `given` is the text a flag was given as. */
export function imageFilter(flags: FilterFlags, where: string, given: (name: string) => string | undefined): ImageFilter {
  const { olderThan, newerThan } = flags;
  if (olderThan !== undefined && newerThan !== undefined && newerThan >= olderThan) {
    throw new UsageError(
      `--newer-than "${given('newer-than')}" and --older-than "${given('older-than')}" together select nothing: give --newer-than the earlier time (of two durations, the longer)`,
      where,
    );
  }
  return {
    match: flags.match,
    exclude: flags.exclude,
    dangling: flags.dangling,
    unused: flags.unused === true,
    localOnly: flags.localOnly === true,
    ...(olderThan === undefined ? {} : { olderThan }),
    ...(newerThan === undefined ? {} : { newerThan }),
    ...(flags.largerThan === undefined ? {} : { largerThan: flags.largerThan }),
  };
}

/** The protections rm and prune share; --save and --include-local together are refused. */
function protections(flags: { keepLast: number | undefined; includeLocal: boolean; save: string | undefined }, where: string) {
  if (flags.save !== undefined && flags.includeLocal) {
    throw new UsageError('--save and --include-local cannot be used together: --save keeps a copy, --include-local does not', where);
  }
  return { ...(flags.keepLast === undefined ? {} : { keepLast: flags.keepLast }), includeLocal: flags.includeLocal, save: flags.save !== undefined };
}

/** rm's request; an empty selection is a usage error. */
export function removalRequest(flags: FlagsOf<typeof rmOptions>, args: string[], where: string, given: (name: string) => string | undefined): RemovalRequest {
  // --exclude is a protection (kept, with the reason), not a filter.
  const { match, exclude, ...filter } = imageFilter(flags, where, given);
  const request: RemovalRequest = {
    images: args,
    match: match ?? [],
    filter,
    exclude: exclude ?? [],
    ...protections(flags, where),
    withContainers: flags.withContainers,
  };
  const f = request.filter;
  const selects =
    request.images.length > 0 ||
    request.match.length > 0 ||
    Boolean(f.dangling || f.unused || f.localOnly) ||
    f.olderThan !== undefined ||
    f.newerThan !== undefined ||
    f.largerThan !== undefined;
  if (!selects) {
    throw new UsageError(`"${where}" requires at least 1 IMAGE, --match, or a selection flag (--unused, --dangling, --older-than, --newer-than, --larger-than)`, where);
  }
  return request;
}

/** prune's request: the categories picked (all of docker system prune's when none is). */
export function pruneRequest(flags: FlagsOf<typeof pruneOptions>, where: string): PruneRequest {
  if (flags.quiet && flags.json) throw new UsageError('--quiet and --json cannot be used together: --json prints one document', where);
  const picked = flags.containers || flags.images || flags.networks || flags.buildCache;
  const wants = (category: boolean): boolean => !picked || category;
  if (flags.keepUnder !== undefined && !wants(flags.images)) {
    throw new UsageError('--keep-under limits images: add --images to the categories you picked', where);
  }
  return {
    containers: wants(flags.containers),
    images: wants(flags.images) ? (flags.all ? 'unused' : 'dangling') : 'none',
    networks: wants(flags.networks),
    volumes: flags.allVolumes ? 'all' : flags.volumes ? 'anonymous' : 'none',
    buildCache: wants(flags.buildCache) ? (flags.all ? 'all' : 'dangling') : 'none',
    ...(flags.until === undefined ? {} : { until: flags.until }),
    labels: flags.filter,
    ...(flags.keepUnder === undefined ? {} : { keepUnder: flags.keepUnder }),
    exclude: flags.exclude,
    ...protections(flags, where),
  };
}
