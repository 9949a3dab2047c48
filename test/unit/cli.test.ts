import { describe, expect, it } from 'vitest';
import { complete, wantsImageReferences } from '../../src/cli/complete.js';
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

describe('parseCommandArgs follows pflag', () => {
  const rm = findCommand('rm')!;
  const usageError = (command: typeof rm, args: string[]): UsageError => {
    try {
      parseCommandArgs(command, args);
    } catch (e) {
      if (e instanceof UsageError) return e;
      throw e;
    }
    throw new Error(`${args.join(' ')} parsed`);
  };

  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('reads --dry-run=%s as true (strconv.ParseBool)', (word) => {
    expect(parseCommandArgs(rm, [`--dry-run=${word}`, '-f', '--dangling']).flags).toMatchObject({ 'dry-run': true, force: true });
    expect(parseCommandArgs(rm, [`-f=${word}`, '--dangling']).flags.force).toBe(true);
    expect(parseCommandArgs(df, [`-v=${word}`, `--json=${word}`]).flags).toMatchObject({ verbose: true, json: true });
  });

  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False'])('reads --dry-run=%s as false', (word) => {
    expect(parseCommandArgs(rm, ['--dry-run', `--dry-run=${word}`, '--dangling']).flags['dry-run']).toBe(false);
  });

  it.each(['yes', 'no', 'on', 'y', '2', '', 'tRUE'])('refuses --dry-run=%j, naming the flag as pflag does', (word) => {
    expect(usageError(rm, ['-f', `--dry-run=${word}`, '--dangling']).message).toBe(
      `invalid argument "${word}" for "--dry-run" flag: strconv.ParseBool: parsing "${word}": invalid syntax`,
    );
    expect(usageError(rm, [`-f=${word}`, '--dangling']).message).toMatch(/^invalid argument ".*" for "-f, --force" flag: strconv.ParseBool/);
  });

  it.each([['--match.x', 'a'], ['--dry-run.x'], ['--save.dir', '/tmp'], ['--match.0=a']])('treats dot notation %j as an unknown flag', (...args) => {
    expect(usageError(rm, [...args, '--dangling']).message).toBe(`unknown flag: ${args[0]!.split('=')[0]}`);
  });

  it('takes the next word as a value flag value, whatever it looks like (--match -x is the pattern "-x")', () => {
    expect(parseCommandArgs(rm, ['--match', '-x', '--exclude', '--dry-run']).flags).toMatchObject({ match: ['-x'], exclude: ['--dry-run'] });
    expect(parseCommandArgs(rm, ['--match', '-x']).flags['dry-run']).toBeUndefined();
  });

  it('keeps flags and arguments interspersed, and everything after -- as arguments', () => {
    expect(parseCommandArgs(rm, ['a:1', '-f', 'b:2', '--', '--dry-run', '-f'])).toEqual({ flags: { force: true }, args: ['a:1', 'b:2', '--dry-run', '-f'] });
  });

  it('says which flag needs an argument', () => {
    expect(usageError(rm, ['--dangling', '--match']).message).toBe('flag needs an argument: --match');
    expect(usageError(rm, ['--dangling', '--keep-last']).message).toBe('flag needs an argument: --keep-last');
  });

  it('recognises usage errors by kind, whatever the locale', () => {
    const saved = { LC_ALL: process.env.LC_ALL, LANG: process.env.LANG, LANGUAGE: process.env.LANGUAGE, LC_MESSAGES: process.env.LC_MESSAGES };
    try {
      Object.assign(process.env, { LC_ALL: 'de_DE.UTF-8', LANG: 'de_DE.UTF-8', LANGUAGE: 'de', LC_MESSAGES: 'de_DE.UTF-8' });
      expect(usageError(df, ['--bogus']).message).toBe('unknown flag: --bogus');
      expect(usageError(df, ['stray']).message).toBe('"docker tidy df" accepts no arguments');
      expect(usageError(rm, ['--save']).message).toBe('flag needs an argument: --save');
      expect(usageError(rm, ['--dry-run=ja']).message).toMatch(/^invalid argument "ja" for "--dry-run" flag/);
      expect(parseCommandArgs(rm, ['--match', 'x', '--dry-run=1']).flags).toMatchObject({ match: ['x'], 'dry-run': true });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe('flag values', () => {
  it('rejects an age range that selects nothing, naming both flags, and accepts a real one', async () => {
    const { imageFilterFromFlags } = await import('../../src/cli/flag-values.js');
    const now = 1_700_000_000;
    expect(() => imageFilterFromFlags({ 'older-than': '48h', 'newer-than': '24h' }, 'docker tidy rm', now)).toThrow(
      '--newer-than "24h" and --older-than "48h" together select nothing: give --newer-than the earlier time (of two durations, the longer)',
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

  it("offers image references for rm's IMAGE, as docker rmi does, and asks for them only there", () => {
    const refs = ['postgres:13', 'postgres:13-beta1', 'alpine:3.19'];
    expect(complete(commands, ['rm', 'post'], false, refs)).toBe('postgres:13\npostgres:13-beta1\n:4\n');
    expect(complete(commands, ['images', ''], false, refs)).toBe('alpine:3.19\npostgres:13\npostgres:13-beta1\n:4\n');
    expect(wantsImageReferences(commands, ['rm', 'post'])).toBe(true);
    expect(wantsImageReferences(commands, ['rm', '--match', ''])).toBe(false);
    expect(wantsImageReferences(commands, ['df', ''])).toBe(false);
  });

  it('lets the shell offer directories for --save, and offers --sort its values', () => {
    expect(complete(commands, ['rm', '--save', ''], false)).toBe(':16\n');
    expect(complete(commands, ['images', '--sort', 'u'], false)).toBe('unique\n:4\n');
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
