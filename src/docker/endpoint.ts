// Where the daemon is, found the way docker finds it, without running docker: which context
// (cli/command/cli.go resolveContextName: --context, else -H or DOCKER_HOST mean docker's default
// context, else DOCKER_CONTEXT, else config.json's currentContext), then that context's endpoint:
// for the default context -H, DOCKER_HOST or the default socket with TLS from the flags and
// DOCKER_TLS_VERIFY / DOCKER_CERT_PATH (cli/flags/options.go); for a named one its metadata file
// (contexts/meta/<sha256 of the name>/meta.json in the config directory) and its TLS files
// (contexts/tls/<sha256>/docker/{ca,cert,key}.pem). Where that cannot be read (a context docker
// would report missing, a file that does not parse), the caller asks `docker context inspect`,
// which then also words docker's own errors. Then the route: a local socket or pipe and tcp (with
// TLS or without) are spoken to directly, as docker does; ssh:// and anything else go through
// `docker system dial-stdio`.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GlobalOptions } from '../core/globals.js';
import { sha256Hex } from './hash.js';

/** TLS for a tcp endpoint: PEM texts, and whether the server's certificate goes unchecked. */
export interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
  skipVerify: boolean;
}

/** The daemon docker would talk to. */
export interface Endpoint {
  /** docker's URL: unix:///var/run/docker.sock, tcp://host:2376, ssh://me@host, npipe:////./pipe/docker_engine. */
  host: string;
  tls?: TlsMaterial;
  /** The context it came from; undefined for docker's default context. */
  context?: string;
  /** TLS material docker holds and docker tidy cannot read: only docker can reach it. */
  tlsUnreadable?: true;
}

/** How docker tidy reaches an endpoint. */
export type Route =
  /** A unix socket, or on Windows a local named pipe: `path` for net.connect, `url` as docker writes it. */
  | { kind: 'socket'; path: string; url: string }
  /** tcp://, plain or with TLS. */
  | { kind: 'tcp'; hostname: string; port: number; url: string; tls?: TlsMaterial }
  /** Through `docker [globals] system dial-stdio` (ssh://, and anything docker tidy does not speak itself). */
  | { kind: 'docker'; url: string };

/** Reads a file: its text, or undefined when it does not exist; other failures throw. */
export type ReadText = (path: string) => string | undefined;

/** The global options the resolution reads. */
export type EndpointGlobals = Pick<GlobalOptions, 'argv' | 'host' | 'context' | 'config'>;

/** readFileSync, with a missing file as undefined. */
export const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
};

/** docker's default host on this platform. */
export function defaultHost(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock';
}

/** The docker config directory: --config, else DOCKER_CONFIG, else ~/.docker. */
export function configDir(globals: Pick<GlobalOptions, 'config'>, env: NodeJS.ProcessEnv): string {
  return globals.config || env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

/**
 * The context docker would use, in its order: a name, `null` for its default context (-H,
 * DOCKER_HOST, the default socket), undefined when docker must be asked (-H and --context
 * together, which docker refuses in its own words; a config.json that does not parse).
 */
export function contextName(globals: EndpointGlobals, env: NodeJS.ProcessEnv, read: ReadText): string | null | undefined {
  if (globals.context !== undefined) return globals.host !== undefined ? undefined : globals.context === 'default' ? null : globals.context;
  if (globals.host !== undefined || env.DOCKER_HOST) return null;
  if (env.DOCKER_CONTEXT) return env.DOCKER_CONTEXT === 'default' ? null : env.DOCKER_CONTEXT;
  let current: unknown;
  try {
    const text = read(join(configDir(globals, env), 'config.json'));
    current = text === undefined || text.trim() === '' ? undefined : (JSON.parse(text) as { currentContext?: unknown } | null)?.currentContext;
  } catch {
    return undefined;
  }
  if (current === undefined || current === '' || current === 'default') return null;
  return typeof current === 'string' ? current : undefined;
}

/** The endpoint docker would use, read from flags, environment and files; undefined when docker must be asked. */
export function resolveEndpoint(
  globals: EndpointGlobals,
  env: NodeJS.ProcessEnv,
  read: ReadText = readText,
  platform: NodeJS.Platform = process.platform,
): Endpoint | undefined {
  let name: string | null | undefined;
  try {
    name = contextName(globals, env, read);
    if (name === undefined) return undefined;
    return name === null ? defaultEndpoint(globals, env, read, platform) : contextEndpoint(name, configDir(globals, env), read);
  } catch {
    // A file that cannot be read (permissions, say): docker says why, or manages.
    return undefined;
  }
}

/** docker's default context: one -H, else DOCKER_HOST, else the default socket; TLS from flags and environment. */
function defaultEndpoint(globals: EndpointGlobals, env: NodeJS.ProcessEnv, read: ReadText, platform: NodeJS.Platform): Endpoint | undefined {
  // Several -H: docker refuses ("Specify only one -H").
  if (globals.argv.filter((a) => /^(-H|--host)(=|$)|^-H./.test(a)).length > 1) return undefined;
  const given = (globals.host ?? env.DOCKER_HOST ?? '').trim();
  const tls = defaultTls(globals, env, read);
  if (tls === undefined) return undefined;
  return { host: given === '' ? defaultHost(platform) : given, ...(tls ? { tls } : {}) };
}

/**
 * TLS for the default context as docker's flags set it up: --tlsverify (or DOCKER_TLS_VERIFY)
 * turns TLS on and verifies, --tls (or DOCKER_TLS) alone does not verify; the files are
 * --tlscacert, --tlscert, --tlskey, else ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH (else
 * ~/.docker), those not there left out. False: no TLS; undefined: a file named by a flag is missing
 * (docker says so).
 */
function defaultTls(globals: EndpointGlobals, env: NodeJS.ProcessEnv, read: ReadText): TlsMaterial | false | undefined {
  const flags = tlsFlags(globals.argv);
  const verify = flags.verify ?? (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '');
  const on = flags.tls ?? (env.DOCKER_TLS !== undefined && env.DOCKER_TLS !== '');
  if (!on && !verify && flags.verify === undefined) return false;
  const certPath = env.DOCKER_CERT_PATH || join(env.HOME || homedir(), '.docker');
  const file = (flag: string | undefined, name: string): string | undefined | null => {
    if (flag !== undefined) return read(flag) ?? null;
    return read(join(certPath, name));
  };
  const ca = file(flags.cacert, 'ca.pem');
  const cert = file(flags.cert, 'cert.pem');
  const key = file(flags.key, 'key.pem');
  if (ca === null || cert === null || key === null) return undefined;
  return { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}), skipVerify: !verify };
}

/** docker's TLS flags as given: --tls[=bool], --tlsverify[=bool], --tlscacert, --tlscert, --tlskey. */
function tlsFlags(argv: readonly string[]): { tls?: boolean; verify?: boolean; cacert?: string; cert?: string; key?: string } {
  const out: { tls?: boolean; verify?: boolean; cacert?: string; cert?: string; key?: string } = {};
  const bool = (text: string | undefined): boolean => text === undefined || ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text);
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const eq = token.indexOf('=');
    const name = eq > 0 ? token.slice(0, eq) : token;
    const inline = eq > 0 ? token.slice(eq + 1) : undefined;
    if (name === '--tls') out.tls = bool(inline);
    else if (name === '--tlsverify') out.verify = bool(inline);
    else if (name === '--tlscacert' || name === '--tlscert' || name === '--tlskey') {
      const value = inline ?? argv[++i];
      if (name === '--tlscacert') out.cacert = value;
      else if (name === '--tlscert') out.cert = value;
      else out.key = value;
    } else if (inline === undefined && ['--config', '-c', '--context', '-H', '--host', '-l', '--log-level'].includes(token)) i++;
  }
  return out;
}

/** The hex SHA-256 of a context's name: its folder under contexts/meta and contexts/tls. */
export function contextDigest(name: string): string {
  return sha256Hex(name);
}

/** A named context's endpoint from its metadata and TLS files; undefined when they do not say (docker then reports it). */
export function contextEndpoint(name: string, dir: string, read: ReadText): Endpoint | undefined {
  const digest = contextDigest(name);
  const meta = read(join(dir, 'contexts', 'meta', digest, 'meta.json'));
  if (meta === undefined) return undefined;
  const docker = dockerEndpointOf(meta);
  if (!docker || (docker.name !== undefined && docker.name !== name)) return undefined;
  const tlsDir = join(dir, 'contexts', 'tls', digest, 'docker');
  const [ca, cert, key] = ['ca.pem', 'cert.pem', 'key.pem'].map((f) => read(join(tlsDir, f)));
  return withTls({ host: docker.host, context: name }, { ca, cert, key }, docker.skipVerify);
}

/**
 * The endpoint in what `docker context inspect --format '{{json .}}'` printed (its Host, and the TLS
 * files its TLSMaterial names under its Storage.TLSPath); undefined when it says no such thing.
 */
export function endpointFromInspect(json: string | undefined, read: ReadText = readText): Endpoint | undefined {
  const docker = json === undefined ? undefined : dockerEndpointOf(json);
  if (!docker) return undefined;
  const parsed = JSON.parse(json!) as { TLSMaterial?: { docker?: unknown } | null; Storage?: { TLSPath?: unknown } };
  const named = Array.isArray(parsed.TLSMaterial?.docker) ? (parsed.TLSMaterial.docker as unknown[]) : [];
  const tlsPath = parsed.Storage?.TLSPath;
  const endpoint: Endpoint = { host: docker.host, ...(docker.name && docker.name !== 'default' ? { context: docker.name } : {}) };
  // Material docker has and does not show (clients before Storage was printed): docker must do the talking.
  if (named.length > 0 && typeof tlsPath !== 'string') return { ...endpoint, tls: { skipVerify: docker.skipVerify }, tlsUnreadable: true };
  const file = (f: string): string | undefined => (named.includes(f) ? read(join(tlsPath as string, 'docker', f)) : undefined);
  try {
    return withTls(endpoint, { ca: file('ca.pem'), cert: file('cert.pem'), key: file('key.pem') }, docker.skipVerify);
  } catch {
    return { ...endpoint, tls: { skipVerify: docker.skipVerify }, tlsUnreadable: true };
  }
}

function withTls(endpoint: Endpoint, files: { ca: string | undefined; cert: string | undefined; key: string | undefined }, skipVerify: boolean): Endpoint {
  const { ca, cert, key } = files;
  // docker's context loader: no material and no skip-verify is plain (cli/context/docker/load.go).
  if (ca === undefined && cert === undefined && key === undefined && !skipVerify) return endpoint;
  return { ...endpoint, tls: { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined && key !== undefined ? { cert, key } : {}), skipVerify } };
}

/** The docker endpoint of a context's metadata (meta.json, or context inspect's answer). */
function dockerEndpointOf(json: string): { host: string; skipVerify: boolean; name?: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  const p = parsed as { Name?: unknown; Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } } | null;
  const host = p?.Endpoints?.docker?.Host;
  if (typeof host !== 'string' || host === '') return undefined;
  return { host, skipVerify: p?.Endpoints?.docker?.SkipTLSVerify === true, ...(typeof p?.Name === 'string' ? { name: p.Name } : {}) };
}

/** How to reach an endpoint: directly for a local socket or pipe and for tcp; through docker otherwise. Pure. */
export function routeOf(endpoint: Endpoint, platform: NodeJS.Platform = process.platform): Route {
  const { host, tls } = endpoint;
  const docker = { kind: 'docker', url: host } as const;
  if (endpoint.tlsUnreadable) return docker;
  if (platform === 'win32') {
    const pipe = /^npipe:\/\/[/\\]{2}\.[/\\]pipe[/\\]([^/\\]+)$/.exec(host)?.[1];
    if (pipe !== undefined) return tls ? docker : { kind: 'socket', path: `\\\\.\\pipe\\${pipe}`, url: host };
  } else {
    const path = /^unix:\/\/(\/.+)$/.exec(host)?.[1];
    if (path !== undefined) return tls ? docker : { kind: 'socket', path, url: host };
  }
  const tcp = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+)(?::(\d{1,5}))?\/?$/.exec(host);
  if (tcp) {
    // docker's default ports: 2376 with TLS, 2375 without.
    const port = tcp[2] === undefined ? (tls ? 2376 : 2375) : Number(tcp[2]);
    if (port < 1 || port > 65535) return docker;
    return { kind: 'tcp', hostname: tcp[1]!.replace(/^\[|\]$/g, ''), port, url: host, ...(tls ? { tls } : {}) };
  }
  return docker;
}
