// Help that looks like docker's own (cobra's templates in docker/cli).
import { version } from '../plugin/metadata.js';
import type { AnyCommand } from './registry.js';
import { help, type OptionSpec } from './options.js';

const ROOT_DESCRIPTION = 'Find where Docker disk space goes, and remove images safely';

/** `docker tidy --help`. */
export function renderRootHelp(commands: readonly AnyCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    '',
    'Usage:  docker tidy [OPTIONS] COMMAND',
    '',
    ROOT_DESCRIPTION,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options:',
    ...renderOptions([help, { kind: 'boolean', name: 'version', describe: 'Print version information and quit' }]),
    '',
    "Run 'docker tidy COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

/** `docker tidy COMMAND --help`. */
export function renderCommandHelp(command: AnyCommand): string {
  const paragraphs: readonly string[] = command.description ?? [command.summary];
  const lines = ['', `Usage:  docker tidy ${command.name} ${command.usage}`.trimEnd(), '', paragraphs.map((p) => wrap(p, WIDTH)).join('\n\n'), ''];
  if (command.aliases?.length) {
    lines.push('Aliases:', `  docker tidy ${[command.name, ...command.aliases].join(', docker tidy ')}`, '');
  }
  lines.push('Options:', ...renderOptions([...Object.values(command.options as Record<string, OptionSpec>), help]), '');
  return lines.join('\n');
}

/** Help text is wrapped to this many columns. */
const WIDTH = 96;

/** Words of `text` in lines of at most `width` columns. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** `docker tidy --version`. */
export function renderVersion(): string {
  return `docker tidy version ${version}\n`;
}

// pflag's layout: "  -v, --verbose        text" / "      --json           text".
function renderOptions(options: readonly OptionSpec[]): string[] {
  const left = [...options]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((o) => {
      const short = o.short ? `-${o.short}, ` : '    ';
      const value = o.kind === 'value' ? ` ${o.valueName}` : '';
      return [`  ${short}--${o.name}${value}`, describeOption(o)] as const;
    });
  const width = Math.max(...left.map(([l]) => l.length)) + 3;
  return left.map(([l, d]) => `${l.padEnd(width)}${d}`);
}

function describeOption(o: OptionSpec): string {
  return o.kind === 'value' && o.defaultText !== undefined ? `${o.describe} (default ${JSON.stringify(o.defaultText)})` : o.describe;
}
