// Docker's habits, as a newcomer expects them in the first ten minutes: REPOSITORY[:TAG] as
// docker image ls takes it, df -v's IMAGE column as docker ps shows it, the plan and its question
// on the terminal even when stdout goes to a file, dry runs that say so, settings that are checked.
// The shared world is only read here: every command either is a dry run or is answered "n".
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { containerdStore, describeE2E, docker, engine, userEnv, world, scratchDir } from './harness.js';

const PULLED = containerdStore ? ['--include-local'] : [];

/** Runs a shell command line under a pseudo-terminal (script), answering `answer` to the question. */
function onTerminal(command: string, env: NodeJS.ProcessEnv, answer: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('[y/N]')) child.stdin.end(`${answer}\n`);
    });
    child.on('close', (code) => resolve({ code, out }));
  });
}

describeE2E('docker habits', () => {
  it('images REPOSITORY[:TAG] lists what docker image ls REPOSITORY[:TAG] lists', async () => {
    const env = userEnv();
    for (const arg of ['postgres', 'postgres:13-beta*', 'docker.io/library/alpine:3.19', 'nothing-here']) {
      const ours = await docker(['tidy', 'images', arg, '--json'], env);
      expect(ours.code, ours.stderr).toBe(0);
      const theirs = await docker(['image', 'ls', '--no-trunc', '--format', '{{.ID}}', arg.replace(/^docker\.io\/library\//, '')], env);
      const ids = [...new Set(theirs.stdout.split('\n').filter(Boolean))].sort();
      expect((JSON.parse(ours.stdout) as { images: { id: string }[] }).images.map((i) => i.id).sort()).toEqual(ids);
    }
    // The table shows only the references the argument names.
    const table = await docker(['tidy', 'images', 'myapp:stable'], env);
    expect(table.stdout).toMatch(/\nmyapp\s+stable\s/);
    expect(table.stdout).not.toMatch(/\nmyapp\s+1\.0\s/);
    const two = await docker(['tidy', 'images', 'a', 'b'], env);
    expect(two).toMatchObject({ code: 125, stderr: `"docker tidy images" requires at most 1 argument\nSee 'docker tidy images --help'.\n` });
  });

  it('--sort name orders the rows by the reference each shows, --reverse the other way', async () => {
    const env = userEnv();
    for (const [flags, order] of [[[], 1], [['--reverse'], -1]] as const) {
      const r = await docker(['tidy', 'images', '--sort', 'name', ...flags], env);
      expect(r.code, r.stderr).toBe(0);
      const refs = r.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(/\s+/).slice(0, 2).join(':'));
      expect(refs.length).toBeGreaterThan(5);
      const sorted = [...refs].sort((a, b) => (a < b ? -order : a > b ? order : 0));
      expect(refs).toEqual(sorted);
    }
  });

  it("df -v shows each container's image as docker ps does, not IDs and digests", async () => {
    const env = userEnv();
    const ours = await docker(['tidy', 'df', '-v'], env);
    expect(ours.code, ours.stderr).toBe(0);
    const theirs = await docker(['ps', '-a', '--format', '{{.Names}} {{.Image}}'], env);
    for (const line of theirs.stdout.trim().split('\n')) {
      const [name, image] = line.split(' ') as [string, string];
      expect(ours.stdout).toMatch(new RegExp(`\\s${image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+${name}\\s`));
    }
    expect(ours.stdout).not.toMatch(/@sha256:/);
  });

  it('a dry run says it is one, in every output mode', async () => {
    const env = userEnv();
    const rm = await docker(['tidy', 'rm', '--match', '^postgres:13-beta2', '--dry-run', ...PULLED], env);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toMatch(/\nDry run: this would delete 1 image, freeing .*; nothing was removed\.\n$/);
    const quiet = await docker(['tidy', 'prune', '-a', '-q', '--dry-run'], env);
    expect(quiet.stdout).toMatch(/^Dry run: this would remove .*; nothing was removed\.\n$/);
    const json = await docker(['tidy', 'prune', '--dry-run', '--json'], env);
    expect(JSON.parse(json.stdout).dryRun).toBe(true);
    // Nothing planned: one line, no "0 images, freeing 0B".
    const none = await docker(['tidy', 'rm', '--older-than', '2000-01-01', '--dry-run'], env);
    expect(none.stdout).toBe('Nothing to remove.\n');
  });

  it('shows the plan beside the question when stdout goes to a file, and removes nothing on "n"', async () => {
    const env = userEnv();
    const before = (await engine<unknown[]>('GET', '/images/json', world.host!)).body.length;
    const file = join(scratchDir('plan'), 'plan.txt');
    const r = await onTerminal(`docker tidy rm --match '^postgres:13-beta2' ${PULLED.join(' ')} > ${file}`, env, 'n');
    expect(r.code).toBe(0);
    // What the person at the terminal saw: the plan, then the question.
    expect(r.out).toMatch(/To remove:[\s\S]*postgres:13-beta2[\s\S]*This deletes 1 image[\s\S]*Are you sure you want to continue\? \[y\/N\]/);
    expect(readFileSync(file, 'utf8')).toContain('postgres:13-beta2');
    expect((await engine<unknown[]>('GET', '/images/json', world.host!)).body.length).toBe(before);
  });

  it('says what is wrong with DOCKER_TIDY_TIMEOUT instead of ignoring it', async () => {
    for (const value of ['abc', '-5', '0', '10s']) {
      const r = await docker(['tidy', 'df'], userEnv({ DOCKER_TIDY_TIMEOUT: value }));
      expect(r.code).toBe(125);
      expect(r.stderr).toContain(`invalid DOCKER_TIDY_TIMEOUT "${value}": use a number of seconds`);
    }
    const ok = await docker(['tidy', 'df', '--json'], userEnv({ DOCKER_TIDY_TIMEOUT: '30' }));
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('reads "freed" and the estimate as one sentence', async () => {
    // A real run on something that exists only for this test: an image tagged here, removed again.
    const env = userEnv();
    expect((await docker(['tag', 'busybox:latest', 'habits-tmp:1'], env)).code).toBe(0);
    const r = await docker(['tidy', 'rm', 'habits-tmp:1', '-f'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\nFreed 0B \(0 bytes\), as estimated \(by what the daemon deleted\)\n$/);
  });
});
