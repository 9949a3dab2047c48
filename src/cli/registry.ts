// Every command of `docker tidy`, listed once. (A bundled executable has no folder to scan.)
import type { CommandSpec } from './command.js';
import { dfCommand } from './commands/df.js';
import { imagesCommand, unusedCommand } from './commands/images.js';
import { pruneCommand } from './commands/prune.js';
import { rmCommand } from './commands/rm.js';

/** The commands, in the order --help lists them. */
export const commands: readonly CommandSpec[] = [dfCommand, imagesCommand, unusedCommand, rmCommand, pruneCommand];

/** The command a word names (its name or an alias), if any. */
export function findCommand(word: string): CommandSpec | undefined {
  return commands.find((c) => c.name === word || c.aliases?.includes(word));
}
