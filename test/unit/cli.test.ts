import { describe, expect, it } from 'vitest';
import { complete, wantsContextNames, wantsImageReferences } from '../../src/cli/complete.js';
import { renderCommandHelp, renderRootHelp } from '../../src/cli/help.js';
import { parseCommandArgs } from '../../src/cli/args.js';
import { commands, df, findCommand, rm, type AnyCommand } from '../../src/cli/registry.js';
import { removalRequest } from '../../src/cli/requests.js';
import { dockerTarget } from '../../src/docker/target.js';
import { UsageError } from '../../src/errors.js';

const NOW = 1_700_000_000;
const parse = <C extends AnyCommand>(command: C, args: string[]) => parseCommandArgs(command as typeof rm, args, { now: NOW });
/** The usage error a command line gives (the test fails if it parses). */
async function usageError(command: AnyCommand, args: string[]): Promise<UsageError> {
  try {
    await parse(command, args);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`${args.join(' ')} parsed`);
}

describe('parseCommandArgs', () => {
  it('parses declared flags, shorthand included, into typed values', async () => {
    expect((await parse(df, ['-v', '--json'])).flags).toEqual({ verbose: true, json: true, contexts: [], allContexts: false });
    const { flags } = await parse(rm, ['--older-than', '24h', '--larger-than', '1.5GB', '--keep-last', '3', '--match', '^a', '--match', 'b']);
    expect(flags).toMatchObject({ olderThan: NOW - 86_400, largerThan: 1_500_000_000, keepLast: 3, dryRun: false, save: undefined });
    expect(flags.match.map((p: { source: string }) => p.source)).toEqual(['^a', 'b']);
  });

  it.each([
    [['--bogus'], 'unknown flag: --bogus'],
    [['--json=1', '--nope=2'], 'unknown flag: --nope'],
    [['-x'], "unknown shorthand flag: 'x' in -x"],
    [['stray'], '"docker tidy df" accepts no arguments'],
  ])('rejects %j as a usage error', async (args, message) => {
    const error = await usageError(df, args);
    expect(error.message).toBe(message);
    expect(error.helpCommand).toBe('docker tidy df');
  });

  it.each([
    [['--larger-than', '5XB'], 'invalid argument "5XB" for "--larger-than" flag: use a number of bytes or a size such as 500MB, 1.5GB or 1GiB'],
    [['--match', '['], 'invalid argument "[" for "--match" flag: missing closing ]: `[`'],
    [['--match', ''], 'invalid argument "" for "--match" flag: an empty pattern matches every image; use "." to mean every image'],
    [['--save', ''], 'invalid argument "" for "--save" flag: name a directory'],
  ])('names the flag and the value of a bad value: %j', async (args, message) => {
    expect((await usageError(rm, args)).message).toBe(message);
  });
});

describe('parseCommandArgs follows pflag', () => {
  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('reads --dry-run=%s as true (strconv.ParseBool)', async (word) => {
    expect((await parse(rm, [`--dry-run=${word}`, '-f', '--dangling'])).flags).toMatchObject({ dryRun: true, force: true });
    expect((await parse(rm, [`-f=${word}`, '--dangling'])).flags.force).toBe(true);
    expect((await parse(df, [`-v=${word}`, `--json=${word}`])).flags).toMatchObject({ verbose: true, json: true });
  });

  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False'])('reads --dry-run=%s as false', async (word) => {
    expect((await parse(rm, ['--dry-run', `--dry-run=${word}`, '--dangling'])).flags.dryRun).toBe(false);
  });

  it.each(['yes', 'no', 'on', 'y', '2', '', 'tRUE'])('refuses --dry-run=%j, naming the flag as pflag does', async (word) => {
    expect((await usageError(rm, ['-f', `--dry-run=${word}`, '--dangling'])).message).toBe(
      `invalid argument "${word}" for "--dry-run" flag: strconv.ParseBool: parsing "${word}": invalid syntax`,
    );
    expect((await usageError(rm, [`-f=${word}`, '--dangling'])).message).toMatch(/^invalid argument ".*" for "-f, --force" flag: strconv.ParseBool/);
  });

  it.each([['--match.x', 'a'], ['--dry-run.x'], ['--save.dir', '/tmp'], ['--match.0=a']])('treats dot notation %j as an unknown flag', async (...args) => {
    expect((await usageError(rm, [...args, '--dangling'])).message).toBe(`unknown flag: ${args[0]!.split('=')[0]}`);
  });

  it('takes the next word as a value flag value, whatever it looks like (--match -x is the pattern "-x")', async () => {
    const { flags } = await parse(rm, ['--match', '-x', '--exclude', '--dry-run']);
    expect(flags.match.map((p: { source: string }) => p.source)).toEqual(['-x']);
    expect(flags.exclude.map((p: { source: string }) => p.source)).toEqual(['--dry-run']);
    expect(flags.dryRun).toBe(false);
  });

  it('keeps flags and arguments interspersed, and everything after -- as arguments', async () => {
    const parsed = await parse(rm, ['a:1', '-f', 'b:2', '--', '--dry-run', '-f']);
    expect(parsed.args).toEqual(['a:1', 'b:2', '--dry-run', '-f']);
    expect(parsed.flags).toMatchObject({ force: true, dryRun: false });
  });

  it('says which flag needs an argument, and how many arguments a command takes', async () => {
    expect((await usageError(rm, ['--dangling', '--match'])).message).toBe('flag needs an argument: --match');
    expect((await usageError(rm, ['--dangling', '--keep-last'])).message).toBe('flag needs an argument: --keep-last');
    expect((await usageError(findCommand('images')!, ['a', 'b'])).message).toBe('"docker tidy images" requires at most 1 argument');
  });

  it('recognises usage errors by kind, whatever the locale', async () => {
    const saved = { LC_ALL: process.env.LC_ALL, LANG: process.env.LANG, LANGUAGE: process.env.LANGUAGE, LC_MESSAGES: process.env.LC_MESSAGES };
    try {
      Object.assign(process.env, { LC_ALL: 'de_DE.UTF-8', LANG: 'de_DE.UTF-8', LANGUAGE: 'de', LC_MESSAGES: 'de_DE.UTF-8' });
      expect((await usageError(df, ['--bogus'])).message).toBe('unknown flag: --bogus');
      expect((await usageError(df, ['stray'])).message).toBe('"docker tidy df" accepts no arguments');
      expect((await usageError(rm, ['--save'])).message).toBe('flag needs an argument: --save');
      expect((await usageError(rm, ['--dry-run=ja'])).message).toMatch(/^invalid argument "ja" for "--dry-run" flag/);
      expect((await parse(rm, ['--match', 'x', '--dry-run=1'])).flags).toMatchObject({ dryRun: true });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe('requests from flags', () => {
  it('rejects an age range that selects nothing, naming both flags, and accepts a real one', async () => {
    const wrong = await parse(rm, ['--older-than', '48h', '--newer-than', '24h']);
    expect(() => removalRequest(wrong.flags, [], 'docker tidy rm', wrong.given)).toThrow(
      '--newer-than "24h" and --older-than "48h" together select nothing: give --newer-than the earlier time (of two durations, the longer)',
    );
    const right = await parse(rm, ['--older-than', '24h', '--newer-than', '48h']);
    expect(removalRequest(right.flags, [], 'docker tidy rm', right.given).filter).toMatchObject({ olderThan: NOW - 86_400, newerThan: NOW - 172_800 });
  });

  it('refuses what selects nothing, and --save with --include-local', async () => {
    const none = await parse(rm, ['-f']);
    expect(() => removalRequest(none.flags, [], 'docker tidy rm', none.given)).toThrow(/requires at least 1 IMAGE/);
    const both = await parse(rm, ['--save', '/tmp/x', '--include-local', '--dangling']);
    expect(() => removalRequest(both.flags, [], 'docker tidy rm', both.given)).toThrow(/--save and --include-local cannot be used together/);
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
    // --helper IMAGE: the daemon's images too.
    expect(wantsImageReferences(commands, ['logs', '--helper', 'b'])).toBe(true);
    expect(complete(commands, ['logs', '--helper', 'postgres:13-'], false, refs)).toBe('postgres:13-beta1\n:4\n');
    expect(wantsImageReferences(commands, ['df', ''])).toBe(false);
  });

  it("offers docker's context names for --contexts, after the last comma, leaving out the ones listed", () => {
    const names = ['default', 'build-1', 'build-2', 'runner-3'];
    expect(wantsContextNames(commands, ['df', '--contexts', 'b'])).toBe(true);
    expect(wantsContextNames(commands, ['prune', '--contexts', ''])).toBe(true);
    expect(wantsContextNames(commands, ['df', '--json', ''])).toBe(false);
    expect(complete(commands, ['df', '--contexts', 'b'], false, [], names)).toBe('build-1\nbuild-2\n:4\n');
    expect(complete(commands, ['images', '--contexts', 'build-1,'], false, [], names)).toBe('build-1,default\nbuild-1,build-2\nbuild-1,runner-3\n:4\n');
    expect(complete(commands, ['rm', '--contexts', 'build-1,r'], false, [], names)).toBe('build-1,runner-3\n:4\n');
  });

  it('lets the shell offer directories for --save, and offers --sort its values', () => {
    expect(complete(commands, ['rm', '--save', ''], false)).toBe(':16\n');
    expect(complete(commands, ['images', '--sort', 'u'], false)).toBe('unique\n:4\n');
  });
});

describe('dockerTarget', () => {
  const target = (env: NodeJS.ProcessEnv) => dockerTarget({ argv: [], debug: false }, new AbortController().signal, env);
  it('runs the docker that ran the plugin, but never the plugin itself (docker 28 names it for completion)', () => {
    expect(target({ DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: '/usr/local/bin/docker' }).binary).toBe('/usr/local/bin/docker');
    expect(target({ DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: '/root/.docker/cli-plugins/docker-tidy' }).binary).toBe('docker');
    expect(target({ DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: 'C:\\Users\\x\\.docker\\cli-plugins\\docker-tidy.exe' }).binary).toBe('docker');
    expect(target({}).binary).toBe('docker');
  });

  it('says what is wrong with DOCKER_TIDY_TIMEOUT, and takes a good one', () => {
    expect(target({ DOCKER_TIDY_TIMEOUT: 'abc' }).badTimeout).toMatch(/^invalid DOCKER_TIDY_TIMEOUT "abc"/);
    expect(target({ DOCKER_TIDY_TIMEOUT: '30' })).toMatchObject({ timeoutMs: 30_000 });
    expect(target({ DOCKER_TIDY_TIMEOUT: '30' }).badTimeout).toBeUndefined();
  });
});
