// What a command is: a spec (name, help, options) that the registry lists without loading any of
// the work, and a handler, loaded once when the command runs, that gets typed flag values.
import type { Outcome } from '../core/outcome.js';
import type { EngineClient } from '../docker/engine.js';
import type { DockerTarget } from '../docker/target.js';
import type { FlagsOf, OptionSpec } from './options.js';
import type { Output } from './output.js';

/** Where a command writes: stdout, stderr, or one host's part of them (cli/hosts.ts). */
export type { Output };

/** What a running command can use; nothing here decides anything. */
export interface CommandContext {
  target: DockerTarget;
  /** Opens (once) a connection to the daemon. */
  engine(): Promise<EngineClient>;
  /** Opens (once per context) a connection to another daemon: one docker context of many (cli/hosts.ts). */
  engineFor(target: DockerTarget): Promise<EngineClient>;
  stdout: Output;
  stderr: Output;
  stdinIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** Now, in Unix seconds. */
  now: number;
}

/** The typed flags and the positional arguments of one command line. */
export interface ParsedArgs<Opts extends Record<string, OptionSpec>> {
  flags: FlagsOf<Opts>;
  args: string[];
  /** The text a value flag was last given as, by flag name (for messages that quote it). */
  given(name: string): string | undefined;
}

/** The work of a command: its parsed command line in (typed flags, arguments), an outcome out (exit codes are run.ts's). */
export type Handler<Opts extends Record<string, OptionSpec>> = (ctx: CommandContext, input: ParsedArgs<Opts>) => Promise<Outcome>;

/** A subcommand of `docker tidy`. */
export interface CommandSpec<Opts extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  name: string;
  aliases?: readonly string[];
  /** One line, for `docker tidy --help` and completion. */
  summary: string;
  /** What follows the command name in Usage ("[OPTIONS]"). */
  usage: string;
  /** Paragraphs under the usage line (wrapped when shown); defaults to the summary. */
  description?: readonly string[];
  options: Opts;
  /** Arguments it takes: none, image references (completed from the daemon), at most `max`. */
  arguments?: { kind: 'images'; max?: number };
  /** Loads the handler (a module of its own, with ordinary static imports). */
  load(): Promise<{ run: Handler<Opts> }>;
}

/** Declares a command; its handler's flags are typed by its options. */
export function defineCommand<Opts extends Record<string, OptionSpec>>(spec: CommandSpec<Opts>): CommandSpec<Opts> {
  return spec;
}
