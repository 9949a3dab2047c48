// The Engine API: exact integer bytes and full IDs, many requests per connection (keep-alive).
// Where the daemon is, docker itself says (`docker [globals] context inspect`: flags, DOCKER_HOST,
// contexts, exactly as the docker CLI resolves them). A local unix socket without TLS is then
// connected to directly, as docker does; anything else (tcp with TLS, ssh://, ...), or a socket
// that cannot be reached directly, goes through `docker [globals] system dial-stdio`: an HTTP/1.1
// connection over a docker process's stdin/stdout, with docker's own transport and errors.
import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { z } from 'zod';
import { CancelledError, TidyError } from '../errors.js';
import { classifyDockerFailure, dockerOutput, spawnDocker, timeoutError } from './cli.js';
import { describeDaemon, type DockerTarget } from './target.js';

/** The oldest Engine API we speak: Docker 19.03. */
export const MIN_API_VERSION = '1.40';
/** The newest API shape we parse. /system/df changed shape at 1.52, so we ask for at most 1.51. */
export const MAX_API_VERSION = '1.51';

/** An error response from the Engine API, with its HTTP status and the daemon's message. */
export class EngineApiError extends TidyError {
  override name = 'EngineApiError';
  constructor(
    readonly status: number,
    readonly daemonMessage: string,
    what: string,
  ) {
    super(`${what}: ${daemonMessage || `HTTP ${status}`}`);
  }
}

/** How one request is sent. */
export interface RequestOptions {
  /** Runs to its end (within the timeout) when the run is interrupted after it was sent. */
  finishOnAbort?: boolean;
  /** Sent as JSON. */
  body?: unknown;
}

/** Compares dotted API versions ("1.41" < "1.45"). */
export function compareApiVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 !== b1 ? a1 - b1 : a2 - b2;
}

/** A connection pool to one daemon; `close()` ends every docker process it started. */
export class EngineClient {
  /** The API version used in request paths: the daemon's, capped at MAX_API_VERSION. */
  apiVersion = MIN_API_VERSION;
  /** The daemon's own API version, as its /_ping said. */
  serverApiVersion = MIN_API_VERSION;
  private readonly agent: http.Agent;
  private readonly children = new Set<ReturnType<typeof spawnDocker>>();
  private failure: Error | undefined;
  /** The daemon's unix socket, when connections go to it directly instead of through docker. */
  private socketPath: string | undefined;

  constructor(readonly target: DockerTarget) {
    const open = (): Duplex => this.openConnection();
    this.agent = new (class extends http.Agent {
      override createConnection(): Duplex {
        return open();
      }
    })({ keepAlive: true, maxSockets: 1 });
  }

  /** Connects and agrees on an API version; fails clearly when the daemon is too old. */
  async connect(): Promise<this> {
    this.socketPath = await localSocket(this.target);
    let ping: Awaited<ReturnType<EngineClient['send']>>;
    try {
      ping = await this.send('GET', '/_ping', 'ping the Docker daemon');
    } catch (error) {
      // Only a socket that could not be used (refused, missing, permission denied), not a daemon
      // that does not answer: docker may still reach it, and if not, says why in its own words.
      if (this.socketPath === undefined || this.failure === undefined) throw error;
      this.socketPath = undefined;
      this.failure = undefined;
      ping = await this.send('GET', '/_ping', 'ping the Docker daemon');
    }
    const { headers } = ping;
    const version = String(headers['api-version'] ?? '');
    if (!/^\d+\.\d+$/.test(version)) {
      throw new TidyError(`the Docker daemon answered /_ping without an API version ("${version}")`);
    }
    this.serverApiVersion = version;
    if (compareApiVersions(version, MIN_API_VERSION) < 0) {
      throw new TidyError(
        `the Docker daemon is too old: API ${version}, docker tidy needs ${MIN_API_VERSION} (Docker 19.03) or newer`,
        'upgrade the Docker engine',
      );
    }
    this.apiVersion = compareApiVersions(version, MAX_API_VERSION) > 0 ? MAX_API_VERSION : version;
    return this;
  }

  /** Allows up to `n` connections (docker processes) for requests made in parallel. */
  setConnections(n: number): void {
    this.agent.maxSockets = Math.max(1, n);
  }

  /** GETs a versioned API path and returns the parsed JSON body. */
  async getJson(path: string, what: string): Promise<unknown> {
    const { body } = await this.send('GET', `/v${this.apiVersion}${path}`, what);
    return parseJson(body.toString('utf8'), what);
  }

  /**
   * Sends a request with any method to a versioned API path; returns the parsed JSON body (or
   * null). `finishOnAbort`: a request already sent runs to its end (within the timeout) when the
   * run is interrupted, so that a removal in flight is reported as done or failed, never lost.
   * `body` is sent as JSON.
   */
  async requestJson(method: string, path: string, what: string, options: RequestOptions = {}): Promise<unknown> {
    const { body } = await this.send(method, `/v${this.apiVersion}${path}`, what, options);
    return body.length === 0 ? null : parseJson(body.toString('utf8'), what);
  }

  /** The same, returning the answer's bytes as they came (container logs: a multiplexed stream). */
  async requestBytes(method: string, path: string, what: string, options: RequestOptions = {}): Promise<Buffer> {
    return (await this.send(method, `/v${this.apiVersion}${path}`, what, options)).body;
  }

  /**
   * A client for the same daemon that the run's interruption does not cancel, each request bounded
   * by `timeoutMs`: to clean up what an interrupted run left (a helper container). Close it after use.
   */
  uncancelled(timeoutMs: number): EngineClient {
    const client = new EngineClient({ ...this.target, signal: new AbortController().signal, timeoutMs });
    client.socketPath = this.socketPath;
    client.apiVersion = this.apiVersion;
    client.serverApiVersion = this.serverApiVersion;
    return client;
  }

  /** Ends every docker process this client started. */
  close(): void {
    this.agent.destroy();
    for (const child of this.children) {
      child.stdin?.end();
      child.kill();
    }
  }

  private send(method: string, path: string, what: string, options: RequestOptions = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    const { target } = this;
    const finishOnAbort = options.finishOnAbort === true;
    if (target.signal.aborted) return Promise.reject(new CancelledError());
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | undefined, value?: { status: number; headers: http.IncomingHttpHeaders; body: Buffer }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        target.signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value!);
      };
      const headers: http.OutgoingHttpHeaders = { Accept: 'application/json' };
      if (payload) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': payload.length });
      const req = http.request({ agent: this.agent, method, path, host: 'docker', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => finish(this.failure ?? error));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (status >= 400) finish(new EngineApiError(status, daemonMessage(body.toString('utf8')), what));
          else finish(undefined, { status, headers: res.headers, body });
        });
      });
      // The connection's failure (docker exited, said why on stderr) explains a broken request better.
      req.on('error', (error) => {
        setTimeout(() => finish(this.failure ?? this.socketFailure(error) ?? new TidyError(`${what}: ${error.message}`, undefined, { cause: error })), 50);
      });
      const onAbort = (): void => {
        req.destroy();
        finish(new CancelledError());
      };
      if (!finishOnAbort) target.signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        req.destroy();
        this.close();
        finish(timeoutError(target, what));
      }, target.timeoutMs);
      req.end(payload);
    });
  }

  /** A direct connection failed or was cut (the daemon stopped, say): recorded, and the error for every request. */
  private socketFailure(error: NodeJS.ErrnoException): Error | undefined {
    if (this.socketPath === undefined) return undefined;
    return (this.failure ??= new TidyError(
      `lost the connection to ${describeDaemon(this.target, `unix://${this.socketPath}`)}: ${error.message}`,
      'is the daemon still running? check it ("docker info"), then run the command again',
      { cause: error },
    ));
  }

  private openConnection(): Duplex {
    if (this.socketPath !== undefined) {
      const socket = net.connect({ path: this.socketPath });
      socket.on('error', (error) => this.socketFailure(error));
      return socket;
    }
    const child = spawnDocker(this.target, ['system', 'dial-stdio']);
    this.children.add(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      if (stderr.length < 10_000) stderr += text;
    });
    const socket = Duplex.from({ readable: child.stdout!, writable: child.stdin! });
    // A request in flight hears the connection's errors through its own listener; an idle one
    // that the pool closes (fewer connections wanted now) must not crash the process.
    socket.on('error', () => undefined);
    // http.Agent treats its connections as net.Sockets; these are no-ops for a pipe.
    const fake = socket as Duplex & Record<string, unknown>;
    for (const method of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) {
      fake[method] = function (this: Duplex) {
        return this;
      };
    }
    child.then(
      () => socket.destroy(),
      (error: unknown) => {
        this.failure ??= classifyDockerFailure(this.target, 'docker system dial-stdio', stderr, (error as { code?: string }).code ? error : undefined);
        socket.destroy(this.failure);
      },
    );
    child.finally(() => this.children.delete(child)).catch(() => undefined);
    return socket;
  }
}

/** What `docker context inspect` says of the endpoint docker would use. */
const ContextInspect = z.object({
  Endpoints: z.object({ docker: z.object({ Host: z.string() }) }),
  TLSMaterial: z.record(z.string(), z.unknown()).nullish(),
});

/** The daemon's unix socket when docker would reach it over a plain local unix socket; else undefined. */
async function localSocket(target: DockerTarget): Promise<string | undefined> {
  if (target.globals.argv.some((a) => a.startsWith('--tls')) || target.env.DOCKER_TLS_VERIFY) return undefined;
  return unixSocketOf(await dockerOutput(target, ['context', 'inspect', '--format', '{{json .}}']));
}

/**
 * The socket path in what `docker context inspect --format '{{json .}}'` printed, when the endpoint
 * is `unix://` with no TLS material; undefined for anything else (tcp, ssh, TLS, no answer). Pure.
 */
export function unixSocketOf(contextJson: string | undefined): string | undefined {
  let parsed;
  try {
    parsed = ContextInspect.safeParse(JSON.parse(contextJson ?? ''));
  } catch {
    return undefined;
  }
  if (!parsed.success) return undefined;
  const { Endpoints, TLSMaterial } = parsed.data;
  if (TLSMaterial && Object.keys(TLSMaterial).length > 0) return undefined;
  return /^unix:\/\/(\/.+)$/.exec(Endpoints.docker.Host)?.[1];
}

function daemonMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return body.trim().slice(0, 500);
}

function parseJson(body: string, what: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new TidyError(`${what}: the daemon's answer is not valid JSON (${(error as Error).message}): ${JSON.stringify(body.slice(0, 120))}`);
  }
}
