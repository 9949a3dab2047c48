// The only module that runs docker. Every docker process starts here, without a shell, with
// docker's global options (as the user gave them) in front of its own arguments; so do docker's
// credential helpers (docker-credential-NAME), which docker runs the same way.
import { execa, ExecaError, type Options } from 'execa';
import { createWriteStream } from 'node:fs';
import { CancelledError, TidyError } from '../errors.js';
import { describeDaemon, timeoutError, type DockerTarget } from './target.js';

/**
 * docker could not be started (not installed, not on PATH): docker tidy run on its own, in a
 * container with only the daemon's socket, has no docker to reach other endpoints through.
 */
export class DockerNotFoundError extends TidyError {
  override name = 'DockerNotFoundError';
}

/**
 * Turns what a failed docker process said into an error that names the fix. `cause`: execa's
 * error for the process (its `code` is set when docker could not be started at all).
 */
export function classifyDockerFailure(target: DockerTarget, command: string, stderr: string, cause?: ExecaError): Error {
  if (target.signal.aborted) return new CancelledError();
  const code = cause?.code;
  if (code === 'ENOENT') {
    // A local socket and tcp (with TLS too) are reached without docker (endpoint.ts routeOf): say what needed it.
    const connecting = command === 'docker system dial-stdio';
    return new DockerNotFoundError(
      `docker binary not found: "${target.binary}", which docker tidy needs ${connecting ? `to reach ${describeDaemon(target)}` : `for ${command}`}`,
      connecting
        ? 'install the docker CLI, or put it on PATH; without it docker tidy reaches only a local socket or tcp:// (DOCKER_HOST, -H, or a context in the docker config folder; /var/run/docker.sock when none is set), not ssh://'
        : 'install the docker CLI, or put it on PATH',
      { cause },
    );
  }
  if (code === 'EACCES') {
    return new TidyError(`cannot run docker binary "${target.binary}": permission denied`, undefined, { cause });
  }
  const text = stderr.trim();
  const dialed = dialedAddress(text);
  // docker's ssh helper: ssh itself failed (exit status 255: refused, key not accepted, unknown
  // host key), before anything reached the remote docker. Its own words are after "stderr=".
  const ssh = /command \[ssh .*\] has exited with exit status 255.*?stderr=(.*)/s.exec(text);
  if (ssh) {
    const login = /-l (\S+)/.exec(text)?.[1];
    const port = /-p (\d+)/.exec(text)?.[1];
    const host = /-- (\S+) docker system dial-stdio/.exec(text)?.[1];
    const check = ['ssh', ...(port ? ['-p', port] : []), `${login ? `${login}@` : ''}${host ?? 'HOST'}`, 'docker', 'version'].join(' ');
    return new TidyError(
      `ssh could not reach ${describeDaemon(target, dialed)}: ${firstLine(ssh[1]!) || 'ssh exited with status 255'}`,
      `check that "${check}" works without a prompt: docker reaches ssh:// hosts with your keys or ssh agent, never a password`,
      { cause },
    );
  }
  if (/permission denied/i.test(text) && /connect|socket|dial/i.test(text)) {
    return new TidyError(
      `permission denied while connecting to ${describeDaemon(target, dialed)}`,
      'add your user to the "docker" group (sudo usermod -aG docker "$USER", then log in again), or run with sudo',
      { cause },
    );
  }
  // Before the address check: docker 28 says "unable to resolve docker endpoint: context \"x\": context not found".
  if (/context ".*" (does not exist|not found)|context not found/i.test(text)) {
    return new TidyError(firstLine(text).replace(/^Failed to initialize: /, ''), 'list the contexts with "docker context ls"', { cause });
  }
  if (/unable to resolve docker endpoint|invalid bind address|unable to parse docker host|invalid port/i.test(text)) {
    // docker could not make sense of the address it was given: nothing was dialled.
    return new TidyError(
      `invalid address for ${describeDaemon(target)}: ${firstLine(text).replace(/^Failed to initialize: /, '')}`,
      'use unix:///path/to/docker.sock, tcp://HOST:PORT, ssh://[USER@]HOST or npipe:////./pipe/NAME (check DOCKER_HOST, --host and "docker context ls")',
      { cause },
    );
  }
  if (
    /cannot connect to the docker daemon|connection refused|no such file or directory|no such host|i\/o timeout|error during connect|raw stream connection/i.test(
      text,
    )
  ) {
    return new TidyError(
      `cannot connect to ${describeDaemon(target, dialed)}: ${firstLine(text)}`,
      'is the daemon running? check DOCKER_HOST, --host and the current context ("docker context ls")',
      { cause },
    );
  }
  if (command === 'docker system dial-stdio') {
    // The connection was up and ended under us: most often the daemon stopped or restarted.
    const how = cause?.signal ? `was killed (${cause.signal})` : cause?.exitCode !== undefined ? `exited with code ${cause.exitCode}` : 'ended';
    return new TidyError(
      `lost the connection to ${describeDaemon(target, dialed)}: docker system dial-stdio ${how}${text ? `: ${firstLine(text)}` : ''}`,
      'is the daemon still running? check it ("docker info"), then run the command again',
      { cause },
    );
  }
  return new TidyError(`${command} failed: ${firstLine(text) || (cause?.shortMessage ?? 'unknown error')}`, undefined, { cause });
}

/**
 * Why the daemon's local socket (`url`) could not be used, in the words of the docker CLI's own
 * error, when there is no docker to try it instead. `failure`: the connection's error, whose cause
 * is the system's (ENOENT, ECONNREFUSED, EACCES).
 */
export function socketError(target: DockerTarget, url: string, failure: Error): TidyError {
  const cause = (failure.cause ?? failure) as NodeJS.ErrnoException;
  if (cause.code === 'EACCES' || cause.code === 'EPERM') {
    return new TidyError(
      `permission denied while connecting to ${describeDaemon(target, url)}`,
      'add your user to the "docker" group (sudo usermod -aG docker "$USER", then log in again), or run with sudo; in a container, run as root or with --group-add set to the socket\'s group',
      { cause },
    );
  }
  return new TidyError(
    `cannot connect to ${describeDaemon(target, url)}: ${cause.message}`,
    'is the daemon running? check DOCKER_HOST; in a container, mount the socket (docker run -v /var/run/docker.sock:/var/run/docker.sock ...)',
    { cause },
  );
}

function dialedAddress(stderr: string): string | undefined {
  const m = /dial (unix|tcp) ([^:\s]+(?::\d+)?)(?::|\s|$)/.exec(stderr);
  if (!m) return undefined;
  return m[1] === 'unix' ? `unix://${m[2]}` : `tcp://${m[2]}`;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

/** Runs `docker save REFS...` with its output going straight to an open file descriptor. */
export async function saveImageTo(target: DockerTarget, refs: string[], fd: number): Promise<void> {
  // "--": nothing from an image's name is ever read as an option.
  const args = ['save', '--', ...refs];
  try {
    await runDocker(target, args, {
      stdin: 'ignore',
      // A stream over the caller's descriptor: the file was opened O_EXCL by the caller.
      stdout: createWriteStream('', { fd, autoClose: false }),
    });
  } catch (error) {
    if (target.signal.aborted) throw new CancelledError();
    if (!(error instanceof ExecaError)) throw error;
    if (error.isCanceled) throw new CancelledError();
    throw classifyDockerFailure(target, `docker save`, String(error.stderr ?? ''), error);
  }
}

/**
 * Runs a short docker command and returns what it printed on stdout, or undefined when it failed
 * (the caller then goes another way). No answer within the timeout is an error.
 */
export async function dockerOutput(target: DockerTarget, args: string[]): Promise<string | undefined> {
  const answer = await shortDocker(target, args);
  return typeof answer === 'string' ? answer : undefined;
}

/**
 * Runs a short docker command and returns what it printed on stdout; a failure is an error that
 * says why, in docker's words (classifyDockerFailure). No answer within the timeout is an error.
 */
export async function dockerRead(target: DockerTarget, args: string[]): Promise<string> {
  const answer = await shortDocker(target, args);
  if (typeof answer === 'string') return answer;
  throw classifyDockerFailure(target, `docker ${args.slice(0, 2).join(' ')}`, String(answer.stderr ?? ''), answer);
}

/** A short docker command's stdout, or how it failed; interrupted or out of time, an error. */
async function shortDocker(target: DockerTarget, args: string[]): Promise<string | ExecaError> {
  try {
    const { stdout } = await runDocker(target, args, { timeout: target.timeoutMs, stdin: 'ignore', maxBuffer: 1 << 20 });
    return stdout;
  } catch (error) {
    if (target.signal.aborted) throw new CancelledError();
    if (!(error instanceof ExecaError)) throw error;
    if (error.isCanceled) throw new CancelledError();
    if (error.timedOut) throw timeoutError(target, `docker ${args.slice(0, 2).join(' ')}`);
    return error;
  }
}

/** Starts a long-running docker process with piped stdin/stdout (for `system dial-stdio`). */
export function spawnDocker(target: DockerTarget, args: string[]) {
  return runDocker(target, args, { buffer: false, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' } as const);
}

/**
 * Every docker process: `docker [the user's global options] ARGS`, no shell, docker's own
 * environment, ended (then killed after 2 s) when the run is cancelled.
 */
function runDocker<O extends Options>(target: DockerTarget, args: readonly string[], options: O) {
  const common = { env: target.env, extendEnv: false, cancelSignal: target.signal, forceKillAfterDelay: 2000 } as const;
  return execa(target.binary, [...target.globals.argv, ...args], { ...common, ...options });
}

/**
 * Runs docker's credential helper `docker-credential-NAME get` for one registry, as docker does
 * (the server address on stdin, the credentials as JSON on stdout), and returns what it printed.
 * Throws a TidyError that never carries the helper's output (it may hold a secret); its stderr's
 * first line says why it failed ("credentials not found in native keychain").
 */
export async function credentialHelperGet(target: DockerTarget, helper: string, serverAddress: string): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) throw new TidyError(`invalid credential helper name "${helper}" in docker's config file`);
  const program = `docker-credential-${helper}`;
  try {
    const { stdout } = await execa(program, ['get'], {
      env: target.env,
      extendEnv: false,
      cancelSignal: target.signal,
      forceKillAfterDelay: 2000,
      timeout: target.timeoutMs,
      input: serverAddress,
      maxBuffer: 1 << 20,
    });
    return stdout;
  } catch (error) {
    const e = error as { isCanceled?: boolean; timedOut?: boolean; code?: string; stderr?: string; stdout?: string };
    if (e.isCanceled || target.signal.aborted) throw new CancelledError();
    if (e.code === 'ENOENT') throw new TidyError(`${program} not found`);
    if (e.timedOut) throw new TidyError(`${program} did not answer within ${Math.round(target.timeoutMs / 1000)}s`);
    // Helpers print "credentials not found in native keychain" on stdout (docker-credential-helpers).
    throw new TidyError(`${program} failed: ${firstLine(e.stderr ?? '') || firstLine(e.stdout ?? '').slice(0, 200) || 'no reason given'}`);
  }
}
