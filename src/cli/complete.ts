// Shell completion in cobra's format: one candidate a line, "\tdescription" unless NoDesc, and a
// last line ":<directive>" (4 = ShellCompDirectiveNoFileComp, 16 = ShellCompDirectiveFilterDirs).
import { help, type OptionSpec } from './options.js';
import type { AnyCommand } from './registry.js';

const NO_FILE_COMP = 4;
const FILTER_DIRS = 16;

/** What the word being completed is: a command, a flag, a flag's value, or an argument. */
type Slot = { kind: 'command' } | { kind: 'flag'; command: AnyCommand } | { kind: 'value'; option: OptionSpec & { kind: 'value' } } | { kind: 'argument'; command: AnyCommand } | { kind: 'none' };

const optionsOf = (command: AnyCommand): OptionSpec[] => [...Object.values(command.options as Record<string, OptionSpec>), help];

function slotOf(commands: readonly AnyCommand[], words: readonly string[]): Slot {
  const toComplete = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  if (before.length === 0) return { kind: 'command' };
  const command = commands.find((c) => c.name === before[0] || c.aliases?.includes(before[0]!));
  if (!command) return { kind: 'none' };
  const previous = before[before.length - 1] ?? '';
  const valueOf = optionsOf(command).find((o): o is OptionSpec & { kind: 'value' } => o.kind === 'value' && (previous === `--${o.name}` || (o.short !== undefined && previous === `-${o.short}`)));
  if (valueOf && before.length > 1) return { kind: 'value', option: valueOf };
  if (toComplete.startsWith('-')) return { kind: 'flag', command };
  return command.arguments ? { kind: 'argument', command } : { kind: 'none' };
}

/** Whether completing these words offers image references (rm IMAGE, images REPOSITORY, --helper IMAGE): the daemon is asked for them. */
export function wantsImageReferences(commands: readonly AnyCommand[], words: readonly string[]): boolean {
  const slot = slotOf(commands, words);
  return slot.kind === 'argument' || (slot.kind === 'value' && slot.option.valueName === 'image');
}

/** Whether completing these words offers docker context names (--contexts a,b,c): docker is asked for them. */
export function wantsContextNames(commands: readonly AnyCommand[], words: readonly string[]): boolean {
  const slot = slotOf(commands, words);
  return slot.kind === 'value' && slot.option.name === 'contexts';
}

/**
 * Answers `__complete` / `__completeNoDesc` for the words after the plugin name. `references`:
 * the daemon's image references, for an IMAGE or REPOSITORY argument (as `docker rmi <TAB>`);
 * `contexts`: docker's context names, for --contexts (after the last comma of the word, the names
 * it does not list yet).
 */
export function complete(
  commands: readonly AnyCommand[],
  words: readonly string[],
  descriptions: boolean,
  references: readonly string[] = [],
  contexts: readonly string[] = [],
): string {
  const toComplete = words[words.length - 1] ?? '';
  const candidates: [string, string][] = [];
  let directive = NO_FILE_COMP;
  const slot = slotOf(commands, words);
  if (slot.kind === 'command') {
    for (const c of commands) if (c.name.startsWith(toComplete)) candidates.push([c.name, c.summary]);
  } else if (slot.kind === 'value') {
    // A directory (--save DIR): the shell completes directories.
    if (slot.option.valueName === 'dir') directive = FILTER_DIRS;
    for (const choice of slot.option.choices ?? []) if (choice.startsWith(toComplete)) candidates.push([choice, '']);
    if (slot.option.valueName === 'image') for (const ref of [...new Set(references)].sort()) if (ref.startsWith(toComplete)) candidates.push([ref, '']);
    if (slot.option.name === 'contexts') {
      const comma = toComplete.lastIndexOf(',');
      const [listed, partial] = [toComplete.slice(0, comma + 1), toComplete.slice(comma + 1)];
      const taken = new Set(listed.split(',').filter(Boolean));
      for (const name of contexts) if (name.startsWith(partial) && !taken.has(name)) candidates.push([listed + name, '']);
    }
  } else if (slot.kind === 'flag') {
    for (const o of optionsOf(slot.command)) {
      if (`--${o.name}`.startsWith(toComplete)) candidates.push([`--${o.name}`, o.describe]);
      if (o.short && `-${o.short}`.startsWith(toComplete) && toComplete.length <= 2) candidates.push([`-${o.short}`, o.describe]);
    }
  } else if (slot.kind === 'argument') {
    for (const ref of [...new Set(references)].sort()) if (ref.startsWith(toComplete)) candidates.push([ref, '']);
  }
  const lines = candidates.map(([value, desc]) => (descriptions && desc ? `${value}\t${desc}` : value));
  return [...lines, `:${directive}`, ''].join('\n');
}
