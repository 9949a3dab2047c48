// Parses one command line the way docker's pflag does, and words its complaints the same way:
// `unknown flag: --foo` / `See 'docker tidy df --help'.` (exit 125). The command line is checked
// token by token against the command's options first, so every mistake is recognised by its
// kind, in any locale; yargs then collects the values of the checked, canonical tokens, and each
// option's parser turns them into typed values.
import { Parser } from 'yargs/helpers';
import { InputError } from '../core/parse.js';
import { UsageError } from '../errors.js';
import type { CommandSpec, ParsedArgs } from './command.js';
import { help, type FlagsOf, type OptionSpec, type ParseContext } from './options.js';

/** pflag's booleans (Go's strconv.ParseBool): anything else is a usage error, never "false". */
const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The flag as pflag names it in errors: "-f, --force" when it has a shorthand. */
export function flagLabel(option: OptionSpec): string {
  return option.short ? `-${option.short}, --${option.name}` : `--${option.name}`;
}

/** Parses `args` (the words after the command name) against the command's options, into typed values. */
export async function parseCommandArgs<Opts extends Record<string, OptionSpec>>(
  command: CommandSpec<Opts>,
  args: readonly string[],
  context: ParseContext,
): Promise<ParsedArgs<Opts>> {
  const where = `docker tidy ${command.name}`;
  // By flag name (the handler's keys are the spec's).
  const options: Record<string, OptionSpec> = Object.fromEntries([...Object.values(command.options), help].map((o) => [o.name, o]));
  const { canonical, positional } = checkTokens(options, args, where);
  if (positional.length > 0 && !command.arguments) {
    throw new UsageError(`"${where}" accepts no arguments`, where);
  }
  const max = command.arguments?.max;
  if (max !== undefined && positional.length > max) {
    throw new UsageError(`"${where}" requires at most ${max} argument${max === 1 ? '' : 's'}`, where);
  }
  // yargs' own parser (yargs/helpers), not a yargs instance: an instance looks for package.json
  // in every folder up from the working directory as it is made (its default --version), on
  // every run, and docker tidy uses none of what it adds (help, commands, validation).
  const parsed = Parser(canonical, {
    boolean: Object.values(options).flatMap((o) => (o.kind === 'boolean' ? [o.name] : [])),
    string: Object.values(options).flatMap((o) => (o.kind === 'value' ? [o.name] : [])),
    array: Object.values(options).flatMap((o) => (o.kind === 'value' && o.repeat ? [o.name] : [])),
    configuration: {
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
    },
  });
  const flags: Record<string, unknown> = {};
  const given = (name: string): string | undefined => {
    const raw = parsed[name] as string | string[] | undefined;
    return Array.isArray(raw) ? raw[raw.length - 1] : raw;
  };
  for (const [key, o] of Object.entries(command.options)) {
    const raw = parsed[o.name] as boolean | string | (string | boolean)[] | undefined;
    if (o.kind === 'boolean') {
      // pflag keeps the last value of a flag given twice.
      flags[key] = (Array.isArray(raw) ? raw[raw.length - 1] : raw) === true;
      continue;
    }
    const texts = raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).map(String);
    const parsedValues = await Promise.all((o.repeat ? texts : texts.slice(-1)).map((text) => parseValue(o, text, context, where)));
    flags[key] = o.repeat ? parsedValues : parsedValues[0];
  }
  return { flags: flags as FlagsOf<Opts>, args: positional, given };
}

/** One value, through its option's parser; a bad one is the usage error pflag words. */
async function parseValue(option: OptionSpec & { kind: 'value' }, text: string, context: ParseContext, where: string): Promise<unknown> {
  try {
    return await option.parse(text, context);
  } catch (error) {
    if (error instanceof InputError) throw new UsageError(`invalid argument "${text}" for "${flagLabel(option)}" flag: ${error.message}`, where);
    throw error;
  }
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
    if (option.kind === 'boolean') canonical.push(`--${name}=${value === undefined ? 'true' : parseBool(value, option, where)}`);
    // yargs drops a lone empty `--name=` of an array option; `--name ''` it keeps.
    else if (value === '') canonical.push(`--${name}`, '');
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
      if (eq >= 0 || option.kind === 'boolean') set(name, eq < 0 ? undefined : token.slice(eq + 1));
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
      if (option.kind === 'boolean') {
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

function parseBool(value: string, option: OptionSpec, where: string): 'true' | 'false' {
  if (TRUE_WORDS.has(value)) return 'true';
  if (FALSE_WORDS.has(value)) return 'false';
  throw new UsageError(`invalid argument "${value}" for "${flagLabel(option)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`, where);
}
