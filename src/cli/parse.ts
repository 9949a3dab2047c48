// Parses one command's flags with yargs, strictly, and words its complaints the way docker does:
// `unknown flag: --foo` / `See 'docker tidy df --help'.` (exit 125).
import yargs from 'yargs/yargs';
import { UsageError } from '../errors.js';
import type { CommandSpec, Flags } from './command.js';
import { helpOption } from './options.js';

/** The parsed flags and positional arguments of one command line. */
export interface ParsedArgs {
  flags: Flags;
  args: string[];
}

/** Parses `args` (the words after the command name) against the command's declared options. */
export function parseCommandArgs(command: CommandSpec, args: readonly string[]): ParsedArgs {
  const where = `docker tidy ${command.name}`;
  const options = { ...command.options, ...helpOption };
  const known = new Set<string>();
  const parser = yargs([...args])
    .scriptName(where)
    .parserConfiguration({
      'camel-case-expansion': false,
      'strip-aliased': true,
      'strip-dashed': true,
      'boolean-negation': false,
      'duplicate-arguments-array': true,
      'greedy-arrays': false,
      'short-option-groups': true,
      'parse-numbers': false,
      'parse-positional-numbers': false,
    })
    .help(false)
    .version(false)
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      throw translateFailure(message ?? error?.message ?? 'invalid arguments', args, known, command, where);
    });
  // Commands that take IMAGE arguments reject unknown flags only; the others reject any argument.
  if (command.positional) parser.strictOptions();
  else parser.strict();
  for (const [name, o] of Object.entries(options)) {
    known.add(`--${name}`);
    if (o.short) known.add(`-${o.short}`);
    parser.option(name, {
      type: o.type,
      ...(o.short ? { alias: o.short } : {}),
      ...(o.repeat ? { array: true } : {}),
      ...(o.default !== undefined ? { default: o.default } : {}),
      requiresArg: o.type === 'string',
    });
  }
  const parsed = parser.parseSync();
  const flags: Flags = {};
  for (const [name, o] of Object.entries(options)) {
    const value = parsed[name] as boolean | string | (string | boolean)[] | undefined;
    if (value === undefined) continue;
    if (o.repeat) flags[name] = (Array.isArray(value) ? value : [value]).map(String);
    // pflag keeps the last value of a flag given twice.
    else flags[name] = Array.isArray(value) ? value[value.length - 1] : value;
  }
  const positional = parsed._.map(String);
  if (positional.length > 0 && !command.positional) {
    throw new UsageError(`"${where}" accepts no arguments`, where);
  }
  return { flags, args: positional };
}

function translateFailure(message: string, args: readonly string[], known: Set<string>, command: CommandSpec, where: string): UsageError {
  if (/^Unknown argument/i.test(message)) {
    for (const token of args) {
      if (token === '--') break;
      if (!token.startsWith('-') || token === '-') continue;
      if (token.startsWith('--')) {
        const name = token.split('=')[0]!;
        if (!known.has(name)) return new UsageError(`unknown flag: ${name}`, where);
      } else {
        for (const letter of token.slice(1)) {
          if (letter === '=') break;
          if (!known.has(`-${letter}`)) return new UsageError(`unknown shorthand flag: '${letter}' in ${token}`, where);
        }
      }
    }
    if (!command.positional) return new UsageError(`"${where}" accepts no arguments`, where);
  }
  const missing = /^Not enough arguments following: (\S+)/.exec(message);
  if (missing) {
    const name = missing[1]!;
    return new UsageError(`flag needs an argument: ${name.length === 1 ? `'${name}' in -${name}` : `--${name}`}`, where);
  }
  return new UsageError(message.replace(/\.$/, ''), where);
}
