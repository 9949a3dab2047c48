// Is there another copy? What the registries said about an image's `repo@sha256:` digests, and
// what that means for a removal. A registry is asked the way the daemon pulls (its mirrors first
// for Docker Hub names, then the registry itself); an endpoint that cannot be reached is left out,
// as moby's GetRepositories leaves it out. One endpoint with the manifest is enough ("verified");
// "absent" needs every endpoint for the name to have answered that it does not have it (a mirror
// that lacks it says nothing about Docker Hub); anything else is "unknown". The store decides what
// "unknown" means: on the containerd store every image has a digest (built ones too), so the image
// is kept; on the classic store a digest is recorded only by a push or a pull, so it still counts
// as a copy, and the plan says that it was not verified. Pure.
import type { Image } from './snapshot.js';

/** What is known of a copy of an image in a registry. */
export type RemoteCopy = 'verified' | 'absent' | 'unknown';

/** What the registries said about one image (or one of its digests). */
export interface RemoteCopyCheck {
  copy: RemoteCopy;
  /** Which reference, which registry, what it said: for plans and listings (never a credential). */
  detail: string;
}

/** A `repo@sha256:` reference split as docker resolves it. */
export interface RegistryReference {
  /** The reference as the daemon lists it ("postgres@sha256:...", "host:5000/team/app@sha256:..."). */
  reference: string;
  /** The registry as docker names it: "docker.io" for Docker Hub, else "host[:port]". */
  domain: string;
  /** The repository path there ("library/postgres", "team/app"). */
  path: string;
  /** "sha256:<64 hex>". */
  digest: string;
}

/** Docker Hub's name, and the host its API is at. */
export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API = 'https://registry-1.docker.io';
/** The key docker's config file and credential helpers use for Docker Hub. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/**
 * Splits a `name@sha256:...` reference as docker's reference.ParseNormalizedNamed does: the first
 * path component is a registry when it has a dot or a colon or is "localhost"; else the name is
 * Docker Hub's, under "library/" when it has no slash. Undefined when it is not such a reference.
 */
export function registryReference(reference: string): RegistryReference | undefined {
  const m = /^([^@]+)@(sha256:[0-9a-f]{64})$/.exec(reference);
  if (!m) return undefined;
  const name = m[1]!;
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let domain = isDomain ? first : DOCKER_HUB;
  let path = isDomain ? name.slice(slash + 1) : name;
  if (domain === 'index.docker.io') domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  if (path === '' || !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(path)) return undefined;
  return { reference, domain, path, digest: m[2]! };
}

/** A reference with its digest cut short, for messages: "postgres@sha256:aff4dcb23744". */
export function shortReference(reference: string): string {
  return reference.replace(/@sha256:([0-9a-f]{12})[0-9a-f]{52}$/, '@sha256:$1');
}

/** One place the daemon would pull a name from: a mirror (Docker Hub names only) or the registry itself. */
export interface RegistryEndpoint {
  /** "http(s)://host[:port]" with no trailing slash; for a registry that may be insecure, its https form (http is tried next). */
  base: string;
  /** How messages name it ("the mirror http://127.0.0.1:5000", "Docker Hub", "the registry registry.example.com"). */
  name: string;
  mirror: boolean;
  /** Plain http allowed after https (the daemon's insecure registries): https is tried first, without verifying its certificate. */
  insecure: boolean;
  /** The key of its credentials in docker's config file and credential helpers. */
  credentialsKey: string;
}

/** The daemon's registry settings (GET /info RegistryConfig), the part that says where it pulls from. */
export interface RegistrySettings {
  /** Docker Hub mirrors, in the daemon's order. */
  mirrors: string[];
  /** Registries the daemon reaches over plain http (by name), as its IndexConfigs say. */
  insecure: ReadonlySet<string>;
  /** Registries its IndexConfigs say are secure (configured so, even inside an insecure range). */
  secure: ReadonlySet<string>;
}

/**
 * Where the daemon would pull `domain`'s names from, in its order (moby's LookupPullEndpoints):
 * Docker Hub's mirrors, then Docker Hub; any other registry over https, or, when it is insecure
 * (`insecure`: by the daemon's settings or its insecure address ranges), https then plain http.
 */
export function registryEndpoints(domain: string, settings: RegistrySettings, insecure: boolean): RegistryEndpoint[] {
  if (domain === DOCKER_HUB) {
    const mirrors = settings.mirrors.map((url) => {
      const base = url.replace(/\/+$/, '');
      return { base, name: `the mirror ${base}`, mirror: true, insecure: false, credentialsKey: hostOf(base) };
    });
    return [...mirrors, { base: DOCKER_HUB_API, name: 'Docker Hub', mirror: false, insecure: false, credentialsKey: DOCKER_HUB_AUTH_KEY }];
  }
  return [{ base: `https://${domain}`, name: `the registry ${domain}`, mirror: false, insecure, credentialsKey: domain }];
}

/** "host[:port]" of an http(s) URL. */
function hostOf(url: string): string {
  return url.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
}

/** What one endpoint answered about one manifest. */
export type EndpointAnswer =
  | { kind: 'found' }
  /** 404: manifest (or repository) unknown. */
  | { kind: 'missing' }
  /** 401 or 403 after authenticating as docker would. */
  | { kind: 'denied'; detail: string }
  /** No HTTP answer: refused, no such host, TLS, timeout. */
  | { kind: 'unreachable'; detail: string }
  /** Any other answer (429, 5xx, ...). */
  | { kind: 'failed'; detail: string };

/** What each endpoint (in the daemon's order) answered about one digest reference. */
export interface DigestAsked {
  reference: string;
  /** `viaDaemon`: docker tidy could not reach the endpoint, and the daemon answered for it. */
  answers: { endpoint: Pick<RegistryEndpoint, 'name' | 'mirror'>; answer: EndpointAnswer; viaDaemon?: boolean }[];
}

/**
 * The name to ask the daemon about (GET /distribution/NAME/json) for an endpoint docker tidy cannot
 * reach: the registry's own name, or, for a mirror, the same repository on the mirror's host (so
 * that the daemon asks the mirror and nothing else). Undefined for Docker Hub itself: the daemon
 * GETs the manifest, which Docker Hub counts as a pull, and for a mirror whose URL has a path.
 */
export function daemonNameFor(endpoint: RegistryEndpoint, ref: RegistryReference): string | undefined {
  if (endpoint.base === DOCKER_HUB_API) return undefined;
  const m = /^https?:\/\/([^/]+)$/.exec(endpoint.base);
  return m ? `${m[1]}/${ref.path}@${ref.digest}` : undefined;
}

/**
 * The answer for one digest: verified when any endpoint has the manifest; absent when every
 * endpoint that answered said it has not and the registry itself (not only a mirror) was among
 * them; unknown otherwise, saying why.
 */
export function digestCopy(asked: DigestAsked): RemoteCopyCheck {
  // The repository as the registry names it, the digest cut short: "library/postgres@sha256:aff4dcb23744".
  const parsed = registryReference(asked.reference);
  const ref = parsed ? `${parsed.path}@${parsed.digest.slice(0, 19)}` : shortReference(asked.reference);
  const found = asked.answers.find((a) => a.answer.kind === 'found');
  if (found) return { copy: 'verified', detail: `${nameOf(found)} has ${ref}` };
  const missing = asked.answers.filter((a) => a.answer.kind === 'missing');
  const registryMissing = missing.some((a) => !a.endpoint.mirror);
  const others = asked.answers.filter((a) => a.answer.kind !== 'missing');
  if (registryMissing && others.every((a) => a.answer.kind === 'unreachable' && a.endpoint.mirror)) {
    return { copy: 'absent', detail: `${names(missing)} ${missing.length === 1 ? 'does' : 'do'} not have ${ref} (manifest unknown)` };
  }
  const why = others.map((a) => `${nameOf(a)} ${explain(a.answer)}`);
  if (missing.length) why.push(`${names(missing)} ${missing.length === 1 ? 'does' : 'do'} not have it`);
  return { copy: 'unknown', detail: `no answer for ${ref}: ${why.join('; ') || 'no registry to ask'}` };
}

function nameOf(a: DigestAsked['answers'][number]): string {
  return a.viaDaemon ? `${a.endpoint.name} (asked through the Docker daemon)` : a.endpoint.name;
}

function names(list: DigestAsked['answers']): string {
  const all = list.map(nameOf);
  return all.length > 1 ? `${all.slice(0, -1).join(', ')} and ${all[all.length - 1]}` : (all[0] ?? '');
}

function explain(answer: EndpointAnswer): string {
  switch (answer.kind) {
    case 'denied':
      return `refused access (${answer.detail})`;
    case 'unreachable':
      return `could not be reached (${answer.detail})`;
    case 'failed':
      return `answered ${answer.detail}`;
    default:
      return answer.kind;
  }
}

/**
 * One image's answer from its digests' answers: verified when any digest is, absent when all are,
 * unknown otherwise (the first reason why).
 */
export function imageCopy(digests: readonly RemoteCopyCheck[]): RemoteCopyCheck {
  const verified = digests.find((d) => d.copy === 'verified');
  if (verified) return verified;
  if (digests.length > 0 && digests.every((d) => d.copy === 'absent')) return digests[0]!;
  return digests.find((d) => d.copy === 'unknown') ?? { copy: 'unknown', detail: 'no digest to look up in a registry' };
}

/**
 * What an image's listing says before or without asking: on the classic store an image without a
 * digest was never pushed or pulled, so no registry is known to have it.
 */
export function copyWithoutDigests(store: 'classic' | 'containerd'): RemoteCopyCheck {
  return store === 'classic'
    ? { copy: 'absent', detail: 'never pushed or pulled (no digest)' }
    : { copy: 'unknown', detail: 'it has no digest to look up in a registry' };
}

/** Whether the image is known to exist only on this host: tagged, and no registry has it. */
export function isLocalOnly(image: Image, store: 'classic' | 'containerd'): boolean {
  if (image.tags.length === 0) return false;
  if (image.digests.length === 0) return store === 'classic' || image.remoteCopy?.copy === 'absent';
  return image.remoteCopy?.copy === 'absent';
}

/** What a removal may do with an image that it would delete for good, by what is known of a copy. */
export type CopyDecision =
  /** It may go; `note` says why its copy was not verified, when it was not (the classic store's RepoDigests count). */
  | { keep: false; note?: string }
  /** Kept unless --include-local or --save. */
  | { keep: true; reason: string };

/**
 * Whether deleting the image loses it: untagged images are not protected (what docker's prune
 * removes); a tagged one goes when a registry has one of its digests, stays when none has (or, on
 * the containerd store, when that is not known), and on the classic store goes with a note when
 * its RepoDigests could not be verified.
 */
export function copyDecision(image: Image, store: 'classic' | 'containerd'): CopyDecision {
  if (image.tags.length === 0) return { keep: false };
  const check = image.remoteCopy;
  if (image.digests.length === 0) {
    return store === 'classic' || check?.copy === 'absent'
      ? { keep: true, reason: 'exists only on this host (never pushed or pulled)' }
      : { keep: true, reason: 'may exist only on this host: it has no digest to look up in a registry' };
  }
  if (check?.copy === 'verified') return { keep: false };
  if (check?.copy === 'absent') return { keep: true, reason: `exists only on this host: ${check.detail}` };
  const why = check?.detail ?? 'its registry was not asked';
  return store === 'containerd'
    ? { keep: true, reason: `may exist only on this host: ${why}` }
    : { keep: false, note: why };
}

/** Whether asking a registry could change what happens to the image: tagged, with digests, not asked yet. */
export function needsAsking(image: Image): boolean {
  return image.tags.length > 0 && image.digests.length > 0 && image.remoteCopy === undefined;
}

/** Stands in for an answer not asked yet, to find what a plan would delete if every copy were there. */
const ASSUMED: RemoteCopyCheck = { copy: 'verified', detail: 'assumed, to find what to ask' };

/**
 * The images whose registries must be asked before a plan can be trusted: those that the plan
 * would delete for good if each of them had a copy, that carry digests and were not asked yet.
 * `deletes` plans on the snapshot's images and gives the IDs it deletes. Asking, then planning
 * again until this is empty, asks about every image a plan deletes, and keeps the rest unasked
 * (a kept image can only keep others, never make them go).
 */
export function imagesToAsk<S extends { images: Image[] }>(snapshot: S, deletes: (assumed: S) => Iterable<string>): Image[] {
  const unasked = new Map(snapshot.images.filter(needsAsking).map((i) => [i.id, i]));
  if (unasked.size === 0) return [];
  const assumed = { ...snapshot, images: snapshot.images.map((i) => (unasked.has(i.id) ? { ...i, remoteCopy: ASSUMED } : i)) };
  const out: Image[] = [];
  for (const id of new Set(deletes(assumed))) {
    const image = unasked.get(id);
    if (image) out.push(image);
  }
  return out;
}
