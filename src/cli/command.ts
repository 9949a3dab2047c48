// What a command is: its flags, declared apart from its work, and what the work gets to use.
import type { DockerTarget } from '../docker/target.js';
import type { EngineClient } from '../docker/engine.js';

/** One flag, declared once; the parser, --help and completion all read this. */
export interface OptionSpec {
  type: 'boolean' | 'string';
  /** One-letter shorthand, without the dash. */
  short?: string;
  describe: string;
  /** Repeatable (`--match a --match b`). */
  repeat?: boolean;
  /** The value's name in --help ("string", "int", "bytes", "duration"). */
  valueName?: string;
  /** Values offered by shell completion. */
  choices?: readonly string[];
  default?: string | boolean;
}

/** Parsed flag values: booleans, strings, or string lists for repeatable flags. */
export type Flags = Record<string, boolean | string | string[] | undefined>;

/** What a running command can use; nothing here decides anything. */
export interface CommandContext {
  target: DockerTarget;
  /** Opens (once) a connection to the daemon. */
  engine(): Promise<EngineClient>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdinIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** Now, in Unix seconds. */
  now: number;
}

/** A subcommand of `docker tidy`. */
export interface CommandSpec {
  name: string;
  aliases?: readonly string[];
  /** One line, for `docker tidy --help` and completion. */
  summary: string;
  /** What follows the command name in Usage ("[OPTIONS]"). */
  usage: string;
  /** Longer text under the usage line; defaults to the summary. */
  description?: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments allowed (default none). */
  positional?: boolean;
  run(ctx: CommandContext, flags: Flags, args: string[]): Promise<number>;
}
