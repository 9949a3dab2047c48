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
