// Turns flag strings into typed values, with docker's wording for a bad one:
// `invalid argument "x" for "--larger-than" flag: ...` (exit 125).
import { InputError, type Pattern, parseCount, parseReferencePattern, parseRegex, parseSize, parseTimestamp } from '../core/parse.js';
import { SORT_KEYS, type ImageFilter, type SortKey } from '../core/select.js';
import { UsageError } from '../errors.js';
import type { ProgressListener } from '../docker/execute-removal.js';
import type { Flags } from './command.js';

/** Parses a flag's value, or throws the usage error that names the flag and the value. */
export function flagValue<T>(flags: Flags, name: string, where: string, parse: (text: string) => T): T | undefined {
  const raw = flags[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  return parseFlagText(Array.isArray(raw) ? raw[raw.length - 1]! : raw, name, where, parse);
}

/** Every value of a repeatable flag, parsed; the usage error names the flag and the bad value. */
export function flagValues<T>(flags: Flags, name: string, where: string, parse: (text: string) => T): T[] {
  return allValues(flags, name).map((text) => parseFlagText(text, name, where, parse));
}

function parseFlagText<T>(text: string, name: string, where: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof InputError) throw new UsageError(`invalid argument "${text}" for "--${name}" flag: ${error.message}`, where);
    throw error;
  }
}

function allValues(flags: Flags, name: string): string[] {
  const raw = flags[name];
  return Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
}

/** All values of a repeatable regex flag, compiled. */
function regexes(flags: Flags, name: string, where: string): Pattern[] {
  return allValues(flags, name).map((text) => {
    try {
      return parseRegex(text);
    } catch (error) {
      // The style of docker's own complaints: invalid --match pattern "[": missing closing ]: `[`
      if (error instanceof InputError) throw new UsageError(`invalid --${name} pattern "${text}": ${error.message}`, where);
      throw error;
    }
  });
}

/** The ImageFilter that the shared filter flags describe. */
export function imageFilterFromFlags(flags: Flags, where: string, now: number): ImageFilter {
  const time = (text: string): number => parseTimestamp(text, now);
  const olderThan = flagValue(flags, 'older-than', where, time);
  const newerThan = flagValue(flags, 'newer-than', where, time);
  if (olderThan !== undefined && newerThan !== undefined && newerThan >= olderThan) {
    const [n, o] = [flagValue(flags, 'newer-than', where, String), flagValue(flags, 'older-than', where, String)];
    throw new UsageError(
      `--newer-than "${n}" and --older-than "${o}" together select nothing: give --newer-than the earlier time (of two durations, the longer)`,
      where,
    );
  }
  return {
    match: regexes(flags, 'match', where),
    exclude: regexes(flags, 'exclude', where),
    dangling: flags.dangling === true,
    unused: flags.unused === true,
    localOnly: flags['local-only'] === true,
    olderThan,
    newerThan,
    largerThan: flagValue(flags, 'larger-than', where, parseSize),
  };
}

/** REPOSITORY[:TAG] as `docker image ls` reads it; a bad pattern is a usage error. */
export function referenceArgument(text: string, where: string): Pattern {
  try {
    return parseReferencePattern(text);
  } catch (error) {
    if (error instanceof InputError) throw new UsageError(`invalid reference "${text}": ${error.message}`, where);
    throw error;
  }
}

/** The sort key, reverse flag and limit that the listing flags describe. */
export function listingFromFlags(flags: Flags, where: string): { sort: SortKey; reverse: boolean; limit?: number } {
  const sort = flagValue(flags, 'sort', where, (text) => {
    if (!(SORT_KEYS as readonly string[]).includes(text)) throw new InputError(`use one of ${SORT_KEYS.join(', ')}`);
    return text as SortKey;
  });
  const limit = flagValue(flags, 'limit', where, parseCount);
  return { sort: sort ?? 'size', reverse: flags.reverse === true, ...(limit === undefined ? {} : { limit }) };
}

/** The protections rm and prune share: --exclude, --keep-last, --include-local, --save DIR. */
export function protectionsFromFlags(
  flags: Flags,
  where: string,
): { exclude: Pattern[]; keepLast?: number; includeLocal: boolean; save: boolean; saveDir?: string } {
  const keepLast = flagValue(flags, 'keep-last', where, parseCount);
  const saveDir = typeof flags.save === 'string' ? flags.save : undefined;
  if (saveDir === '') throw new UsageError('invalid argument "" for "--save" flag: name a directory', where);
  if (saveDir !== undefined && flags['include-local']) {
    throw new UsageError('--save and --include-local cannot be used together: --save keeps a copy, --include-local does not', where);
  }
  return {
    exclude: regexes(flags, 'exclude', where),
    ...(keepLast === undefined ? {} : { keepLast }),
    includeLocal: flags['include-local'] === true,
    save: saveDir !== undefined,
    ...(saveDir === undefined ? {} : { saveDir }),
  };
}

/** Progress on stderr when it is a terminal ("Removing: 3/10 references, 12.5MB freed"); nothing otherwise. */
export function progressOn(stderr: NodeJS.WritableStream & { isTTY?: boolean }, format: (bytes: number) => string): ProgressListener | undefined {
  if (!stderr.isTTY) return undefined;
  return (done, total, bytes, final) => {
    // "\x1b[K" clears what a longer earlier line left to the right.
    stderr.write(`\rRemoving: ${done}/${total} references, ${format(bytes)} freed\x1b[K${final ? '\n' : ''}`);
  };
}
