// `docker tidy rm`, the walkthroughs users do by hand today, each on the private world, asserting
// the daemon's state afterwards and that the estimate equals what the daemon reports freed.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { containerdStore, dataRootBytes, describeE2E, docker, engine, freshWorld, run, scratchDir, withinFivePercent } from './harness.js';

// The containerd store cannot tell a pulled image from one built here (both carry RepoDigests):
// rm asks the registry (here the daemon's mirror, which has the pulled images). Built images have
// Docker Hub names there, which the mirror lacks and Docker Hub alone could deny: kept, no answer.
const LOCAL_REASON = containerdStore ? /^may exist only on this host: no answer for library\// : /^exists only on this host/;

interface ApiImage {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
}
interface ApiContainer {
  Names: string[];
  ImageID: string;
  State: string;
}
interface RmDoc {
  dryRun: boolean;
  images: { id: string; tags: string[]; action: string; bytes: number }[];
  kept: { id: string; tags: string[]; reason: string }[];
  failed: unknown[];
  containers: { id: string; name: string; state: string; bytes: number }[];
  saved: string[];
  estimatedBytes: number;
  reclaimedBytes: number;
  exact: boolean;
}

// Engine 20.10 lists an untagged image with RepoTags ["<none>:<none>"].
const realTags = (i: ApiImage): string[] => (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
const realDigests = (i: ApiImage): string[] => (i.RepoDigests ?? []).filter((d) => d !== '<none>@<none>');
const byId = (list: ApiImage[]): ApiImage[] => [...list].sort((a, b) => (a.Id < b.Id ? -1 : 1));

describeE2E('docker tidy rm: selection, preview and safety', () => {
  const world = freshWorld();
  const images = async (): Promise<ApiImage[]> => (await engine<ApiImage[]>('GET', '/images/json', world.daemon().host)).body;
  const containers = async (): Promise<ApiContainer[]> =>
    (await engine<ApiContainer[]>('GET', '/containers/json?all=1', world.daemon().host)).body;
  const tags = async (): Promise<string[]> => (await images()).flatMap(realTags).sort();
  const rmJson = async (args: string[]): Promise<RmDoc> => {
    const r = await docker(['tidy', 'rm', ...args, '--json'], world.env());
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('refuses without a terminal and without --force, and removes nothing', async () => {
    const before = await tags();
    const r = await docker(['tidy', 'rm', '--dangling'], world.env());
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('To remove:');
    expect(r.stderr).toContain('pass --force (-f)');
    expect(await tags()).toEqual(before);
  });

  it('shows the plan with --dry-run and changes nothing', async () => {
    const before = await images();
    const doc = await rmJson(['--unused', '--dry-run']);
    expect(doc.dryRun).toBe(true);
    expect(doc.reclaimedBytes).toBe(0);
    expect(doc.images.length).toBeGreaterThan(0);
    expect(byId(await images())).toEqual(byId(before));
  });

  it('says which names match nothing, exits 1, and removes nothing', async () => {
    const before = await tags();
    const r = await docker(['tidy', 'rm', '-f', 'postgres:13-beta2', 'nope:1', 'also-missing'], world.env());
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('No such image: nope:1\nNo such image: also-missing\n');
    expect(await tags()).toEqual(before);
  });

  it('rejects bad input with exit 125 before asking docker to change anything', async () => {
    for (const args of [
      ['Postgres:13'],
      ['--keep-last', '-2', '--dangling'],
      [],
      ['--save', '/tmp/x', '--include-local', '--dangling'],
      ['--older-than', '48h', '--newer-than', '24h'],
      ['--match', '(unclosed'],
      ['--larger-than', '5XB', '--unused'],
      ['--older-than', '2020-02-30'],
      ['sha256:'],
    ]) {
      const r = await docker(['tidy', 'rm', '-f', ...args], world.env());
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(125);
    }
  });

  it('says so when nothing is selected', async () => {
    const r = await docker(['tidy', 'rm', '-f', '--older-than', '2000-01-01'], world.env());
    expect(r).toMatchObject({ code: 0, stdout: 'Nothing to remove.\n' });
  });

  it('untagging one tag of a two-tag image frees 0 bytes and says so', async () => {
    const doc = await rmJson(['-f', 'myapp:stable']);
    expect(doc.images).toEqual([expect.objectContaining({ tags: ['myapp:stable'], action: 'untag', bytes: 0 })]);
    expect(doc.estimatedBytes).toBe(0);
    expect(doc.reclaimedBytes).toBe(0);
    const now = await tags();
    expect(now).toContain('myapp:1.0');
    expect(now).not.toContain('myapp:stable');
  });

  it("removes ^postgres:13-beta: the unused one goes, the one a stopped container uses stays, and says why", async () => {
    // The estimate equals what the daemon's own layer total lost; on the containerd store it is
    // marked as an estimate, within 5% of what the data root lost (README).
    const layers = async (): Promise<number> =>
      containerdStore ? dataRootBytes(world.daemon().dir) : (await engine<{ LayersSize: number }>('GET', '/system/df', world.daemon().host)).body.LayersSize;
    const before = await layers();
    // The pulled beta2 is verified in the registry (its mirror) and goes, on either store.
    const doc = await rmJson(['-f', '--match', '^postgres:13-beta']);
    expect(doc.exact).toBe(!containerdStore);
    const lost = before - (await layers());
    if (containerdStore) expect(withinFivePercent(doc.estimatedBytes, lost), `estimated ${doc.estimatedBytes}, the disk lost ${lost}`).toBe(true);
    else expect(lost).toBe(doc.estimatedBytes);
    expect(doc.images.map((r) => r.tags)).toEqual([['postgres:13-beta2']]);
    expect(doc.kept).toEqual([expect.objectContaining({ tags: ['postgres:13-beta1'], reason: expect.stringContaining('beta-exited') })]);
    expect(doc.reclaimedBytes).toBe(doc.estimatedBytes);
    expect(doc.estimatedBytes).toBeGreaterThan(0);
    const now = await tags();
    expect(now).toContain('postgres:13-beta1');
    expect(now).not.toContain('postgres:13-beta2');
  });

  it('removes the dangling images (what docker rmi $(docker images -qf dangling=true) does), keeping one in use', async () => {
    const doc = await rmJson(['-f', '--dangling']);
    const left = (await images()).filter((i) => realTags(i).length === 0);
    const pinned = (await containers()).find((c) => c.Names.includes('/pinned-old'))!.ImageID;
    expect(left.map((i) => i.Id)).toEqual([pinned]);
    expect(doc.kept.map((k) => k.id)).toEqual([pinned]);
    expect(doc.reclaimedBytes).toBe(doc.estimatedBytes);
  });

  it('removes images created before a time, and only those', async () => {
    const all = await images();
    const cutoff = all.find((i) => realTags(i).includes('tool:dev'))!.Created;
    const doc = await rmJson(['-f', '--older-than', String(cutoff), '--unused']);
    for (const r of doc.images) expect(all.find((i) => i.Id === r.id)!.Created).toBeLessThan(cutoff);
    expect(doc.reclaimedBytes).toBe(doc.estimatedBytes);
  });

  it('removes the images no container uses, keeping those that exist only here', async () => {
    const doc = await rmJson(['-f', '--unused']);
    const used = new Set((await containers()).map((c) => c.ImageID));
    const left = await images();
    for (const image of left.filter((i) => !used.has(i.Id))) {
      // What is still here unused must be local-only (kept) or a parent of an image that stays,
      // kept with its names (removing them would free nothing).
      const kept = doc.kept.find((k) => k.id === image.Id);
      const isLocal = realTags(image).length > 0 && realDigests(image).length === 0;
      if (kept && !LOCAL_REASON.test(kept.reason)) {
        expect(kept.reason).toMatch(/ built on it and stays?: removing its names would free nothing$/);
        const all = (await engine<{ Id: string; ParentId: string }[]>('GET', '/images/json?all=1', world.daemon().host)).body;
        expect(all.some((i) => i.ParentId === image.Id)).toBe(true);
        expect(realTags(image).length).toBeGreaterThan(0);
      } else if (!kept) expect(isLocal || doc.images.some((r) => r.id === image.Id)).toBe(true);
    }
    expect(doc.kept.some((k) => LOCAL_REASON.test(k.reason))).toBe(true);
    expect(doc.reclaimedBytes).toBe(doc.estimatedBytes);
  });
});

describeE2E('docker tidy rm: the force-everything path', () => {
  const world = freshWorld();

  it('--with-containers --include-local removes all but what a running container needs', async () => {
    const host = world.daemon().host;
    const before = (await engine<{ Id: string; ParentId: string; RepoTags: string[] | null }[]>('GET', '/images/json?all=1', host)).body;
    const r = await docker(['tidy', 'rm', '-f', '--json', '--match', '.', '--with-containers', '--include-local'], world.env());
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as RmDoc;
    const left = (await engine<ApiContainer[]>('GET', '/containers/json?all=1', host)).body;
    expect(left.map((c) => [c.Names[0], c.State])).toEqual([['/web-running', 'running']]);
    expect(doc.containers.map((c) => c.name).sort()).toEqual(['beta-exited', 'by-digest', 'db-created', 'job-exited', 'mongo-notag', 'pinned-old']);
    const images = (await engine<ApiImage[]>('GET', '/images/json', host)).body;
    const seen = JSON.stringify({
      left: images.map((i) => [i.Id, i.RepoTags, i.RepoDigests]),
      before: before.map((i) => [i.Id.slice(7, 19), i.ParentId.slice(7, 19), i.RepoTags]),
      images: doc.images.map((i) => [i.id.slice(7, 19), i.action]),
      failed: doc.failed,
    });
    expect(images.map((i) => i.Id), seen).toEqual([left[0]!.ImageID]);
    expect(doc.kept.map((k) => k.reason)).toEqual([expect.stringContaining('used by running container web-running')]);
    // On the containerd store both figures are estimates of bytes on disk (README): within 5%.
    if (containerdStore) expect(withinFivePercent(doc.reclaimedBytes, doc.estimatedBytes), `${doc.reclaimedBytes} vs ${doc.estimatedBytes}`).toBe(true);
    else expect(doc.reclaimedBytes).toBe(doc.estimatedBytes);
  });
});

describeE2E('docker tidy rm: --save and the question on a terminal', () => {
  const world = freshWorld();

  it('saves local-only images first, 0600 in a 0700 directory, loadable with docker load', async () => {
    const dir = join(scratchDir('save'), 'saved');
    const id = (await engine<{ Id: string }>('GET', '/images/webapp:latest/json', world.daemon().host)).body.Id;
    const r = await docker(['tidy', 'rm', '-f', '--json', '--save', dir, 'webapp:latest'], world.env());
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as RmDoc;
    const file = `webapp_latest-${id.slice(7, 19)}.tar`;
    expect(doc.saved).toEqual([join(dir, file)]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(doc.saved[0]!).mode & 0o777).toBe(0o600);
    expect((await engine('GET', '/images/webapp:latest/json', world.daemon().host)).status).toBe(404);
    const loaded = await docker(['load', '-i', doc.saved[0]!], world.env());
    expect(loaded.code, loaded.stderr).toBe(0);
    expect((await engine<{ Id: string }>('GET', '/images/webapp:latest/json', world.daemon().host)).body.Id).toBe(id);
    expect(readdirSync(dir)).toEqual([file]);
  });

  it.each([
    ['n', 0, true],
    ['y', 0, false],
  ])('asks on a terminal; answering %s', async (answer, code, stays) => {
    // `script` gives docker tidy a terminal; the answer is typed on it.
    const r = await run('script', ['-qec', `docker tidy rm alpine:3.19`, '/dev/null'], world.env(), { input: `${answer}\n` });
    expect(r.code).toBe(code);
    expect(r.stdout).toContain('Are you sure you want to continue? [y/N]');
    const status = (await engine('GET', '/images/alpine:3.19/json', world.daemon().host)).status;
    expect(status).toBe(stays ? 200 : 404);
  });

  it('reports an image docker refuses after the plan (a container created meanwhile) and removes the rest', async () => {
    const host = world.daemon().host;
    // Plan on a terminal; while the question waits, a container starts using one of the images.
    const child = spawn('script', ['-qec', `docker tidy rm busybox:latest postgres:13-beta2`, '/dev/null'], { env: world.env() });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let i = 0; i < 200 && !out.includes('[y/N]'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('[y/N]');
    const created = await engine('POST', '/containers/create?name=late-comer', host, { Image: 'postgres:13-beta2', Cmd: ['sh'] });
    expect(created.status).toBe(201);
    child.stdin.write('y\n');
    expect(await exited).toBe(1);
    expect(out).toMatch(/failed to remove image postgres:13-beta2 \([0-9a-f]{12}\): .*(must force|is using|being used)/);
    expect((await engine('GET', '/images/postgres:13-beta2/json', host)).status).toBe(200);
    expect((await engine('GET', '/images/busybox:latest/json', host)).status).toBe(404);
  });

  it('one image refused does not stop the others built on the same parent', async () => {
    const host = world.daemon().host;
    const legacy = { ...world.env(), DOCKER_BUILDKIT: '0' };
    for (const n of [1, 2, 3]) {
      const built = await run('docker', ['build', '-q', '-t', `sibling/s${n}:1`, '-'], legacy, { input: `FROM busybox:latest\nLABEL sibling=${n}\n` });
      expect(built.code, built.stderr).toBe(0);
    }
    const child = spawn('script', ['-qec', `docker tidy rm --include-local --match '^sibling/'`, '/dev/null'], { env: world.env() });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let i = 0; i < 200 && !out.includes('[y/N]'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('[y/N]');
    // The first to go (siblings go one after another, in the plan's order) gets a container meanwhile.
    const first = out.match(/^(sibling\/s\d:1)\s/m)![1]!;
    expect((await engine('POST', '/containers/create?name=sibling-user', host, { Image: first, Cmd: ['sh'] })).status).toBe(201);
    child.stdin.write('y\n');
    expect(await exited, out).toBe(1);
    expect(out).toMatch(new RegExp(`failed to remove image ${first.replace('/', '\\/')} \\([0-9a-f]{12}\\): .*(must force|is using|being used)`));
    expect(out).not.toContain('not removed: not removed:');
    for (const n of [1, 2, 3]) {
      const ref = `sibling/s${n}:1`;
      expect((await engine('GET', `/images/${ref}/json`, host)).status, `${ref}\n${out}`).toBe(ref === first ? 200 : 404);
    }
  });

  it('reports an image another process removed first as already gone, not as a failure', async () => {
    const host = world.daemon().host;
    const removed = spawn('script', ['-qec', `docker tidy rm postgres:13 --with-containers`, '/dev/null'], { env: world.env() });
    let out = '';
    removed.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => removed.on('close', resolve));
    for (let i = 0; i < 200 && !out.includes('[y/N]'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('[y/N]');
    // Meanwhile someone else removes the container and the image.
    expect((await engine('DELETE', '/containers/db-created', host)).status).toBe(204);
    expect((await engine('DELETE', '/images/postgres:13', host)).status).toBe(200);
    removed.stdin.write('y\n');
    expect(await exited).toBe(0);
    expect(out).toMatch(/already gone: postgres:13 \([0-9a-f]{12}\)/);
  });
});
