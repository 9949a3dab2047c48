// The CLI layer: works out how docker ran us, dispatches to a command, and is the only place
// that turns outcomes and errors into exit codes (usage 125, failure 1, interrupted 130).
import type { EngineClient } from '../docker/engine.js';
import { dockerTarget, type DockerTarget } from '../docker/target.js';
import { CancelledError, TidyError, UsageError } from '../errors.js';
import { sanitizeLines } from '../render/text.js';
import { watchCancellation } from '../plugin/cancel.js';
import { parseInvocation, type Invocation } from '../plugin/invocation.js';
import type { Outcome } from '../core/outcome.js';
import type { CommandContext } from './command.js';
import { complete, wantsContextNames, wantsImageReferences } from './complete.js';
import { renderCommandHelp, renderRootHelp, renderVersion } from './help.js';
import { outputTo, type Output } from './output.js';
import { commands, findCommand } from './registry.js';

/** Runs docker tidy with argv (without node and script) and sets the process's exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  let debug = argv.includes('-D') || argv.includes('--debug');
  // Every client opened, by context ("" for the daemon docker would pick), closed when the run ends.
  const clients: EngineClient[] = [];
  const connecting = new Map<string, Promise<EngineClient>>();
  let finished = false;
  const signal = watchCancellation();
  // A reader that went away (`docker tidy images | head -1`) is not a failure: the rest of the
  // output is dropped, the command finishes as asked (output.ts).
  const stdout = outputTo(1);
  const stderr = outputTo(2);
  let code: number;
  try {
    const invocation = parseInvocation(argv);
    debug = invocation.globals.debug;
    const target = dockerTarget(invocation.globals, signal);
    // Loaded on first use: help, --version and completion never pay for execa. One client per
    // target, kept before it is connected, so that `finally` below closes it even when connecting failed.
    const open = (at: DockerTarget, key: string): Promise<EngineClient> => {
      let pending = connecting.get(key);
      if (!pending) {
        pending = import('../docker/engine.js').then(({ EngineClient }) => {
          if (finished) throw new CancelledError();
          // A bad setting is said before docker is asked anything, like a bad flag.
          if (at.badTimeout) throw new UsageError(at.badTimeout);
          if (at.badLogsVia) throw new UsageError(at.badLogsVia);
          const client = new EngineClient(at);
          clients.push(client);
          return client.connect();
        });
        connecting.set(key, pending);
      }
      return pending;
    };
    const ctx: CommandContext = {
      target,
      engine: () => open(target, ''),
      engineFor: (at) => open(at, `context:${at.globals.context ?? ''}`),
      stdout,
      stderr,
      // Asked on first use: process.stdin, or node:tty, costs as much as a command's own work.
      get stdinIsTTY() {
        return process.getBuiltinModule('node:tty').isatty(0);
      },
      env: process.env,
      now: Math.floor(Date.now() / 1000),
    };
    code = await dispatch(invocation, ctx);
  } catch (error) {
    code = report(error, debug, stderr);
  } finally {
    finished = true;
    for (const client of clients) client.close();
  }
  process.exitCode = code;
}

async function dispatch(invocation: Invocation, ctx: CommandContext): Promise<number> {
  if (invocation.kind === 'complete') {
    const references = wantsImageReferences(commands, invocation.args) ? await imageReferences(ctx) : [];
    const contexts = wantsContextNames(commands, invocation.args) ? await contextNames(ctx) : [];
    ctx.stdout.write(complete(commands, invocation.args, invocation.descriptions, references, contexts));
    return 0;
  }
  const [word, ...rest] = invocation.args;
  if (invocation.kind === 'help') {
    const command = word === undefined ? undefined : findCommand(word);
    if (word !== undefined && !command) throw unknownCommand(word);
    ctx.stdout.write(command ? renderCommandHelp(command) : renderRootHelp(commands));
    return 0;
  }
  if (word === undefined || word === '--help' || word === '-h' || word === 'help') {
    const command = word === 'help' && rest[0] ? findCommand(rest[0]) : undefined;
    if (word === 'help' && rest[0] && !command) throw unknownCommand(rest[0]);
    ctx.stdout.write(command ? renderCommandHelp(command) : renderRootHelp(commands));
    return 0;
  }
  if (word === '--version' || word === '-v') {
    ctx.stdout.write(renderVersion());
    return 0;
  }
  if (word.startsWith('-')) {
    throw new UsageError(`unknown flag: ${word.split('=')[0]}`, 'docker tidy');
  }
  const command = findCommand(word);
  if (!command) throw unknownCommand(word);
  const untilDashDash = rest.indexOf('--') < 0 ? rest : rest.slice(0, rest.indexOf('--'));
  if (untilDashDash.includes('--help') || untilDashDash.includes('-h')) {
    ctx.stdout.write(renderCommandHelp(command));
    return 0;
  }
  // The command line is checked, and every value parsed, before the handler loads or docker is asked anything.
  const { parseCommandArgs } = await import('./args.js');
  const input = await parseCommandArgs(command, rest, { now: ctx.now });
  const { run } = await command.load();
  return EXIT_CODES[await run(ctx, input)];
}

/** The exit code of each outcome, as docker's: 0 done, 1 something failed or was refused, 130 interrupted. */
const EXIT_CODES: Record<Outcome, number> = { ok: 0, partial: 1, refused: 1, interrupted: 130 };

/** The daemon's image references for completion (tags, then untagged IDs); none when it cannot be asked. */
async function imageReferences(ctx: CommandContext): Promise<string[]> {
  try {
    const [engine, { readImageTags }] = await Promise.all([ctx.engine(), import('../docker/read-snapshot.js')]);
    return await readImageTags(engine);
  } catch {
    // Completion never fails loudly: no candidates.
    return [];
  }
}

async function contextNames(ctx: CommandContext): Promise<string[]> {
  try {
    const { listContexts } = await import('../docker/contexts.js');
    return (await listContexts(ctx.target)).map((h) => h.context);
  } catch {
    return [];
  }
}

function unknownCommand(word: string): UsageError {
  return new UsageError(`unknown command: docker tidy ${word}`, 'docker tidy');
}

/** Prints an error docker's way and returns the exit code for it. */
function report(error: unknown, debug: boolean, stderr: Output): number {
  // Messages can quote the daemon, and through it names: no terminal escapes get through.
  const write = (text: string): void => void stderr.write(sanitizeLines(text.endsWith('\n') ? text : text + '\n'));
  if (error instanceof UsageError) {
    // docker: "unknown flag: --foo\nSee 'docker ps --help'."
    write(error.helpCommand ? `${error.message}\nSee '${error.helpCommand} --help'.` : error.message);
    return 125;
  }
  if (error instanceof CancelledError) {
    write(error.message);
    return 130;
  }
  if (error instanceof TidyError) {
    write(error.hint ? `${error.message}\n${error.hint}` : error.message);
    if (debug && error.stack) write(error.stack);
    return 1;
  }
  const e = error instanceof Error ? error : new Error(String(error));
  write(debug && e.stack ? e.stack : e.message);
  return 1;
}
