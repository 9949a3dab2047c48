// Asking registries whether they still have an image: for each `repo@sha256:` digest, a HEAD of
// the manifest by digest (`HEAD /v2/<repo>/manifests/<digest>`), which Docker Hub does not count
// as a pull (a GET is counted). Endpoints as the daemon pulls (core/remote-copy.ts): Docker Hub
// names through the daemon's mirrors first (GET /info says which), then Docker Hub; any other
// registry over https, or, when the daemon treats it as insecure, https without verification and
// then plain http, as docker does. Each endpoint is pinged once (`GET /v2/`), which also says how
// it wants to be authenticated: a bearer token from its token server (anonymous, or with docker's
// credentials for it) or basic credentials. Credentials are read only when an endpoint asks for
// them (credentials.ts); Docker Hub's are never sent to a mirror.
//
// Where docker tidy can reach no endpoint of a registry (a daemon on another host that alone can
// reach it, a certificate only the daemon trusts), the daemon is asked: GET /distribution/NAME/json.
// That GETs the manifest (and an image's config) from the registry (moby's getDistributionInfo),
// which Docker Hub would count as a pull, so it is never done for Docker Hub names.
// At most REGISTRY_CONCURRENCY requests are in flight; every answer is kept for the run.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import * as z from 'zod/mini';
import {
  copyWithoutDigests,
  daemonNameFor,
  DOCKER_HUB,
  digestCopy,
  imageCopy,
  imagesToAsk,
  registryEndpoints,
  registryReference,
  shortReference,
  type DigestAsked,
  type EndpointAnswer,
  type RegistryEndpoint,
  type RegistrySettings,
  type RemoteCopyCheck,
} from '../core/remote-copy.js';
import type { Image, Snapshot } from '../core/snapshot.js';
import { CancelledError } from '../errors.js';
import { mapConcurrent } from './concurrency.js';
import { CredentialStore, registryAuthHeader, type RegistryCredentials } from './credentials.js';
import { EngineApiError, type EngineClient } from './engine.js';
import { expectShape } from './raw.js';

/** Registry requests in flight at once, over all registries. */
const REGISTRY_CONCURRENCY = 8;
/** How long one registry request may take; a registry that does not answer is "no answer". */
const REGISTRY_TIMEOUT_MS = 10_000;
/** Every manifest type a digest can name: image indexes and manifests, OCI and Docker's. */
const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
].join(', ');

/** GET /info's registry settings (every field optional: engines and API versions differ). */
const RegistryConfigRaw = z.object({
  RegistryConfig: z.nullish(
    z.object({
      IndexConfigs: z.nullish(z.record(z.string(), z.nullable(z.object({ Mirrors: z.nullish(z.array(z.string())), Secure: z.nullish(z.boolean()) })))),
      InsecureRegistryCIDRs: z.nullish(z.array(z.string())),
      Mirrors: z.nullish(z.array(z.string())),
    }),
  ),
});

/** The daemon's registry settings from its /info answer (pure). */
export function registrySettingsFrom(info: unknown): RegistrySettings & { insecureRanges: string[] } {
  const config = expectShape(RegistryConfigRaw, info, 'GET /info').RegistryConfig ?? {};
  const index = config.IndexConfigs ?? {};
  const entries = Object.entries(index).filter((e): e is [string, NonNullable<(typeof e)[1]>] => e[1] !== null);
  return {
    mirrors: index[DOCKER_HUB]?.Mirrors ?? config.Mirrors ?? [],
    insecure: new Set(entries.filter(([, c]) => c.Secure === false).map(([name]) => name)),
    secure: new Set(entries.filter(([name, c]) => c.Secure === true && name !== DOCKER_HUB).map(([name]) => name)),
    insecureRanges: config.InsecureRegistryCIDRs ?? [],
  };
}

/** A `WWW-Authenticate` challenge (pure): its scheme, lowercased, and its parameters. */
export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header ?? '');
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

/** What a ping of an endpoint found: where it answers and how it wants to be authenticated. */
type Pinged =
  | { ok: true; base: string; tlsUnverified: boolean; challenge?: { scheme: string; params: Record<string, string> } }
  | { ok: false; detail: string };

/** How to authenticate to one repository of one endpoint: a header (made with docker's credentials or not), none, or why it cannot be done. */
type Authorization = { header?: string; withCredentials?: boolean } | { denied: string };

/** Asks registries (and, where only it can reach them, the daemon) about images' digests. */
export class RegistryChecker {
  private readonly credentials: CredentialStore;
  private readonly pings = new Map<string, Promise<Pinged>>();
  private readonly auths = new Map<string, Promise<Authorization>>();
  private readonly digests = new Map<string, Promise<RemoteCopyCheck>>();
  private readonly endpoints = new Map<string, Promise<RegistryEndpoint[]>>();
  private readonly insecureRanges = new BlockList();
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly engine: EngineClient,
    private readonly settings: RegistrySettings & { insecureRanges: string[] },
  ) {
    this.credentials = new CredentialStore(engine.target);
    for (const range of settings.insecureRanges) {
      const [net, prefix] = range.split('/');
      const type = isIP(net ?? '');
      if (type && prefix !== undefined) this.insecureRanges.addSubnet(net!, Number(prefix), type === 6 ? 'ipv6' : 'ipv4');
    }
  }

  /** Reads the daemon's registry settings and makes a checker for them. */
  static async open(engine: EngineClient): Promise<RegistryChecker> {
    return new RegistryChecker(engine, registrySettingsFrom(await engine.getJson('/info', 'GET /info')));
  }

  /** What the registries say about each image (by ID), at most REGISTRY_CONCURRENCY requests at a time. */
  async check(images: readonly Image[], onProgress?: (done: number, total: number) => void): Promise<Map<string, RemoteCopyCheck>> {
    const out = new Map<string, RemoteCopyCheck>();
    let done = 0;
    onProgress?.(0, images.length);
    // Images one after another in a few lanes; the request limit is what bounds the load.
    await mapConcurrent(images, REGISTRY_CONCURRENCY * 2, async (image) => {
      const answers = await Promise.all(image.digests.map((d) => this.digest(d)));
      out.set(image.id, imageCopy(answers));
      onProgress?.(++done, images.length);
    });
    return out;
  }

  /** The answer for one `repo@sha256:` reference, asked once per run. */
  digest(reference: string): Promise<RemoteCopyCheck> {
    let pending = this.digests.get(reference);
    if (!pending) this.digests.set(reference, (pending = this.askDigest(reference)));
    return pending;
  }

  private async askDigest(reference: string): Promise<RemoteCopyCheck> {
    const ref = registryReference(reference);
    if (!ref) return { copy: 'unknown', detail: `${shortReference(reference)} is not a reference a registry can be asked about` };
    const asked: DigestAsked = { reference, answers: [] };
    for (const endpoint of await this.endpointsOf(ref.domain)) {
      let answer = await this.askEndpoint(endpoint, ref.path, ref.digest);
      // Out of docker tidy's reach: the daemon may reach it (never asked about Docker Hub itself).
      const name = answer.kind === 'unreachable' ? daemonNameFor(endpoint, ref) : undefined;
      const daemon = name === undefined ? undefined : await this.askDaemon(name, endpoint);
      if (daemon && daemon.kind !== 'unreachable') asked.answers.push({ endpoint, answer: daemon, viaDaemon: true });
      else {
        if (daemon && answer.kind === 'unreachable') answer = { kind: 'unreachable', detail: `${answer.detail}; nor could the Docker daemon: ${daemon.detail}` };
        asked.answers.push({ endpoint, answer });
      }
      // As the daemon pulls: the first endpoint that has it is enough.
      if (asked.answers[asked.answers.length - 1]!.answer.kind === 'found') break;
    }
    return digestCopy(asked);
  }

  /** HEAD of the manifest by digest at one endpoint. */
  private async askEndpoint(endpoint: RegistryEndpoint, path: string, digest: string): Promise<EndpointAnswer> {
    const pinged = await this.ping(endpoint);
    if (!pinged.ok) return { kind: 'unreachable', detail: pinged.detail };
    const auth = await this.authorization(endpoint, pinged, path);
    if ('denied' in auth) return { kind: 'denied', detail: auth.denied };
    let res: Response;
    try {
      res = await this.fetch(`${pinged.base}/v2/${path}/manifests/${digest}`, {
        method: 'HEAD',
        headers: { Accept: MANIFEST_TYPES, ...(auth.header ? { Authorization: auth.header } : {}) },
        tlsUnverified: pinged.tlsUnverified,
      });
    } catch (error) {
      return { kind: 'unreachable', detail: networkDetail(error) };
    }
    if (res.status === 200) return { kind: 'found' };
    if (res.status === 404) return { kind: 'missing' };
    if (res.status === 401 || res.status === 403) return { kind: 'denied', detail: deniedDetail(endpoint, path, auth.withCredentials === true) };
    if (res.status === 429) return { kind: 'failed', detail: 'HTTP 429: too many requests (rate limited)' };
    return { kind: 'failed', detail: `HTTP ${res.status}` };
  }

  /** Where an endpoint answers (https, else http for an insecure one) and its challenge; once per endpoint. */
  private ping(endpoint: RegistryEndpoint): Promise<Pinged> {
    let pending = this.pings.get(endpoint.base);
    if (!pending) this.pings.set(endpoint.base, (pending = this.pingNow(endpoint)));
    return pending;
  }

  private async pingNow(endpoint: RegistryEndpoint): Promise<Pinged> {
    const tries = endpoint.insecure ? [endpoint.base, endpoint.base.replace(/^https:/, 'http:')] : [endpoint.base];
    let detail = '';
    for (const base of tries) {
      const tlsUnverified = endpoint.insecure && base.startsWith('https:');
      try {
        const res = await this.fetch(`${base}/v2/`, { method: 'GET', headers: {}, tlsUnverified });
        // A registry answers /v2/ with 200, or 401 and how to authenticate; anything else is not one
        // whose 404s could be believed.
        if (res.status === 401) return { ok: true, base, tlsUnverified, challenge: parseChallenge(res.headers.get('www-authenticate')) ?? { scheme: '', params: {} } };
        if (res.status >= 200 && res.status < 300) return { ok: true, base, tlsUnverified };
        detail = `GET /v2/ answered HTTP ${res.status}: not a registry API`;
      } catch (error) {
        detail = networkDetail(error);
      }
    }
    return { ok: false, detail };
  }

  /** The Authorization header for `path` at the endpoint, once per repository. */
  private authorization(endpoint: RegistryEndpoint, pinged: Pinged & { ok: true }, path: string): Promise<Authorization> {
    if (!pinged.challenge) return Promise.resolve({});
    const key = `${pinged.base} ${path}`;
    let pending = this.auths.get(key);
    if (!pending) this.auths.set(key, (pending = this.authorize(endpoint, pinged, path)));
    return pending;
  }

  private async authorize(endpoint: RegistryEndpoint, pinged: Pinged & { ok: true }, path: string): Promise<Authorization> {
    const { scheme, params } = pinged.challenge!;
    const { credentials, problem } = await this.credentials.get(endpoint.credentialsKey);
    const login = `docker login${endpoint.credentialsKey.startsWith('https://index.docker.io') ? '' : ` ${endpoint.credentialsKey}`}`;
    if (scheme === 'basic') {
      if (credentials?.username !== undefined && credentials.password !== undefined) {
        return { header: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`, withCredentials: true };
      }
      return { denied: problem ?? `authentication required: ${login}` };
    }
    if (scheme !== 'bearer' || !params.realm) return { denied: `it asks for authentication docker tidy does not know (${scheme || 'none given'})` };
    if (credentials?.registryToken) return { header: `Bearer ${credentials.registryToken}`, withCredentials: true };
    return this.token(params.realm, params.service, `repository:${path}:pull`, credentials, pinged.base, login);
  }

  /** A bearer token from the registry's token server: anonymous, with a user and password, or with an identity token. */
  private async token(realm: string, service: string | undefined, scope: string, credentials: RegistryCredentials | undefined, base: string, login: string): Promise<Authorization> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      return { denied: `its token server is not a URL` };
    }
    // Credentials go only to a token server over https (or on the registry's own host).
    const safe = url.protocol === 'https:' || url.host === new URL(base).host;
    const creds = safe ? credentials : undefined;
    let res: Response;
    try {
      if (creds?.identityToken) {
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'docker-tidy', scope, ...(service ? { service } : {}) });
        res = await this.fetch(url.href, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString(), tlsUnverified: false });
      } else {
        if (service) url.searchParams.set('service', service);
        url.searchParams.set('scope', scope);
        const basic: Record<string, string> =
          creds?.username !== undefined && creds.password !== undefined ? { Authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` } : {};
        res = await this.fetch(url.href, { method: 'GET', headers: basic, tlsUnverified: false });
      }
    } catch (error) {
      return { denied: `its token server ${url.host} could not be reached (${networkDetail(error)})` };
    }
    if (res.status === 401 || res.status === 403) return { denied: `its token server refused the credentials (${login} again)` };
    if (res.status !== 200) return { denied: `its token server answered HTTP ${res.status}` };
    try {
      const body = (await res.json()) as { token?: unknown; access_token?: unknown };
      const token = typeof body.token === 'string' && body.token ? body.token : body.access_token;
      if (typeof token !== 'string' || !token) return { denied: 'its token server gave no token' };
      return { header: `Bearer ${token}`, withCredentials: creds !== undefined };
    } catch {
      return { denied: 'its token server answered something that is not a token' };
    }
  }

  /** GET /distribution/NAME/json: the daemon asks the registry NAME names (a GET of the manifest there). */
  private async askDaemon(reference: string, endpoint: RegistryEndpoint): Promise<EndpointAnswer> {
    const { credentials } = await this.credentials.get(endpoint.credentialsKey);
    const headers = credentials ? { 'X-Registry-Auth': registryAuthHeader(credentials, endpoint.credentialsKey) } : undefined;
    const what = `GET /distribution/${shortReference(reference)}/json`;
    try {
      await this.limited(() => this.engine.getJson(`/distribution/${encodeURI(reference)}/json`, what, headers));
      return { kind: 'found' };
    } catch (error) {
      if (!(error instanceof EngineApiError)) throw error;
      const message = error.daemonMessage.split('\n')[0]!.slice(0, 300);
      if (error.status === 404 || /manifest unknown|name unknown|not found/i.test(message)) return { kind: 'missing' };
      if (error.status === 401 || error.status === 403 || /unauthorized|denied|authentication required/i.test(message)) return { kind: 'denied', detail: message };
      return { kind: 'unreachable', detail: message };
    }
  }

  /** The endpoints for a registry, with whether the daemon treats it as insecure (by name, or by address, as docker's isSecureIndex). */
  private endpointsOf(domain: string): Promise<RegistryEndpoint[]> {
    let pending = this.endpoints.get(domain);
    if (!pending) this.endpoints.set(domain, (pending = this.insecure(domain).then((insecure) => registryEndpoints(domain, this.settings, insecure))));
    return pending;
  }

  private async insecure(domain: string): Promise<boolean> {
    if (domain === DOCKER_HUB) return false;
    if (this.settings.insecure.has(domain)) return true;
    if (this.settings.secure.has(domain)) return false;
    const host = domain.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    const inRange = (address: string): boolean => {
      const type = isIP(address);
      return type !== 0 && this.insecureRanges.check(address, type === 6 ? 'ipv6' : 'ipv4');
    };
    if (isIP(host)) return inRange(host);
    try {
      return (await lookup(host, { all: true })).some((a) => inRange(a.address));
    } catch {
      return false;
    }
  }

  /** fetch within the request limit, the timeout and the run's cancellation. */
  private fetch(url: string, init: { method: string; headers: Record<string, string>; body?: string; tlsUnverified: boolean }): Promise<Response> {
    const { signal } = this.engine.target;
    return this.limited(async () => {
      if (signal.aborted) throw new CancelledError();
      const timeout = AbortSignal.timeout(REGISTRY_TIMEOUT_MS);
      try {
        const res = await fetch(url, {
          method: init.method,
          headers: { 'User-Agent': 'docker-tidy', ...init.headers },
          ...(init.body === undefined ? {} : { body: init.body }),
          signal: AbortSignal.any([timeout, signal]),
          redirect: 'follow',
          // Bun: an insecure registry's https is tried without verifying its certificate, as docker does.
          ...(init.tlsUnverified ? { tls: { rejectUnauthorized: false } } : {}),
        } as RequestInit);
        // Only the status and headers matter: the body (if any) is read only for tokens.
        if (init.method === 'HEAD' || res.status !== 200) await res.body?.cancel().catch(() => undefined);
        return res;
      } catch (error) {
        if (signal.aborted) throw new CancelledError();
        if (timeout.aborted) throw Object.assign(new Error(`no answer within ${REGISTRY_TIMEOUT_MS / 1000}s`), { code: 'ETIMEDOUT' });
        throw error;
      }
    });
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    while (this.active >= REGISTRY_CONCURRENCY) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await fn();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

/** Reports how many of the images to ask about have their answer. */
export type CheckProgress = (done: number, total: number) => void;

/**
 * Asks the registries about the images, recording each answer on the image (`remoteCopy`); an
 * image without a digest gets what its store says without asking (core/remote-copy.ts).
 */
export async function recordRemoteCopies(engine: EngineClient, images: readonly Image[], store: 'classic' | 'containerd', onProgress?: CheckProgress): Promise<void> {
  for (const image of images) if (image.digests.length === 0) image.remoteCopy = copyWithoutDigests(store);
  const ask = images.filter((i) => i.digests.length > 0);
  if (ask.length === 0) return;
  const answers = await (await RegistryChecker.open(engine)).check(ask, onProgress);
  for (const image of ask) image.remoteCopy = answers.get(image.id)!;
}

/**
 * Before a removal: asks about the images the plan would delete for good, then plans again and
 * asks about any it now deletes that was not asked about yet (prune's --keep-under can reach for
 * others once some are kept), until there is none. `deletes` plans and gives the IDs it deletes.
 */
export async function askBeforeDeleting(engine: EngineClient, snapshot: Snapshot, deletes: (s: Snapshot) => Iterable<string>, onProgress?: CheckProgress): Promise<void> {
  let checker: RegistryChecker | undefined;
  let total = 0;
  let done = 0;
  for (let ask = imagesToAsk(snapshot, deletes); ask.length > 0; ask = imagesToAsk(snapshot, deletes)) {
    checker ??= await RegistryChecker.open(engine);
    total += ask.length;
    const answers = await checker.check(ask, onProgress && ((n) => onProgress(done + n, total)));
    done += ask.length;
    for (const image of ask) image.remoteCopy = answers.get(image.id)!;
  }
}

/** Why a request got no HTTP answer, in a few words. */
function networkDetail(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'no such host';
    case 'ETIMEDOUT':
      return e.message ?? 'timed out';
    case 'ECONNRESET':
      return 'connection reset';
  }
  if (/tls|ssl|certificate|EPROTO/i.test(`${code ?? ''} ${e.message ?? ''}`)) return `TLS: ${(e.message ?? code ?? '').split('\n')[0]}`;
  return (e.message ?? String(error)).split('\n')[0]!.slice(0, 200);
}

function deniedDetail(endpoint: RegistryEndpoint, path: string, authenticated: boolean): string {
  const hub = endpoint.credentialsKey.startsWith('https://index.docker.io');
  const login = hub ? 'docker login' : `docker login ${endpoint.credentialsKey}`;
  return authenticated
    ? `${path}: it does not exist there, or docker's credentials for it may not pull it (${login})`
    : `${path}: it does not exist there, or it is private (${login})`;
}
