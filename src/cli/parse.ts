// Parses one command's flags the way docker's pflag does, and words its complaints the same way:
// `unknown flag: --foo` / `See 'docker tidy df --help'.` (exit 125). The command line is checked
// token by token against the declared options first, so every mistake is recognised by its kind,
// in any locale; yargs then collects the values of the checked, canonical tokens.
import yargs from 'yargs/yargs';
import { UsageError } from '../errors.js';
import type { CommandSpec, Flags, OptionSpec } from './command.js';
import { helpOption } from './options.js';

/** The parsed flags and positional arguments of one command line. */
export interface ParsedArgs {
  flags: Flags;
  args: string[];
}

/** pflag's booleans (Go's strconv.ParseBool): anything else is a usage error, never "false". */
const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The flag as pflag names it in errors: "-f, --force" when it has a shorthand. */
export function flagLabel(name: string, option: OptionSpec | undefined): string {
  return option?.short ? `-${option.short}, --${name}` : `--${name}`;
}

/** Parses `args` (the words after the command name) against the command's declared options. */
export function parseCommandArgs(command: CommandSpec, args: readonly string[]): ParsedArgs {
  const where = `docker tidy ${command.name}`;
  const options: Record<string, OptionSpec> = { ...command.options, ...helpOption };
  const { canonical, positional } = checkTokens(options, args, where);
  if (positional.length > 0 && !command.positional) {
    throw new UsageError(`"${where}" accepts no arguments`, where);
  }
  const parser = yargs(canonical)
    .locale('en')
    .parserConfiguration({
      'camel-case-expansion': false,
      'dot-notation': false,
      'strip-aliased': true,
      'strip-dashed': true,
      'boolean-negation': false,
      'duplicate-arguments-array': true,
      'greedy-arrays': false,
      'short-option-groups': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'unknown-options-as-args': false,
    })
    .help(false)
    .version(false)
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      // Every token was checked above: yargs failing now is a bug, not a usage error.
      throw error ?? new Error(`parsing ${where} failed: ${message ?? 'unknown error'}`);
    });
  for (const [name, o] of Object.entries(options)) {
    parser.option(name, { type: o.type, ...(o.repeat ? { array: true } : {}), ...(o.default !== undefined ? { default: o.default } : {}) });
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
  return { flags, args: positional };
}

/**
 * Walks the tokens as pflag does (flags and arguments interspersed; `--` ends the flags): a
 * value flag takes the rest of its token or the next word, whatever it looks like (`--match -x`
 * is the pattern "-x"); a boolean takes a value only after "=", in strconv.ParseBool's words.
 * Returns the flags as `--name=value` tokens, and the positional arguments.
 */
function checkTokens(options: Record<string, OptionSpec>, args: readonly string[], where: string): { canonical: string[]; positional: string[] } {
  const byShort = new Map(Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  const canonical: string[] = [];
  const positional: string[] = [];
  const set = (name: string, value: string | undefined): void => {
    const option = options[name]!;
    if (option.type === 'boolean') canonical.push(`--${name}=${value === undefined ? 'true' : parseBool(value, name, option, where)}`);
    else canonical.push(`--${name}=${value!}`);
  };
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!token.startsWith('-') || token === '-') {
      positional.push(token);
      continue;
    }
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = token.slice(2, eq < 0 ? undefined : eq);
      const option = Object.hasOwn(options, name) ? options[name] : undefined;
      if (!option || name === '') throw new UsageError(`unknown flag: --${name}`, where);
      if (eq >= 0 || option.type === 'boolean') set(name, eq < 0 ? undefined : token.slice(eq + 1));
      else if (i + 1 < args.length) set(name, args[++i]);
      else throw new UsageError(`flag needs an argument: --${name}`, where);
      continue;
    }
    // A group of shorthands: -qf, -f=true, -mPATTERN, -m PATTERN.
    const group = token.slice(1);
    for (let j = 0; j < group.length; j++) {
      const letter = group[j]!;
      const name = byShort.get(letter);
      if (name === undefined) throw new UsageError(`unknown shorthand flag: '${letter}' in ${token}`, where);
      const option = options[name]!;
      const rest = group.slice(j + 1);
      if (option.type === 'boolean') {
        if (rest.startsWith('=')) {
          set(name, rest.slice(1));
          break;
        }
        set(name, undefined);
        continue;
      }
      if (rest !== '') set(name, rest.replace(/^=/, ''));
      else if (i + 1 < args.length) set(name, args[++i]);
      else throw new UsageError(`flag needs an argument: '${letter}' in -${letter}`, where);
      break;
    }
  }
  return { canonical, positional };
}

function parseBool(value: string, name: string, option: OptionSpec, where: string): 'true' | 'false' {
  if (TRUE_WORDS.has(value)) return 'true';
  if (FALSE_WORDS.has(value)) return 'false';
  throw new UsageError(
    `invalid argument "${value}" for "${flagLabel(name, option)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
    where,
  );
}
