// The Engine API: exact integer bytes and full IDs, many requests per connection (keep-alive).
// Where the daemon is, endpoint.ts works out as docker does (flags, DOCKER_HOST, contexts and their
// files), and only where that cannot be read is docker asked (`docker [globals] context inspect`).
// A local unix socket (or, on Windows, a local named pipe) and tcp, plain or with TLS, are spoken
// to directly, as docker does; anything else (ssh://, ...), or a socket docker tidy may not open
// itself, goes through `docker [globals] system dial-stdio`: an HTTP/1.1 connection over a docker
// process's stdin/stdout, with docker's own transport and errors. node:http and the module that
// runs docker load only for those (and on Windows): a run on a local socket or tcp loads neither.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { CancelledError, TidyError } from '../errors.js';
import { endpointFromInspect, resolveEndpoint, routeOf, type Endpoint, type Route } from './endpoint.js';
import { describeDaemon, timeoutError, type DockerTarget } from './target.js';

/** The oldest Engine API we speak: Docker 19.03. */
export const MIN_API_VERSION = '1.40';
/**
 * The newest Engine API we speak: 1.55 (Docker 29.6). Every answer docker tidy reads was checked
 * against moby's API changelog and spec up to it: only /system/df changed shape (1.52), and raw.ts
 * reads both shapes. A newer daemon is asked at this version; an older one at its own.
 */
export const MAX_API_VERSION = '1.55';

/**
 * How long a request broken with its connection waits for that connection's docker process to
 * exit, whose stderr says why (the daemon stopped, ssh failed, ...). docker exits at once when the
 * connection ends; one that does not within this time leaves the request's own error.
 */
const EXIT_GRACE_MS = 2000;

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
  /** Sent with it (X-Registry-Auth). */
  headers?: Record<string, string>;
}

/** An answer: its status, headers and bytes. */
interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Compares dotted API versions ("1.41" < "1.45"). */
export function compareApiVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 !== b1 ? a1 - b1 : a2 - b2;
}

/**
 * The API version to ask a daemon whose own is `server` for: its own, capped at MAX_API_VERSION, as
 * docker's client negotiates. Daemons of API 1.52 and newer are asked at 1.52 or newer, never held
 * at 1.51: an engine may stop serving it (Docker 29.0 to 29.2 refuse anything below 1.44, and a
 * daemon's `min-api-version` can raise its floor), and raw.ts reads /system/df's 1.52 shape. Pure.
 */
export function negotiateApiVersion(server: string): string {
  return compareApiVersions(server, MAX_API_VERSION) > 0 ? MAX_API_VERSION : server;
}

/** docker's own words when nothing listens where it dials (a socket that does not exist, a refused port). */
export function cannotConnect(url: string): TidyError {
  return new TidyError(`Cannot connect to the Docker daemon at ${url}. Is the docker daemon running?`);
}

/** The modules of the node:http path (through docker, or without Bun's fetch), loaded only when it is used. */
interface NodeModules {
  http: typeof import('node:http');
  net: typeof import('node:net');
  tls: typeof import('node:tls');
  Duplex: typeof import('node:stream').Duplex;
  delay: typeof import('node:timers/promises').setTimeout;
  ExecaError: typeof import('execa').ExecaError;
  cli: typeof import('./cli.js');
}

/** A connection pool to one daemon; `close()` ends every docker process it started. */
export class EngineClient {
  /** The API version used in request paths: the daemon's, capped at MAX_API_VERSION. */
  apiVersion = MIN_API_VERSION;
  /** The daemon's own API version, as its /_ping said. */
  serverApiVersion = MIN_API_VERSION;
  /** How requests reach the daemon (set by connect()). */
  route: Route = { kind: 'docker', url: '' };
  /** The endpoint docker would use, when it could be read without docker (or from docker's answer). */
  endpoint: Endpoint | undefined;
  /** At most this many requests in flight (connections; through docker, each a docker process). */
  private connections = 1;
  private agent: http.Agent | undefined;
  private node: NodeModules | undefined;
  private readonly children = new Set<ReturnType<typeof import('./cli.js').spawnDocker>>();
  private failure: Error | undefined;
  /** How to fail each request in flight at once (see openConnection). */
  private readonly inFlight = new Set<(error: Error) => void>();
  /** How each connection through docker ended: its docker process's exit (see send's error handler). */
  private readonly exits = new WeakMap<Duplex, Promise<unknown>>();
  /** How many requests each connection has carried (a kept-alive one may have been closed by the other end). */
  private readonly uses = new WeakMap<Duplex, number>();
  /** Requests sent with fetch and not yet answered, and those waiting for a turn (fetchDirect). */
  private fetching = 0;
  private readonly waitingToFetch: Array<() => void> = [];

  constructor(readonly target: DockerTarget) {}

  /** Connects and agrees on an API version; fails clearly when the daemon is too old or not there. */
  async connect(): Promise<this> {
    this.endpoint = resolveEndpoint(this.target.globals, this.target.env);
    this.route = this.endpoint ? routeOf(this.endpoint) : await this.askDocker();
    if (this.route.kind === 'docker' || !nativeFetch) await this.loadNode();
    let ping: Answer;
    try {
      ping = await this.send('GET', '/_ping', 'ping the Docker daemon');
    } catch (error) {
      if (this.route.kind === 'docker' || error instanceof CancelledError) throw error;
      const cause = (this.failure?.cause ?? error) as NodeJS.ErrnoException;
      const code = String(cause?.code ?? '');
      // Nothing there: docker would say the same, in these words, without a docker process.
      if (/^(ENOENT|ECONNREFUSED|ConnectionRefused|FailedToOpenSocket)$/.test(code)) throw cannotConnect(this.route.url);
      // Only a socket that could not be used (permission denied), not a daemon that does not
      // answer: docker may still reach it, and if not, says why in its own words. tcp: docker
      // would fail the same way.
      if (this.route.kind !== 'socket' || this.failure === undefined) throw this.failure ? connectFailure(this.target, this.route.url, cause) : error;
      const [direct, url] = [this.failure, this.route.url];
      this.route = { kind: 'docker', url };
      this.failure = undefined;
      await this.loadNode();
      const { DockerNotFoundError, socketError } = this.node!.cli;
      ping = await this.send('GET', '/_ping', 'ping the Docker daemon').catch((viaDocker: unknown) => {
        // No docker to try (docker tidy on its own, in a container): the socket's own error says why.
        throw viaDocker instanceof DockerNotFoundError ? socketError(this.target, url, direct) : viaDocker;
      });
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
    this.apiVersion = negotiateApiVersion(version);
    return this;
  }

  /**
   * Reached over ssh (through docker): every connection is a docker process and two ssh sessions
   * (docker's own ping, then the stream), a tenth of a second or more each, so fewer are opened.
   */
  get overSsh(): boolean {
    return this.route.kind === 'docker' && /^ssh:\/\//i.test(this.route.url);
  }

  /** Allows up to `n` connections (docker processes) for requests made in parallel. */
  setConnections(n: number): void {
    this.connections = Math.max(1, n);
    if (this.agent) this.agent.maxSockets = this.connections;
  }

  /** GETs a versioned API path and returns the parsed JSON body; `headers` go with it (X-Registry-Auth). */
  async getJson(path: string, what: string, headers?: Record<string, string>): Promise<unknown> {
    const { body } = await this.send('GET', `/v${this.apiVersion}${path}`, what, { headers });
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
    client.route = this.route;
    client.endpoint = this.endpoint;
    if (this.node) client.useNode(this.node);
    client.apiVersion = this.apiVersion;
    client.serverApiVersion = this.serverApiVersion;
    return client;
  }

  /** Ends every docker process this client started. */
  close(): void {
    this.agent?.destroy();
    for (const child of this.children) {
      child.stdin?.end();
      child.kill();
    }
  }

  /** Where the endpoint is when it cannot be read without docker: `docker [globals] context inspect`. */
  private async askDocker(): Promise<Route> {
    const { dockerOutput } = await import('./cli.js');
    this.endpoint = endpointFromInspect(await dockerOutput(this.target, ['context', 'inspect', '--format', '{{json .}}']));
    return this.endpoint ? routeOf(this.endpoint) : { kind: 'docker', url: '' };
  }

  private async loadNode(): Promise<void> {
    if (this.node) return;
    const [http, net, tls, stream, timers, execa, cli] = await Promise.all([
      import('node:http'),
      import('node:net'),
      import('node:tls'),
      import('node:stream'),
      import('node:timers/promises'),
      import('execa'),
      import('./cli.js'),
    ]);
    this.useNode({ http, net, tls, Duplex: stream.Duplex, delay: timers.setTimeout, ExecaError: execa.ExecaError, cli });
  }

  /** The node:http path: its modules, and a pool whose connections openConnection() makes. */
  private useNode(node: NodeModules): void {
    this.node = node;
    const open = (): Duplex => this.openConnection();
    this.agent = new (class extends node.http.Agent {
      override createConnection(): Duplex {
        return open();
      }
    })({ keepAlive: true, maxSockets: this.connections });
  }

  private async send(method: string, path: string, what: string, options: RequestOptions = {}): Promise<Answer> {
    const { target } = this;
    if (target.signal.aborted) throw new CancelledError();
    const finishOnAbort = options.finishOnAbort === true;
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    if (payload) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) });
    const { route } = this;
    if (route.kind !== 'docker' && nativeFetch) return this.fetchDirect(route, method, path, what, finishOnAbort, headers, payload);
    try {
      return await this.sendOnce(method, path, what, finishOnAbort, headers, payload);
    } catch (error) {
      // A kept-alive connection that ended as the request went out (the other end closed it while
      // idle): a GET is asked again once, on a new connection. Nothing else is sent twice.
      if (!(error instanceof StaleConnection)) throw error;
      return this.sendOnce(method, path, what, finishOnAbort, headers, payload);
    }
  }

  private sendOnce(
    method: string,
    path: string,
    what: string,
    finishOnAbort: boolean,
    headers: Record<string, string>,
    payload: Buffer | undefined,
  ): Promise<Answer> {
    const { target } = this;
    const { http, delay } = this.node!;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | undefined, value?: Answer): void => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(fail);
        clearTimeout(timer);
        target.signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value!);
      };
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
      let connection: Duplex | undefined;
      let reused = false;
      let answered = false;
      req.on('socket', (socket: Duplex) => {
        connection = socket;
        reused = (this.uses.get(socket) ?? 0) > 0;
        this.uses.set(socket, (this.uses.get(socket) ?? 0) + 1);
      });
      req.on('response', () => (answered = true));
      // The connection's failure (docker exited, said why on stderr) explains a broken request
      // better: when the connection goes through docker, its exit is waited for (briefly: a docker
      // that lingers leaves the request's own error).
      req.on('error', (error) => {
        const explain = (): void => {
          if (this.failure === undefined && method === 'GET' && reused && !answered && !target.signal.aborted) {
            return finish(new StaleConnection(error));
          }
          finish(this.failure ?? this.directFailure(error) ?? new TidyError(`${what}: ${error.message}`, undefined, { cause: error }));
        };
        const exited = connection && this.exits.get(connection);
        if (!exited) return explain();
        void Promise.race([exited, delay(EXIT_GRACE_MS)]).then(explain);
      });
      const fail = (error: Error): void => {
        req.destroy();
        finish(error);
      };
      this.inFlight.add(fail);
      const onAbort = (): void => {
        req.destroy();
        finish(new CancelledError());
      };
      if (!finishOnAbort) target.signal.addEventListener('abort', onAbort, { once: true });
      // This request alone: the others keep their connections and their own time.
      const timer = setTimeout(() => {
        finish(timeoutError(target, what));
        req.destroy();
      }, target.timeoutMs);
      req.end(payload);
    });
  }

  /**
   * The same request with Bun's own HTTP client, over the unix socket or tcp (TLS too): in the
   * executable (Bun), node:http parses each answer in JavaScript, about four times the CPU of Bun's
   * native client (600 inspect and history requests: 120-150 ms against 30-37 ms). Bun pools its
   * connections; at most setConnections() requests are in flight, as with node:http's agent, so
   * that the daemon sees the same load (on the containerd store, removals in parallel slow each
   * other down).
   */
  private async fetchDirect(
    route: Exclude<Route, { kind: 'docker' }>,
    method: string,
    path: string,
    what: string,
    finishOnAbort: boolean,
    requestHeaders: Record<string, string>,
    payload: Buffer | undefined,
  ): Promise<Answer> {
    const { target } = this;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), target.timeoutMs);
    const signal = finishOnAbort ? timeout.signal : AbortSignal.any([timeout.signal, target.signal]);
    while (this.fetching >= this.connections && !signal.aborted) {
      await new Promise<void>((resolve) => {
        this.waitingToFetch.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    this.fetching += 1;
    let status: number;
    let headers: http.IncomingHttpHeaders;
    let body: Buffer;
    try {
      const { origin, ...where } = fetchTarget(route);
      const init = { method, headers: requestHeaders, signal, ...where, body: payload === undefined ? undefined : new Uint8Array(payload) };
      const res = await fetch(`${origin}${path}`, init);
      status = res.status;
      headers = Object.fromEntries(res.headers.entries());
      body = Buffer.from(await res.arrayBuffer());
    } catch (error) {
      if (timeout.signal.aborted) throw timeoutError(target, what);
      if (target.signal.aborted && !finishOnAbort) throw new CancelledError();
      const e = error as NodeJS.ErrnoException;
      // Bun says "ENOENT: Was there a typo in the url or port?" for a socket it cannot open, and
      // "Unable to connect. Is the computer able to access the url?" for a refused port.
      const cause = e.code && /typo|Unable to connect/.test(e.message) ? Object.assign(new Error(`connect ${e.code} ${route.url}`), { code: e.code }) : e;
      throw this.failure ?? this.directFailure(cause) ?? e;
    } finally {
      clearTimeout(timer);
      this.fetching -= 1;
      // Every waiter looks again; the first to run takes the turn (no await between its check and
      // its count), the others wait again.
      for (const wake of this.waitingToFetch.splice(0)) wake();
    }
    if (status >= 400) throw new EngineApiError(status, daemonMessage(body.toString('utf8')), what);
    return { status, headers, body };
  }

  /** A direct connection failed or was cut (the daemon stopped, say): recorded, and the error for every request. */
  private directFailure(error: NodeJS.ErrnoException): Error | undefined {
    if (this.route.kind === 'docker') return undefined;
    return (this.failure ??= new TidyError(
      `lost the connection to ${describeDaemon(this.target, this.route.url)}: ${error.message}`,
      'is the daemon still running? check it ("docker info"), then run the command again',
      { cause: error },
    ));
  }

  private openConnection(): Duplex {
    const { route } = this;
    const { net, tls, Duplex, ExecaError, cli } = this.node!;
    if (route.kind !== 'docker') {
      const socket =
        route.kind === 'socket'
          ? net.connect({ path: route.path })
          : route.tls
            ? tls.connect({ host: route.hostname, port: route.port, ...tlsOptions(route.tls), ...(net.isIP(route.hostname) ? {} : { servername: route.hostname }) })
            : net.connect({ host: route.hostname, port: route.port });
      // A request on it hears its errors (and says what they mean); an idle one just goes.
      socket.on('error', () => undefined);
      return socket;
    }
    const child = cli.spawnDocker(this.target, ['system', 'dial-stdio']);
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
    const exited = child.then(
      () => socket.destroy(),
      (error: unknown) => {
        const failed = error instanceof ExecaError ? error : undefined;
        // docker exited 0, but its pipes broke as it went (EPIPE): the connection ended normally
        // (the daemon closed it); a request on it fails alone, the next connection is a new docker.
        if (failed?.exitCode === 0) {
          socket.destroy();
          return;
        }
        // Docker could not be started at all (not found, not executable): no exit code.
        const notStarted = failed !== undefined && failed.exitCode === undefined && failed.signal === undefined;
        this.failure ??= cli.classifyDockerFailure(this.target, 'docker system dial-stdio', stderr, failed);
        socket.destroy(this.failure);
        // A docker that never started (not found, not executable) sent nothing: every request in
        // flight fails with its error now. Bun's http client does not turn the destruction of a
        // connection made by createConnection into an error on its request, so it would wait.
        if (notStarted) for (const failRequest of [...this.inFlight]) failRequest(this.failure);
      },
    );
    this.exits.set(socket, exited);
    child.finally(() => this.children.delete(child)).catch(() => undefined);
    return socket;
  }
}

/** A request that went out on a kept-alive connection the other end had closed (see send). */
class StaleConnection extends Error {
  constructor(cause: Error) {
    super(`stale connection: ${cause.message}`, { cause });
  }
}

/** Bun's fetch, which speaks HTTP over a unix socket (`unix:`) and TLS with given material; not Node's, nor on Windows (named pipes). */
const nativeFetch = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined' && process.platform !== 'win32';

/** TLS options as node:tls and Bun's fetch both take them. */
function tlsOptions(tls: NonNullable<Extract<Route, { kind: 'tcp' }>['tls']>): { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean } {
  return { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}), rejectUnauthorized: !tls.skipVerify };
}

/** Where Bun's fetch sends a request for a direct route: the origin, and the socket or TLS options. */
function fetchTarget(route: Exclude<Route, { kind: 'docker' }>): { origin: string; unix?: string; tls?: ReturnType<typeof tlsOptions> } {
  if (route.kind === 'socket') return { origin: 'http://docker', unix: route.path };
  const host = route.hostname.includes(':') ? `[${route.hostname}]` : route.hostname;
  return route.tls ? { origin: `https://${host}:${route.port}`, tls: tlsOptions(route.tls) } : { origin: `http://${host}:${route.port}` };
}

/** A direct connection that failed before the daemon answered, other than nothing being there (TLS, say). */
function connectFailure(target: DockerTarget, url: string, cause: NodeJS.ErrnoException): TidyError {
  return new TidyError(`cannot connect to ${describeDaemon(target, url)}: ${cause.message}`, 'check DOCKER_HOST, --host, the TLS files and the current context ("docker context ls")', {
    cause,
  });
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
