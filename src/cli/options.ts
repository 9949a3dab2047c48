// Flags shared by several commands, declared once.
import type { OptionSpec } from './command.js';

/** `--json`: one JSON document on stdout. */
export const jsonOption: Record<string, OptionSpec> = {
  json: { type: 'boolean', describe: 'Print one JSON document (integer bytes, full IDs)' },
};

/** `-v/--verbose`. */
export const verboseOption: Record<string, OptionSpec> = {
  verbose: { type: 'boolean', short: 'v', describe: 'Show rows for every image, container, volume and build-cache record' },
};

/** `-h/--help`, accepted by every command. */
export const helpOption: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', describe: 'Print usage' },
};

/** `-q/--quiet`: IDs only. */
export const quietOption: Record<string, OptionSpec> = {
  quiet: { type: 'boolean', short: 'q', describe: 'Only show full image IDs, one per line' },
};

/** The filters that select images, shared by images, unused, rm and prune. */
export const imageFilterOptions: Record<string, OptionSpec> = {
  match: { type: 'string', repeat: true, valueName: 'regex', describe: 'Only images with a reference (repository:tag) matching this regex (RE2 syntax, as Go\'s regexp; repeatable)' },
  exclude: { type: 'string', repeat: true, valueName: 'regex', describe: 'Leave out images with a reference matching this regex (repeatable)' },
  dangling: { type: 'boolean', describe: 'Only untagged images' },
  'older-than': { type: 'string', valueName: 'time', describe: 'Only images created before this: a duration (24h, 30m), a date (2020-07-07), a date-time or a Unix timestamp' },
  'newer-than': { type: 'string', valueName: 'time', describe: 'Only images created after this (same forms as --older-than; must be before --older-than)' },
  'larger-than': { type: 'string', valueName: 'size', describe: 'Only images larger than this (500MB, 1.5GB, 1GiB, or bytes)' },
};

/** Sorting and limiting a listing. */
export const listingOptions: Record<string, OptionSpec> = {
  sort: { type: 'string', valueName: 'key', choices: ['size', 'unique', 'created', 'name'], default: 'size', describe: 'Sort by size, unique, created or name (sizes largest first, created newest first)' },
  reverse: { type: 'boolean', describe: 'Reverse the order' },
  limit: { type: 'string', valueName: 'int', describe: 'Show at most this many images' },
};

/** `-f/--force` and `--dry-run`, for commands that delete. */
export const destructiveOptions: Record<string, OptionSpec> = {
  force: { type: 'boolean', short: 'f', describe: 'Do not prompt for confirmation (needed without a terminal)' },
  'dry-run': { type: 'boolean', describe: 'Only show what would be removed, and the bytes it would free' },
};

/** What `rm` and `prune` protect, and how to lift it. */
export const protectionOptions: Record<string, OptionSpec> = {
  'keep-last': { type: 'string', valueName: 'int', describe: 'Keep the N newest images of each repository (by creation time), whatever selects them' },
  'include-local': { type: 'boolean', describe: 'Also remove images that exist only on this host (never pushed or pulled)' },
  save: { type: 'string', valueName: 'dir', describe: 'Save each image that exists only on this host to DIR with docker save (one tar each, 0600, DIR made 0700) before removing it' },
};
