// Which docker to run and how: the binary, docker's global options, the environment, the limits.
// Kept apart from the module that runs docker so that help and completion load nothing heavy.
import type { GlobalOptions } from '../core/globals.js';
import { TidyError } from '../errors.js';

/** How to run docker: which binary, with which global options, environment and limits. */
export interface DockerTarget {
  /** DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND when docker ran us, else `docker` from PATH. */
  binary: string;
  globals: GlobalOptions;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Upper bound for one docker call or one Engine API request, in milliseconds. */
  timeoutMs: number;
  /** Why DOCKER_TIDY_TIMEOUT cannot be used, when it is set to something that is not a duration. */
  badTimeout?: string;
  /**
   * How container log files are read (DOCKER_TIDY_LOGS_VIA): on this machine when they can be,
   * else through a helper container (auto); only here (local); only through a helper (helper).
   */
  logsVia: 'auto' | 'local' | 'helper';
  /** Why DOCKER_TIDY_LOGS_VIA cannot be used, when it is set to something else. */
  badLogsVia?: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** Builds the target from the plugin's environment and docker's global options. */
export function dockerTarget(globals: GlobalOptions, signal: AbortSignal, env = process.env): DockerTarget {
  const text = env.DOCKER_TIDY_TIMEOUT?.trim();
  const timeoutSeconds = text ? Number(text) : undefined;
  const valid = timeoutSeconds === undefined || (/^\d+(\.\d+)?$/.test(text!) && timeoutSeconds > 0 && timeoutSeconds <= 86_400);
  // docker 28 sets DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND to the plugin's own path when it runs
  // it for shell completion: running that would run docker tidy again, so docker from PATH then.
  const original = env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND;
  const isPlugin = original !== undefined && /(?:^|[\\/])docker-[a-z][a-z0-9]*(?:\.exe)?$/.test(original);
  const via = env.DOCKER_TIDY_LOGS_VIA?.trim() || 'auto';
  const viaValid = via === 'auto' || via === 'local' || via === 'helper';
  return {
    binary: original && !isPlugin ? original : 'docker',
    globals,
    env,
    signal,
    timeoutMs: valid && timeoutSeconds !== undefined ? timeoutSeconds * 1000 : DEFAULT_TIMEOUT_MS,
    ...(valid ? {} : { badTimeout: `invalid DOCKER_TIDY_TIMEOUT "${text}": use a number of seconds above 0 and at most 86400 (a day), such as 300` }),
    logsVia: viaValid ? via : 'auto',
    ...(viaValid ? {} : { badLogsVia: `invalid DOCKER_TIDY_LOGS_VIA "${via}": use auto, local or helper` }),
  };
}

/** Says which daemon we tried, the way the user chose it. */
export function describeDaemon(target: DockerTarget, dialed?: string): string {
  const { globals, env } = target;
  const where = dialed ? ` at ${dialed}` : '';
  if (globals.host) return `the Docker daemon${where} (--host ${globals.host})`;
  if (globals.context) return `the Docker daemon${where} (context "${globals.context}")`;
  if (env.DOCKER_HOST) return `the Docker daemon${where} (DOCKER_HOST=${env.DOCKER_HOST})`;
  if (env.DOCKER_CONTEXT) return `the Docker daemon${where} (DOCKER_CONTEXT=${env.DOCKER_CONTEXT})`;
  return `the Docker daemon${where} (the current docker context)`;
}


/** The error for a docker call or request that did not finish in time. */
export function timeoutError(target: DockerTarget, what: string): TidyError {
  return new TidyError(
    `${what}: no answer from docker within ${Math.round(target.timeoutMs / 1000)}s`,
    'the daemon may be overloaded or hung; set DOCKER_TIDY_TIMEOUT (seconds) to wait longer',
  );
}

/**
 * The target for one docker context of many (--contexts): the same docker, environment and
 * limits, with docker's own global `--context NAME` in place of any context or host given, so that
 * docker resolves that context's endpoint (unix, tcp with TLS, ssh) as it does for itself.
 */
export function contextTarget(target: DockerTarget, context: string): DockerTarget {
  const argv: string[] = [];
  const given = target.globals.argv;
  for (let i = 0; i < given.length; i++) {
    const token = given[i]!;
    if (token === '-c' || token === '--context' || token === '-H' || token === '--host') i++;
    else if (!/^(--context=|--host=|-c.|-H.)/.test(token)) argv.push(token);
  }
  const { host: _host, ...globals } = target.globals;
  return { ...target, globals: { ...globals, argv: [...argv, '--context', context], context } };
}
