// Where the daemon is, worked out as docker does without running it (src/docker/endpoint.ts): the
// context docker would use, the endpoint in its metadata and TLS files, and how docker tidy reaches
// it. Pure apart from the file reads, which come from a map here, so Windows cases run too.
import { describe, expect, it } from 'vitest';
import { contextDigest, contextName, endpointFromInspect, resolveEndpoint, routeOf, type ReadText } from '../../src/docker/endpoint.js';

const HOME = '/home/me';
const files = (map: Record<string, string>): ReadText => (path) => map[path];
const globals = (argv: string[], o: { host?: string; context?: string; config?: string } = {}) => ({ argv, ...o });
const meta = (name: string, host: string, skip = false): string =>
  JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: skip } } });
const metaPath = (name: string, dir = `${HOME}/.docker`) => `${dir}/contexts/meta/${contextDigest(name)}/meta.json`;
const tlsPath = (name: string, file: string, dir = `${HOME}/.docker`) => `${dir}/contexts/tls/${contextDigest(name)}/docker/${file}`;

describe('contextName: the context docker would use, in its order', () => {
  const env = { HOME };
  it('takes --context first, then -H or DOCKER_HOST (the default context), DOCKER_CONTEXT, then currentContext', () => {
    const config = files({ [`${HOME}/.docker/config.json`]: '{"currentContext":"cur"}' });
    expect(contextName(globals(['-c', 'a'], { context: 'a' }), { ...env, DOCKER_HOST: 'unix:///x', DOCKER_CONTEXT: 'b' }, config)).toBe('a');
    expect(contextName(globals(['-H', 'unix:///x'], { host: 'unix:///x' }), { ...env, DOCKER_CONTEXT: 'b' }, config)).toBeNull();
    expect(contextName(globals([]), { ...env, DOCKER_HOST: 'unix:///x', DOCKER_CONTEXT: 'b' }, config)).toBeNull();
    expect(contextName(globals([]), { ...env, DOCKER_CONTEXT: 'b' }, config)).toBe('b');
    expect(contextName(globals([]), env, config)).toBe('cur');
    expect(contextName(globals([]), env, files({}))).toBeNull();
    expect(contextName(globals([]), { ...env, DOCKER_CONTEXT: 'default' }, config)).toBeNull();
  });

  it('reads config.json from --config, else DOCKER_CONFIG', () => {
    const read = files({ '/c1/config.json': '{"currentContext":"one"}', '/c2/config.json': '{"currentContext":"two"}' });
    expect(contextName(globals(['--config', '/c1'], { config: '/c1' }), { HOME, DOCKER_CONFIG: '/c2' }, read)).toBe('one');
    expect(contextName(globals([]), { HOME, DOCKER_CONFIG: '/c2' }, read)).toBe('two');
  });

  it('leaves to docker what it refuses or what does not parse', () => {
    expect(contextName(globals(['-H', 'unix:///a', '-c', 'x'], { host: 'unix:///a', context: 'x' }), env, files({}))).toBeUndefined();
    expect(contextName(globals([]), env, files({ [`${HOME}/.docker/config.json`]: '{' }))).toBeUndefined();
  });
});

describe('resolveEndpoint', () => {
  it("is docker's default host, one -H, or DOCKER_HOST when no context is involved", () => {
    expect(resolveEndpoint(globals([]), { HOME }, files({}), 'linux')).toEqual({ host: 'unix:///var/run/docker.sock' });
    expect(resolveEndpoint(globals([]), { HOME }, files({}), 'win32')).toEqual({ host: 'npipe:////./pipe/docker_engine' });
    expect(resolveEndpoint(globals(['-H', 'tcp://h:2375'], { host: 'tcp://h:2375' }), { HOME, DOCKER_HOST: 'unix:///b' }, files({}))).toEqual({ host: 'tcp://h:2375' });
    expect(resolveEndpoint(globals([]), { HOME, DOCKER_HOST: 'ssh://me@box' }, files({}))).toEqual({ host: 'ssh://me@box' });
    expect(resolveEndpoint(globals(['-H', 'unix:///a', '-H', 'unix:///b'], { host: 'unix:///b' }), { HOME }, files({}))).toBeUndefined();
  });

  it('reads a named context from its metadata file, with its TLS files', () => {
    const read = files({
      [metaPath('prod')]: meta('prod', 'tcp://10.0.0.5:2376'),
      [tlsPath('prod', 'ca.pem')]: 'CA',
      [tlsPath('prod', 'cert.pem')]: 'CERT',
      [tlsPath('prod', 'key.pem')]: 'KEY',
      [metaPath('local')]: meta('local', 'unix:///run/user/1000/docker.sock'),
    });
    expect(resolveEndpoint(globals([]), { HOME, DOCKER_CONTEXT: 'prod' }, read)).toEqual({
      host: 'tcp://10.0.0.5:2376',
      context: 'prod',
      tls: { ca: 'CA', cert: 'CERT', key: 'KEY', skipVerify: false },
    });
    expect(resolveEndpoint(globals(['--context', 'local'], { context: 'local' }), { HOME, DOCKER_HOST: 'tcp://ignored:1' }, read)).toEqual({
      host: 'unix:///run/user/1000/docker.sock',
      context: 'local',
    });
  });

  it('asks docker when the context has no metadata file (docker then says it does not exist) or the file is not understood', () => {
    expect(resolveEndpoint(globals([]), { HOME, DOCKER_CONTEXT: 'nope' }, files({}))).toBeUndefined();
    expect(resolveEndpoint(globals([]), { HOME, DOCKER_CONTEXT: 'bad' }, files({ [metaPath('bad')]: '{"Endpoints":{}}' }))).toBeUndefined();
    const unreadable: ReadText = () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    expect(resolveEndpoint(globals([]), { HOME, DOCKER_CONTEXT: 'x' }, unreadable)).toBeUndefined();
  });

  it('takes TLS for the default context from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, or the flags', () => {
    const read = files({ '/certs/ca.pem': 'CA', '/certs/cert.pem': 'CERT', '/certs/key.pem': 'KEY', '/other/ca.pem': 'CA2' });
    expect(resolveEndpoint(globals([]), { HOME, DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }, read)).toEqual({
      host: 'tcp://h:2376',
      tls: { ca: 'CA', cert: 'CERT', key: 'KEY', skipVerify: false },
    });
    // --tls alone encrypts without checking the server; --tlscacert names another CA.
    expect(resolveEndpoint(globals(['--tls'], {}), { HOME, DOCKER_HOST: 'tcp://h', DOCKER_CERT_PATH: '/certs' }, read)?.tls?.skipVerify).toBe(true);
    expect(resolveEndpoint(globals(['--tlsverify', '--tlscacert', '/other/ca.pem']), { HOME, DOCKER_HOST: 'tcp://h', DOCKER_CERT_PATH: '/certs' }, read)?.tls?.ca).toBe('CA2');
    // A file a flag names that is not there: docker says so.
    expect(resolveEndpoint(globals(['--tlsverify', '--tlscacert=/missing.pem']), { HOME, DOCKER_HOST: 'tcp://h' }, read)).toBeUndefined();
  });
});

describe('endpointFromInspect (when docker had to be asked)', () => {
  // As docker 28.2 prints it.
  const answer = (host: string, material: string[] = [], storage: Record<string, string> = { TLSPath: '/cfg/contexts/tls/abc' }) =>
    JSON.stringify({ Name: 'x', Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } }, TLSMaterial: material.length ? { docker: material } : {}, Storage: storage });

  it('gives the host, with the TLS files it names', () => {
    expect(endpointFromInspect(answer('unix:///var/run/docker.sock'))).toEqual({ host: 'unix:///var/run/docker.sock', context: 'x' });
    expect(endpointFromInspect(answer('tcp://h:2376', ['ca.pem']), files({ '/cfg/contexts/tls/abc/docker/ca.pem': 'CA' }))).toEqual({
      host: 'tcp://h:2376',
      context: 'x',
      tls: { ca: 'CA', skipVerify: false },
    });
  });

  it('leaves to docker TLS material it cannot read, and answers it does not understand', () => {
    expect(routeOf(endpointFromInspect(answer('tcp://h:2376', ['ca.pem'], {}))!).kind).toBe('docker');
    expect(endpointFromInspect(undefined)).toBeUndefined();
    expect(endpointFromInspect('unable to resolve docker endpoint')).toBeUndefined();
    expect(endpointFromInspect('{"Endpoints":{}}')).toBeUndefined();
  });
});

describe('routeOf: how docker tidy reaches an endpoint', () => {
  it('opens unix sockets on Linux and macOS, and local pipes on Windows as \\\\.\\pipe\\NAME', () => {
    expect(routeOf({ host: 'unix:///Users/me/.docker/run/docker.sock' }, 'darwin')).toEqual({ kind: 'socket', path: '/Users/me/.docker/run/docker.sock', url: 'unix:///Users/me/.docker/run/docker.sock' });
    expect(routeOf({ host: 'npipe:////./pipe/docker_engine' }, 'win32')).toEqual({ kind: 'socket', path: '\\\\.\\pipe\\docker_engine', url: 'npipe:////./pipe/docker_engine' });
    expect(routeOf({ host: 'npipe:////./pipe/dockerDesktopLinuxEngine' }, 'win32')).toMatchObject({ path: '\\\\.\\pipe\\dockerDesktopLinuxEngine' });
    expect(routeOf({ host: 'npipe://\\\\.\\pipe\\docker_engine' }, 'win32')).toMatchObject({ path: '\\\\.\\pipe\\docker_engine' });
  });

  it('speaks tcp itself, with TLS when there is material, on docker\'s default ports', () => {
    const tls = { ca: 'CA', skipVerify: false };
    expect(routeOf({ host: 'tcp://10.0.0.5:2376', tls })).toEqual({ kind: 'tcp', hostname: '10.0.0.5', port: 2376, url: 'tcp://10.0.0.5:2376', tls });
    expect(routeOf({ host: 'tcp://box' })).toMatchObject({ kind: 'tcp', hostname: 'box', port: 2375 });
    expect(routeOf({ host: 'tcp://box', tls })).toMatchObject({ port: 2376 });
    expect(routeOf({ host: 'tcp://[::1]:2375' })).toMatchObject({ kind: 'tcp', hostname: '::1', port: 2375 });
  });

  it.each([
    ['ssh', 'ssh://me@host', 'linux'],
    ['a pipe on another host', 'npipe:////server/pipe/docker_engine', 'win32'],
    ['a pipe path with more parts', 'npipe:////./pipe/a/b', 'win32'],
    ['a unix socket on Windows', 'unix:///var/run/docker.sock', 'win32'],
    ['a named pipe on Linux', 'npipe:////./pipe/docker_engine', 'linux'],
    ['a relative unix path', 'unix://docker.sock', 'linux'],
    ['a host without a scheme', '10.0.0.5:2375', 'linux'],
  ] as const)('goes through docker for %s', (_, host, platform) => {
    expect(routeOf({ host }, platform).kind).toBe('docker');
  });

  it('goes through docker for a local socket with TLS', () => {
    expect(routeOf({ host: 'unix:///var/run/docker.sock', tls: { skipVerify: false } }, 'linux').kind).toBe('docker');
  });
});
