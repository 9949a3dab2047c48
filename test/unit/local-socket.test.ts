// localSocketOf: which endpoints docker tidy connects to directly (a local unix socket; on Windows
// a local named pipe), read from what `docker context inspect` prints. Pure, so the Windows case
// runs here too.
import { describe, expect, it } from 'vitest';
import { dockerHostWithoutContext, localSocketOf } from '../../src/docker/engine.js';

const context = (host: string, tls: Record<string, unknown> | null = null): string =>
  JSON.stringify({ Name: 'x', Endpoints: { docker: { Host: host, SkipTLSVerify: false } }, TLSMaterial: tls });

describe('localSocketOf', () => {
  it('opens docker_engine and Docker Desktop pipes on Windows as \\\\.\\pipe\\NAME', () => {
    expect(localSocketOf(context('npipe:////./pipe/docker_engine'), 'win32')).toEqual({
      path: '\\\\.\\pipe\\docker_engine',
      url: 'npipe:////./pipe/docker_engine',
    });
    expect(localSocketOf(context('npipe:////./pipe/dockerDesktopLinuxEngine'), 'win32')?.path).toBe('\\\\.\\pipe\\dockerDesktopLinuxEngine');
    expect(localSocketOf(context('npipe://\\\\.\\pipe\\docker_engine'), 'win32')?.path).toBe('\\\\.\\pipe\\docker_engine');
  });

  it('opens unix sockets on Linux and macOS', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      expect(localSocketOf(context('unix:///Users/me/.docker/run/docker.sock'), platform)).toEqual({
        path: '/Users/me/.docker/run/docker.sock',
        url: 'unix:///Users/me/.docker/run/docker.sock',
      });
    }
  });

  it.each([
    ['a pipe on another host', 'npipe:////server/pipe/docker_engine', 'win32'],
    ['a pipe path with more parts', 'npipe:////./pipe/a/b', 'win32'],
    ['a unix socket on Windows', 'unix:///var/run/docker.sock', 'win32'],
    ['a named pipe on Linux', 'npipe:////./pipe/docker_engine', 'linux'],
    ['tcp', 'tcp://127.0.0.1:2375', 'win32'],
    ['ssh', 'ssh://me@host', 'darwin'],
  ] as const)('goes through docker for %s', (_, host, platform) => {
    expect(localSocketOf(context(host), platform)).toBeUndefined();
  });

  it('goes through docker when the context has TLS material, or the answer is not understood', () => {
    expect(localSocketOf(context('npipe:////./pipe/docker_engine', { docker: ['ca.pem'] }), 'win32')).toBeUndefined();
    expect(localSocketOf('not json', 'win32')).toBeUndefined();
    expect(localSocketOf(undefined, 'linux')).toBeUndefined();
  });
});

describe('dockerHostWithoutContext (when docker need not be asked where the daemon is)', () => {
  const globals = (argv: string[], o: { host?: string; context?: string } = {}) => ({ argv, ...o });

  it('takes one -H, else DOCKER_HOST, as docker does', () => {
    expect(dockerHostWithoutContext(globals(['-H', 'unix:///a.sock'], { host: 'unix:///a.sock' }), { DOCKER_HOST: 'unix:///b.sock' }, '')).toBe('unix:///a.sock');
    expect(dockerHostWithoutContext(globals(['--host=tcp://h:2375'], { host: 'tcp://h:2375' }), {}, undefined)).toBe('tcp://h:2375');
    expect(dockerHostWithoutContext(globals([]), { DOCKER_HOST: 'unix:///b.sock', DOCKER_CONTEXT: 'ctx' }, undefined)).toBe('unix:///b.sock');
  });

  it("is docker's default host when no context is set anywhere", () => {
    expect(dockerHostWithoutContext(globals([]), {}, '')).toBe('unix:///var/run/docker.sock');
    expect(dockerHostWithoutContext(globals([]), {}, '{"auths":{}}')).toBe('unix:///var/run/docker.sock');
    expect(dockerHostWithoutContext(globals([]), { DOCKER_CONTEXT: 'default' }, '{"currentContext":"default"}')).toBe('unix:///var/run/docker.sock');
    expect(dockerHostWithoutContext(globals([]), {}, '', 'win32')).toBe('npipe:////./pipe/docker_engine');
  });

  it.each([
    ['a --context flag', globals(['--context', 'x'], { context: 'x' }), { DOCKER_HOST: 'unix:///b.sock' }, ''],
    ['-H together with --context (docker refuses it, in its own words)', globals(['-H', 'unix:///a', '-c', 'x'], { host: 'unix:///a', context: 'x' }), {}, ''],
    ['two -H', globals(['-H', 'unix:///a', '-H', 'unix:///b'], { host: 'unix:///b' }), {}, ''],
    ['DOCKER_CONTEXT', globals([]), { DOCKER_CONTEXT: 'desktop-linux' }, ''],
    ["config.json's current context", globals([]), {}, '{"currentContext":"desktop-linux"}'],
    ['a config.json that does not parse', globals([]), {}, '{'],
    ['a config.json that cannot be read', globals([]), {}, undefined],
  ])('asks docker for %s', (_, g, env, config) => {
    expect(dockerHostWithoutContext(g, env, config)).toBeUndefined();
  });
});
