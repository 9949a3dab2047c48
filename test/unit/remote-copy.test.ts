// Is there another copy? The pure rules: how a reference names its registry, where the daemon
// would pull it from, what the endpoints' answers make of it, and what that means for a removal.
import { describe, expect, it } from 'vitest';
import {
  copyDecision,
  daemonNameFor,
  digestCopy,
  imageCopy,
  imagesToAsk,
  isLocalOnly,
  registryEndpoints,
  registryReference,
  type DigestAsked,
  type EndpointAnswer,
  type RemoteCopyCheck,
} from '../../src/core/remote-copy.js';
import type { Image } from '../../src/core/snapshot.js';
import { credentialSource, credentialsOfEntry, hostnameOfKey, registryAuthHeader } from '../../src/docker/credentials.js';
import { parseChallenge, registrySettingsFrom } from '../../src/docker/registry.js';
import { image } from './builders.js';

const D = `sha256:${'a'.repeat(64)}`;
const settings = { mirrors: ['http://127.0.0.1:5000/'], insecure: new Set<string>(), secure: new Set<string>() };

describe('registryReference: a digest reference as docker resolves its name', () => {
  it.each([
    [`postgres@${D}`, 'docker.io', 'library/postgres'],
    [`bitnami/redis@${D}`, 'docker.io', 'bitnami/redis'],
    [`docker.io/library/postgres@${D}`, 'docker.io', 'library/postgres'],
    [`index.docker.io/x/y@${D}`, 'docker.io', 'x/y'],
    [`127.0.0.1:5000/team/app@${D}`, '127.0.0.1:5000', 'team/app'],
    [`localhost/app@${D}`, 'localhost', 'app'],
    [`ghcr.io/org/tool@${D}`, 'ghcr.io', 'org/tool'],
  ])('%s is %s %s', (ref, domain, path) => {
    expect(registryReference(ref)).toEqual({ reference: ref, domain, path, digest: D });
  });

  it.each(['postgres:13', `postgres@sha256:abc`, `<none>@<none>`, `Bad/Name@${D}`])('%s is not one', (ref) => {
    expect(registryReference(ref)).toBeUndefined();
  });
});

describe('registryEndpoints: where the daemon pulls from, in its order', () => {
  it("Docker Hub names: the daemon's mirrors, then Docker Hub, whose credentials never go to a mirror", () => {
    expect(registryEndpoints('docker.io', settings, false)).toEqual([
      { base: 'http://127.0.0.1:5000', name: 'the mirror http://127.0.0.1:5000', mirror: true, insecure: false, credentialsKey: '127.0.0.1:5000' },
      { base: 'https://registry-1.docker.io', name: 'Docker Hub', mirror: false, insecure: false, credentialsKey: 'https://index.docker.io/v1/' },
    ]);
  });

  it('another registry: https, and plain http after it when the daemon treats it as insecure', () => {
    expect(registryEndpoints('reg.example:5000', settings, true)).toEqual([
      { base: 'https://reg.example:5000', name: 'the registry reg.example:5000', mirror: false, insecure: true, credentialsKey: 'reg.example:5000' },
    ]);
  });

  it('asks the daemon about a registry or mirror under its own host, never about Docker Hub itself', () => {
    const ref = registryReference(`postgres@${D}`)!;
    const [mirror, hub] = registryEndpoints('docker.io', settings, false);
    expect(daemonNameFor(mirror!, ref)).toBe(`127.0.0.1:5000/library/postgres@${D}`);
    expect(daemonNameFor(hub!, ref)).toBeUndefined();
    const other = registryReference(`reg.example/team/app@${D}`)!;
    expect(daemonNameFor(registryEndpoints('reg.example', settings, false)[0]!, other)).toBe(`reg.example/team/app@${D}`);
  });

  it("reads the daemon's /info: mirrors, insecure and secure registries (engine 28.5's answer)", () => {
    const info = {
      RegistryConfig: {
        IndexConfigs: {
          '127.0.0.1:33043': { Mirrors: [], Name: '127.0.0.1:33043', Official: false, Secure: false },
          'docker.io': { Mirrors: ['http://127.0.0.1:33043/'], Name: 'docker.io', Official: true, Secure: true },
        },
        InsecureRegistryCIDRs: ['::1/128', '127.0.0.0/8'],
        Mirrors: ['http://127.0.0.1:33043/'],
      },
    };
    expect(registrySettingsFrom(info)).toEqual({
      mirrors: ['http://127.0.0.1:33043/'],
      insecure: new Set(['127.0.0.1:33043']),
      secure: new Set(),
      insecureRanges: ['::1/128', '127.0.0.0/8'],
    });
    expect(registrySettingsFrom({}).mirrors).toEqual([]);
  });
});

describe('digestCopy: what the endpoints said about one digest', () => {
  const mirror = { name: 'the mirror M', mirror: true };
  const hub = { name: 'Docker Hub', mirror: false };
  const asked = (...answers: [typeof mirror, EndpointAnswer][]): DigestAsked => ({
    reference: `postgres@${D}`,
    answers: answers.map(([endpoint, answer]) => ({ endpoint, answer })),
  });
  const gone: EndpointAnswer = { kind: 'unreachable', detail: 'no such host' };

  it('verified when any endpoint has the manifest', () => {
    expect(digestCopy(asked([mirror, { kind: 'found' }]))).toEqual({ copy: 'verified', detail: 'the mirror M has library/postgres@sha256:aaaaaaaaaaaa' });
    expect(digestCopy(asked([mirror, { kind: 'missing' }], [hub, { kind: 'found' }])).copy).toBe('verified');
  });

  it('absent only when the registry itself says so (a mirror that lacks it says nothing about Docker Hub)', () => {
    expect(digestCopy(asked([mirror, { kind: 'missing' }], [hub, { kind: 'missing' }])).copy).toBe('absent');
    expect(digestCopy(asked([mirror, gone], [hub, { kind: 'missing' }])).copy).toBe('absent');
    expect(digestCopy(asked([mirror, { kind: 'missing' }], [hub, gone]))).toEqual({
      copy: 'unknown',
      detail: 'no answer for library/postgres@sha256:aaaaaaaaaaaa: Docker Hub could not be reached (no such host); the mirror M does not have it',
    });
  });

  it('unknown when refused, rate-limited or out of reach, saying which and why', () => {
    expect(digestCopy(asked([hub, { kind: 'denied', detail: 'authentication required' }])).detail).toMatch(/Docker Hub refused access \(authentication required\)$/);
    expect(digestCopy(asked([hub, { kind: 'failed', detail: 'HTTP 429' }])).copy).toBe('unknown');
    expect(digestCopy(asked([hub, gone])).copy).toBe('unknown');
  });

  it('says when the daemon answered for an endpoint docker tidy could not reach', () => {
    const viaDaemon: DigestAsked = { reference: `r.example/a@${D}`, answers: [{ endpoint: { name: 'the registry r.example', mirror: false }, answer: { kind: 'missing' }, viaDaemon: true }] };
    expect(digestCopy(viaDaemon)).toEqual({ copy: 'absent', detail: 'the registry r.example (asked through the Docker daemon) does not have a@sha256:aaaaaaaaaaaa (manifest unknown)' });
  });
});

describe('imageCopy and the removal rules', () => {
  const verified: RemoteCopyCheck = { copy: 'verified', detail: 'v' };
  const absent: RemoteCopyCheck = { copy: 'absent', detail: 'a' };
  const unknown: RemoteCopyCheck = { copy: 'unknown', detail: 'u' };
  const tagged = (remoteCopy?: RemoteCopyCheck, digests = [`app@${D}`]): Image =>
    image('sha256:1', [['l', 1]], { tags: ['app:1'], digests, ...(remoteCopy ? { remoteCopy } : {}) });

  it('one digest with a copy is enough; all must be absent for absent', () => {
    expect(imageCopy([absent, verified]).copy).toBe('verified');
    expect(imageCopy([absent, absent]).copy).toBe('absent');
    expect(imageCopy([absent, unknown]).copy).toBe('unknown');
    expect(imageCopy([]).copy).toBe('unknown');
  });

  it.each([
    ['classic', verified, { keep: false }],
    ['containerd', verified, { keep: false }],
    ['classic', absent, { keep: true, reason: 'exists only on this host: a' }],
    ['containerd', absent, { keep: true, reason: 'exists only on this host: a' }],
    ['classic', unknown, { keep: false, note: 'u' }],
    ['containerd', unknown, { keep: true, reason: 'may exist only on this host: u' }],
    ['containerd', undefined, { keep: true, reason: 'may exist only on this host: its registry was not asked' }],
  ] as const)('%s store, %o: %o', (store, check, decision) => {
    expect(copyDecision(tagged(check), store)).toEqual(decision);
  });

  it('no digest: local-only on the classic store (never pushed or pulled), not known on the containerd store', () => {
    expect(copyDecision(tagged(undefined, []), 'classic')).toEqual({ keep: true, reason: 'exists only on this host (never pushed or pulled)' });
    expect(copyDecision(tagged(undefined, []), 'containerd').keep).toBe(true);
    expect([isLocalOnly(tagged(undefined, []), 'classic'), isLocalOnly(tagged(undefined, []), 'containerd')]).toEqual([true, false]);
  });

  it('untagged images are never protected (what docker prune removes) nor local-only', () => {
    const dangling = image('sha256:2', [['l', 1]], { tags: [], digests: [`app@${D}`], remoteCopy: absent });
    expect(copyDecision(dangling, 'containerd')).toEqual({ keep: false });
    expect(isLocalOnly(dangling, 'containerd')).toBe(false);
  });

  it('asks about exactly the images a plan would delete if each had a copy, and not twice', () => {
    const a = tagged();
    const b = { ...tagged(), id: 'sha256:b' };
    const local = { ...tagged(undefined, []), id: 'sha256:local' };
    const s = { images: [a, b, local] };
    const seen: string[][] = [];
    const asked = imagesToAsk(s, (assumed) => {
      seen.push(assumed.images.map((i) => i.remoteCopy?.copy ?? '-'));
      return [a.id, local.id];
    });
    expect(asked).toEqual([a]);
    expect(seen).toEqual([['verified', 'verified', '-']]);
    expect(imagesToAsk({ images: [{ ...a, remoteCopy: absent }] }, () => [a.id])).toEqual([]);
  });
});

describe("docker's credentials and the registry's challenge", () => {
  it('finds a config entry as docker does: by key, else by the host name of older keys', () => {
    const auth = Buffer.from('tidy:s3cret:with-colon').toString('base64');
    const config = { auths: { 'https://reg.example/v1/': { auth }, 'https://index.docker.io/v1/': { identitytoken: 'tok' } } };
    const entry = credentialSource(config, 'reg.example');
    expect('entry' in entry && credentialsOfEntry(entry.entry)).toEqual({ username: 'tidy', password: 's3cret:with-colon' });
    const hub = credentialSource(config, 'https://index.docker.io/v1/');
    expect('entry' in hub && credentialsOfEntry(hub.entry)).toEqual({ identityToken: 'tok' });
    expect(hostnameOfKey('https://index.docker.io/v1/')).toBe('index.docker.io');
  });

  it('prefers a credential helper for the registry, then the one for all', () => {
    expect(credentialSource({ credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud' } }, 'gcr.io')).toEqual({ helper: 'gcloud' });
    expect(credentialSource({ credsStore: 'desktop' }, 'reg.example')).toEqual({ helper: 'desktop' });
    expect(credentialSource({}, 'reg.example')).toEqual({ entry: undefined });
  });

  it("sends the daemon docker's X-Registry-Auth (base64url JSON)", () => {
    const header = registryAuthHeader({ username: 'u', password: 'p' }, 'reg.example');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ username: 'u', password: 'p', serveraddress: 'reg.example' });
  });

  it('parses WWW-Authenticate challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/x:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/x:pull' },
    });
    expect(parseChallenge('Basic realm="tidy-test"')).toEqual({ scheme: 'basic', params: { realm: 'tidy-test' } });
    expect(parseChallenge(null)).toBeUndefined();
  });
});
