// Many hosts: the docker contexts --contexts or --all-contexts name, each reached as docker reaches
// it (a target whose globals carry `--context NAME`, its own EngineClient), a few at a time. A host
// that cannot be read does not stop the others: its result says why. A command runs its one-host
// pipeline on each through onHosts, with a context of its own for that host.
import { join } from 'node:path';
import { hostsOutcome, pickContexts, type HostName, type HostResult } from '../core/hosts.js';
import type { Outcome } from '../core/outcome.js';
import { mapConcurrent } from '../docker/concurrency.js';
import { contextTarget, type DockerTarget } from '../docker/target.js';
import { CancelledError, TidyError, UsageError } from '../errors.js';
import { hostProgressOn } from '../render/progress.js';
import type { CommandContext, Output } from './command.js';

/** How many hosts are read (or changed) at once. */
export const HOST_CONCURRENCY = 4;

/** One host: the context's name, its endpoint, and how to run docker for it. */
export interface Host extends HostName {
  target: DockerTarget;
}

/** The flags that name hosts. */
export interface HostFlags {
  contexts: string[][];
  allContexts: boolean;
}

/** Whether the command line names several hosts (checked before anything runs: usage errors first). */
export function wantsHosts(ctx: CommandContext, flags: HostFlags, where: string): boolean {
  const named = flags.contexts.flat();
  if (!flags.allContexts && named.length === 0) return false;
  if (flags.allContexts && named.length > 0) throw new UsageError('--contexts and --all-contexts cannot be used together', where);
  const { globals } = ctx.target;
  if (globals.host !== undefined) throw new UsageError('--host (-H) cannot be used with --contexts or --all-contexts: each context names its own host', where);
  if (globals.context !== undefined) throw new UsageError('--context cannot be used with --contexts or --all-contexts: name every context in --contexts', where);
  return true;
}

/**
 * The hosts --contexts (in the order given, each once) or --all-contexts (docker context ls's
 * order) name, as docker lists them. A name docker does not know is an error before any host is
 * asked anything.
 */
export async function hostsOf(ctx: CommandContext, flags: HostFlags): Promise<Host[]> {
  // A bad setting is said before docker is asked anything, as on one host.
  if (ctx.target.badTimeout) throw new UsageError(ctx.target.badTimeout);
  if (ctx.target.badLogsVia) throw new UsageError(ctx.target.badLogsVia);
  const { listContexts } = await import('../docker/contexts.js');
  const { hosts, missing } = pickContexts(await listContexts(ctx.target), flags.allContexts ? undefined : flags.contexts.flat());
  if (missing.length) {
    throw new TidyError(missing.map((name) => `context "${name}": context not found`).join('\n'), 'list the contexts with "docker context ls"');
  }
  return hosts.map((h) => ({ ...h, target: contextTarget(ctx.target, h.context) }));
}

/**
 * Runs `work` on every host, HOST_CONCURRENCY at a time, with "Reading: 3/12 hosts" on stderr on a
 * terminal. Each gets a context for its host: its engine, and stderr whose warnings name the
 * context (and no progress lines of its own). A host that fails gives its error; an interruption
 * or a usage error (the same mistake on every host) ends the whole run.
 */
export async function onHosts<T>(
  ctx: CommandContext,
  hosts: readonly Host[],
  work: (hostCtx: CommandContext, host: Host) => Promise<T>,
  verb = 'Reading',
): Promise<HostResult<T>[]> {
  const progress = hostProgressOn(ctx.stderr, verb, hosts.length);
  let done = 0;
  progress?.update(done);
  return mapConcurrent(hosts, HOST_CONCURRENCY, async (host): Promise<HostResult<T>> => {
    const name: HostName = { context: host.context, endpoint: host.endpoint };
    const hostCtx: CommandContext = {
      ...ctx,
      target: host.target,
      engine: () => ctx.engineFor(host.target),
      stderr: hostStderr(ctx.stderr, host.context, () => progress?.clear()),
    };
    let result: HostResult<T>;
    try {
      result = { host: name, ok: true, value: await work(hostCtx, host) };
    } catch (error) {
      if (error instanceof CancelledError || error instanceof UsageError || ctx.target.signal.aborted) throw error;
      result = { host: name, ok: false, error: errorOf(error) };
    }
    progress?.update(++done);
    return result;
  });
}

/** The results that were read, with their hosts. */
export function readHosts<T>(results: readonly HostResult<T>[]): { host: HostName; value: T }[] {
  return results.flatMap((r) => (r.ok ? [{ host: r.host, value: r.value }] : []));
}

/** How the run ended: hosts that could not be read make it partial (exit 1). */
export function outcomeOnHosts(results: readonly HostResult<unknown>[], outcomes: readonly Outcome[] = []): Outcome {
  return hostsOutcome(results.filter((r) => !r.ok).length, outcomes);
}

/** One host's stderr: "warning: ..." lines say which context (`warning: context "a": ...`); never a terminal. */
function hostStderr(stderr: Output, context: string, beforeWrite: () => void): Output {
  return {
    isTTY: false,
    write: (text: string) => {
      beforeWrite();
      return stderr.write(text.replace(/^warning: /gm, `warning: context "${context}": `));
    },
  };
}

function errorOf(error: unknown): { message: string; hint?: string } {
  if (error instanceof TidyError) return { message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** Where --save writes on the host `ctx` is for: DIR itself on one host, DIR/CONTEXT on one of many. */
export function saveDirOn(ctx: CommandContext, save: string | undefined, many: boolean): string | undefined {
  if (save === undefined) return undefined;
  return many ? join(save, ctx.target.globals.context ?? '') : save;
}
