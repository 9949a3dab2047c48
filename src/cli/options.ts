// Every option of docker tidy, declared once: its name and shorthand as pflag knows them, its
// help, and its parser. A command lists the options it takes, and its handler's flag values get
// their types from these parsers (FlagsOf). Parsing patterns needs re2js, which loads only when a
// pattern is given: help and completion stay light.
import type { LabelFilter } from '../core/plan-prune.js';
import type { Pattern } from '../core/patterns.js';
import type { SortKey } from '../core/select.js';

/** What a parser may need besides the text. */
export interface ParseContext {
  /** Now, in Unix seconds (durations count back from it). */
  now: number;
}

interface Common {
  /** The long name, as typed after `--`. */
  name: string;
  /** One-letter shorthand, without the dash. */
  short?: string;
  describe: string;
}

/** A flag that is on or off (`--json`, `--json=false`). */
export interface BooleanOption extends Common {
  kind: 'boolean';
}

/** A flag with a value, parsed into a T; repeatable ones collect every value. */
export interface ValueOption<T> extends Common {
  kind: 'value';
  /** The value's name in --help ("string", "int", "bytes", "duration"). */
  valueName: string;
  repeat?: boolean;
  /** Values offered by shell completion. */
  choices?: readonly string[];
  /** Shown in --help as the default. */
  defaultText?: string;
  /** Throws InputError (core/parse.ts) for a bad value; may load what it needs. */
  parse(text: string, context: ParseContext): T | Promise<T>;
}

/** Any option. */
export type OptionSpec = BooleanOption | ValueOption<unknown>;

/** The value a handler gets for an option: a boolean, the parsed value or undefined, or every value of a repeatable one. */
export type ValueOf<O> = O extends BooleanOption ? boolean : O extends ValueOption<infer T> ? (O extends { repeat: true } ? T[] : T | undefined) : never;

/** A command's flag values, typed by its options. */
export type FlagsOf<Opts extends Record<string, OptionSpec>> = { readonly [K in keyof Opts]: ValueOf<Opts[K]> };

const flag = (name: string, describe: string, short?: string): BooleanOption => ({ kind: 'boolean', name, describe, ...(short ? { short } : {}) });

function value<T>(name: string, valueName: string, describe: string, parse: ValueOption<T>['parse'], extra: Partial<ValueOption<T>> = {}): ValueOption<T> {
  return { kind: 'value', name, valueName, describe, parse, ...extra };
}

/** A value flag that may be given several times: every value, in order. */
function values<T>(name: string, valueName: string, describe: string, parse: ValueOption<T>['parse']): ValueOption<T> & { repeat: true } {
  return { kind: 'value', name, valueName, describe, parse, repeat: true };
}

// The parsers live in core; patterns load re2js on first use.
const core = () => import('../core/parse.js');
const pattern = async (text: string): Promise<Pattern> => (await import('../core/patterns.js')).parseRegex(text);
const time = async (text: string, { now }: ParseContext): Promise<number> => (await core()).parseTimestamp(text, now);
const size = async (text: string): Promise<number> => (await core()).parseSize(text);
const count = async (text: string): Promise<number> => (await core()).parseCount(text);
const labelFilter = async (text: string): Promise<LabelFilter> => (await core()).parseLabelFilter(text);
const imageReference = async (text: string): Promise<string> => (await core()).parseImageReference(text);

/** `-h/--help`, accepted by every command. */
export const help = flag('help', 'Print usage', 'h');
export const json = flag('json', 'Print one JSON document (integer bytes, full IDs)');
export const verbose = flag('verbose', 'Show rows for every image, container, volume and build-cache record', 'v');
/** `-q` of the listings: IDs only. */
export const quietIds = flag('quiet', 'Only show full image IDs, one per line', 'q');
/** `-q` of prune: the summary line only. */
export const quietSummary = flag('quiet', 'Print only the summary line (the plan is still shown before asking on a terminal)', 'q');

export const match = values('match', 'regex', "Only images with a reference (repository:tag) matching this regex (RE2 syntax, as Go's regexp; repeatable)", pattern);
export const exclude = values('exclude', 'regex', 'Leave out images with a reference matching this regex (repeatable)', pattern);
/** prune's --exclude: the same pattern, protecting rather than filtering. */
export const keepMatching = values('exclude', 'regex', 'Keep images with a reference (repository:tag) matching this regex (repeatable)', pattern);
export const dangling = flag('dangling', 'Only untagged images');
export const unused = flag('unused', 'Only images that no container (running or stopped) uses');
export const localOnly = flag('local-only', 'Only tagged images known to exist only on this host (no digest, or, with --check-registry, not in their registry)');
export const checkRegistry = flag('check-registry', "Ask each image's registry whether it still has the image's digests (a HEAD by digest: no pull counted)");
export const olderThan = value('older-than', 'time', 'Only images created before this: a duration (24h, 30m), a date (2020-07-07), a date-time or a Unix timestamp', time);
export const newerThan = value('newer-than', 'time', 'Only images created after this (same forms as --older-than; must be before --older-than)', time);
export const largerThan = value('larger-than', 'size', 'Only images larger than this (500MB, 1.5GB, 1GiB, or bytes)', size);

export const sort = value(
  'sort',
  'key',
  'Sort by size, unique, created or name (sizes largest first, created newest first)',
  async (text: string): Promise<SortKey> => (await import('../core/select.js')).parseSortKey(text),
  { choices: ['size', 'unique', 'created', 'name'], defaultText: 'size' },
);
export const reverse = flag('reverse', 'Reverse the order');
export const limit = value('limit', 'int', 'Show at most this many images', count);

export const force = flag('force', 'Do not prompt for confirmation (needed without a terminal)', 'f');
export const dryRun = flag('dry-run', 'Only show what would be removed, and the bytes it would free');

export const keepLast = value('keep-last', 'int', 'Keep the N newest images of each repository (by creation time), whatever selects them', count);
export const includeLocal = flag('include-local', 'Also remove images that exist only on this host (never pushed or pulled)');
export const save = value(
  'save',
  'dir',
  'Save each image that exists only on this host to DIR with docker save (one tar each, 0600, DIR made 0700) before removing it',
  async (text: string): Promise<string> => {
    if (text === '') throw new (await core()).InputError('name a directory');
    return text;
  },
);
export const withContainers = flag('with-containers', 'Remove stopped containers that use a selected image first (never running ones)');

export const all = flag('all', 'Remove every unused image, not only dangling ones, and all unused build cache', 'a');
export const volumes = flag('volumes', 'Also remove unused anonymous volumes');
export const allVolumes = flag('all-volumes', 'Also remove unused volumes, named ones too');
export const containers = flag('containers', 'Only prune stopped containers (combine category flags to pick several)');
export const images = flag('images', 'Only prune images (dangling ones; with -a every unused one)');
export const networks = flag('networks', 'Only prune unused networks');
export const buildCache = flag('build-cache', 'Only prune build cache');
export const until = value('until', 'time', 'Only what stopped or was last used before this: a duration (24h), a date (2020-07-07) or a timestamp', time);
export const filter = values('filter', 'filter', 'label=KEY[=VALUE] or label!=KEY[=VALUE] (repeatable; all must hold)', labelFilter);
export const keepUnder = value('keep-under', 'size', 'Remove unused images, least recently used first, until images take at most this (20GB)', size);
/** The image for the helper container that reads log sizes where this machine cannot. */
export const helper = value('helper', 'image', 'Image to read log sizes with, in a short-lived container, where this machine cannot (never pulled)', imageReference);

/** Docker context names, comma-separated (a,b,c), as pflag's string slices read them. */
const contextNames = async (text: string): Promise<string[]> => {
  const names = text.split(',').map((n) => n.trim());
  if (names.some((n) => n === '')) throw new (await core()).InputError('name each context: a,b,c');
  return names;
};
export const contexts = values('contexts', 'list', 'Run on each of these docker contexts (a,b,c; repeatable), a few at a time, and add up', contextNames);
export const allContexts = flag('all-contexts', 'Run on every docker context (as docker context ls lists them), a few at a time, and add up');

/** The filters that select images, shared by images, unused and rm (by reference, not by copy). */
export const imageFilters = { match, exclude, dangling, olderThan, newerThan, largerThan } as const;
/** Sorting and limiting a listing. */
export const listing = { sort, reverse, limit } as const;
/** What rm and prune protect, and how to lift it. */
export const protections = { keepLast, includeLocal, save } as const;
/** `-f/--force` and `--dry-run`, for commands that delete. */
export const destructive = { force, dryRun } as const;
/** Many hosts: df, images, unused, rm and prune. */
export const hosts = { contexts, allContexts } as const;

// Each command's options: its spec (registry.ts) lists them and its handler's flags are typed by them.
export const dfOptions = { verbose: verbose, json: json, helper: helper, ...hosts } as const;
export const logsOptions = { json: json, helper: helper } as const;
export const listingOptions = { ...imageFilters, localOnly: localOnly, checkRegistry: checkRegistry, ...listing, quiet: quietIds, json: json, ...hosts } as const;
export const imagesOptions = { ...listingOptions, unused: unused } as const;
export const rmOptions = { ...imageFilters, unused: unused, ...protections, withContainers: withContainers, helper: helper, ...destructive, json: json, ...hosts } as const;
export const pruneOptions = {
  all: all,
  volumes: volumes,
  allVolumes: allVolumes,
  containers: containers,
  images: images,
  networks: networks,
  buildCache: buildCache,
  until: until,
  filter: filter,
  keepUnder: keepUnder,
  exclude: keepMatching,
  helper: helper,
  ...protections,
  ...destructive,
  quiet: quietSummary,
  json: json,
  ...hosts,
} as const;
