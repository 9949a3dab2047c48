import { describe, expect, it } from 'vitest';
import { complete } from '../../src/cli/complete.js';
import { renderCommandHelp, renderRootHelp } from '../../src/cli/help.js';
import { parseCommandArgs } from '../../src/cli/parse.js';
import { commands, findCommand } from '../../src/cli/registry.js';
import { unixSocketOf } from '../../src/docker/engine.js';
import { UsageError } from '../../src/errors.js';

const df = findCommand('df')!;

describe('parseCommandArgs', () => {
  it('parses declared flags, shorthand included', () => {
    expect(parseCommandArgs(df, ['-v', '--json']).flags).toMatchObject({ verbose: true, json: true });
  });

  it.each([
    [['--bogus'], 'unknown flag: --bogus'],
    [['--json=1', '--nope=2'], 'unknown flag: --nope'],
    [['-x'], "unknown shorthand flag: 'x' in -x"],
    [['stray'], '"docker tidy df" accepts no arguments'],
  ])('rejects %j as a usage error', (args, message) => {
    let error: unknown;
    try {
      parseCommandArgs(df, args);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(message);
    expect((error as UsageError).helpCommand).toBe('docker tidy df');
  });
});

describe('flag values', () => {
  it('rejects an age range that selects nothing, naming both flags, and accepts a real one', async () => {
    const { imageFilterFromFlags } = await import('../../src/cli/flag-values.js');
    const now = 1_700_000_000;
    expect(() => imageFilterFromFlags({ 'older-than': '48h', 'newer-than': '24h' }, 'docker tidy rm', now)).toThrow(
      /--newer-than must be a time before --older-than/,
    );
    expect(imageFilterFromFlags({ 'older-than': '24h', 'newer-than': '48h' }, 'docker tidy rm', now)).toMatchObject({
      olderThan: now - 86_400,
      newerThan: now - 172_800,
    });
  });
});

describe('help', () => {
  it('lists every command in docker layout', () => {
    const text = renderRootHelp(commands);
    expect(text).toMatch(/^\nUsage:  docker tidy \[OPTIONS\] COMMAND\n/);
    for (const c of commands) expect(text).toContain(`  ${c.name}`);
    expect(text).toContain("Run 'docker tidy COMMAND --help' for more information on a command.");
  });

  it('shows a command flags with shorthand columns', () => {
    const text = renderCommandHelp(df);
    expect(text).toContain('Usage:  docker tidy df [OPTIONS]');
    expect(text).toMatch(/\n  -v, --verbose +\S/);
    expect(text).toMatch(/\n      --json +\S/);
  });
});

describe('complete', () => {
  it('offers subcommands with descriptions and the no-file directive', () => {
    const out = complete(commands, [''], true).split('\n');
    expect(out).toContain(`df\t${df.summary}`);
    expect(out.at(-2)).toBe(':4');
  });

  it('offers flags of a command without descriptions for __completeNoDesc', () => {
    const out = complete(commands, ['df', '--j'], false);
    expect(out).toBe('--json\n:4\n');
  });
});

describe('unixSocketOf (what docker context inspect says)', () => {
  // As docker 28.2 and Debian's 20.10 print them.
  const context = (host: string, tls: Record<string, string[]> = {}): string =>
    JSON.stringify({ Name: 'default', Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } }, TLSMaterial: tls, Storage: {} });

  it('gives the path of a local unix socket', () => {
    expect(unixSocketOf(context('unix:///var/run/docker.sock'))).toBe('/var/run/docker.sock');
    expect(unixSocketOf(context('unix:///run/user/1000/docker.sock'))).toBe('/run/user/1000/docker.sock');
  });

  it.each([
    ['tcp', context('tcp://10.0.0.5:2376')],
    ['ssh', context('ssh://deploy@build-1')],
    ['a unix socket with TLS material', context('unix:///var/run/docker.sock', { docker: ['ca.pem', 'cert.pem', 'key.pem'] })],
    ['a relative unix path', context('unix://docker.sock')],
    ['no answer', undefined],
    ['not JSON', 'unable to resolve docker endpoint'],
    ['another shape', '{"Endpoints":{}}'],
  ])('leaves %s to docker (dial-stdio)', (_, answer) => {
    expect(unixSocketOf(answer)).toBeUndefined();
  });
});
