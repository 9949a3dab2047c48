// Shell completion in cobra's format: one candidate a line, "\tdescription" unless NoDesc, and a
// last line ":<directive>" (4 = ShellCompDirectiveNoFileComp).
import type { CommandSpec } from './command.js';
import { helpOption } from './options.js';

const NO_FILE_COMP = 4;

/** Answers `__complete` / `__completeNoDesc` for the words after the plugin name. */
export function complete(commands: readonly CommandSpec[], words: readonly string[], descriptions: boolean): string {
  const toComplete = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  const candidates: [string, string][] = [];
  const command = before.length > 0 ? commands.find((c) => c.name === before[0] || c.aliases?.includes(before[0]!)) : undefined;
  if (before.length === 0) {
    for (const c of commands) if (c.name.startsWith(toComplete)) candidates.push([c.name, c.summary]);
  } else if (command) {
    const options = { ...command.options, ...helpOption };
    const previous = before[before.length - 1] ?? '';
    const valueOf = Object.entries(options).find(([name, o]) => o.type === 'string' && (previous === `--${name}` || (o.short && previous === `-${o.short}`)));
    if (valueOf) {
      for (const choice of valueOf[1].choices ?? []) if (choice.startsWith(toComplete)) candidates.push([choice, '']);
    } else if (toComplete.startsWith('-')) {
      for (const [name, o] of Object.entries(options)) {
        if (`--${name}`.startsWith(toComplete)) candidates.push([`--${name}`, o.describe]);
        if (o.short && `-${o.short}`.startsWith(toComplete) && toComplete.length <= 2) candidates.push([`-${o.short}`, o.describe]);
      }
    }
  }
  const lines = candidates.map(([value, desc]) => (descriptions && desc ? `${value}\t${desc}` : value));
  return [...lines, `:${NO_FILE_COMP}`, ''].join('\n');
}
