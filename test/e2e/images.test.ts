// `docker tidy images` and `docker tidy unused` on the fixture world, checked against what the
// daemon itself says (its Engine API, read by the test).
import { beforeAll, expect, it } from 'vitest';
import { CLIENTS, containerdStore, describeE2E, docker, engine, userEnv, withinFivePercent, world } from './harness.js';

interface ApiImage {
  Id: string;
  RepoTags: string[] | null;
  Size: number;
  Created: number;
}
interface ApiContainer {
  Names: string[];
  ImageID: string;
}
interface ImageDoc {
  id: string;
  tags: string[];
  digests: string[];
  sizeBytes: number;
  uniqueBytes: number;
  sharedBytes: number;
  containers: string[];
  dangling: boolean;
  unused: boolean;
  localOnly: boolean;
  exact: boolean;
  note?: string;
}

describeE2E('docker tidy images and unused', () => {
  let apiImages: ApiImage[];
  let apiContainers: ApiContainer[];
  let unused: { images: ImageDoc[]; reclaimableBytes: number };
  let listed: { images: ImageDoc[] };
  const env = userEnv();
  const idOf = (tag: string): string => apiImages.find((i) => i.RepoTags?.includes(tag))!.Id;

  beforeAll(async () => {
    apiImages = (await engine<ApiImage[]>('GET', '/images/json')).body;
    apiContainers = (await engine<ApiContainer[]>('GET', '/containers/json?all=1')).body;
    const [u, l] = await Promise.all([docker(['tidy', 'unused', '--json'], env), docker(['tidy', 'images', '--json'], env)]);
    expect(u.code, u.stderr).toBe(0);
    expect(l.code, l.stderr).toBe(0);
    unused = JSON.parse(u.stdout);
    listed = JSON.parse(l.stdout);
  });

  it('lists exactly the images no container uses, by image ID', () => {
    const used = new Set(apiContainers.map((c) => c.ImageID));
    const expected = apiImages.map((i) => i.Id).filter((id) => !used.has(id));
    expect(unused.images.map((i) => i.id).sort()).toEqual(expected.sort());
    expect(unused.images.length).toBeGreaterThan(3);
  });

  it('counts a container created from a name without a tag as using name:latest', () => {
    expect(unused.images.map((i) => i.id)).not.toContain(idOf('mongo:latest'));
    expect(listed.images.find((i) => i.id === idOf('mongo:latest'))!.containers).toEqual(['mongo-notag']);
  });

  it('keeps the old, now untagged image of a container whose tag moved on in use', async () => {
    const pinned = (await engine<{ Image: string }>('GET', '/containers/pinned-old/json')).body.Image;
    expect(pinned).not.toBe(idOf('moving:tag'));
    const old = listed.images.find((i) => i.id === pinned)!;
    expect(old).toMatchObject({ dangling: true, unused: false, containers: ['pinned-old'] });
    expect(unused.images.map((i) => i.id)).toContain(idOf('moving:tag'));
  });

  it('handles registry host:port names and containers created from name@digest', async () => {
    const teamApp = `${world.registry}/team/app:1`;
    const doc = listed.images.find((i) => i.tags.includes(teamApp))!;
    // Pushed, so not local-only; on the containerd store that is known only by asking the registry (README).
    expect(doc).toMatchObject({ unused: false, containers: ['by-digest'], localOnly: false, remoteCopy: null });
    const table = await docker(['tidy', 'images', '--match', `^${world.registry!.replace(/\./g, '\\.')}/team/`], env);
    expect(table.stdout).toMatch(new RegExp(`\\n${world.registry!.replace(/\./g, '\\.')}/team/app\\s+1\\s+[0-9a-f]{12}\\s`));
  });

  it('shows an unused base image whose children are in use as freeing 0 bytes, and says why', async () => {
    const alpine = unused.images.find((i) => i.tags.includes('alpine:3.19'))!;
    if (containerdStore) {
      // There its own bytes are its compressed content; every unpacked layer is shared.
      expect(alpine.sharedBytes).toBeGreaterThan(0);
      expect(alpine.uniqueBytes).toBeLessThan(alpine.sizeBytes);
      expect(alpine.exact).toBe(false);
      return;
    }
    expect(alpine.uniqueBytes).toBe(0);
    expect(alpine.note).toMatch(/^frees 0 bytes alone: its layers are part of images in use: .*myapp:1\.1/);
    const table = await docker(['tidy', 'unused'], env);
    expect(table.stdout).toMatch(/\nalpine\s+3\.19\s.*unused\s+frees 0 bytes alone/);
  });

  it('ends the unused table with the count and the exact reclaimable bytes', async () => {
    const [table, df] = await Promise.all([docker(['tidy', 'unused'], env), docker(['tidy', 'df', '--json'], env)]);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(
      containerdStore
        ? new RegExp(`^${unused.images.length} unused images, about [\\d.]+[kMG]?B reclaimable \\(an estimate: .*\\)$`)
        : new RegExp(`^${unused.images.length} unused images, [\\d.]+[kMG]?B reclaimable$`),
    );
    expect(unused.reclaimableBytes).toBe(JSON.parse(df.stdout).images.reclaimableBytes);
  });

  it('narrows unused to dangling images with --dangling', async () => {
    const r = await docker(['tidy', 'unused', '--dangling', '--json'], env);
    const doc = JSON.parse(r.stdout);
    expect(doc.images.length).toBeGreaterThan(0);
    expect(doc.images.every((i: ImageDoc) => i.dangling && i.unused)).toBe(true);
    const sum = await docker(['tidy', 'unused', '--dangling', '-q'], env);
    expect(sum.stdout.trim().split('\n').sort()).toEqual(doc.images.map((i: ImageDoc) => i.id).sort());
  });

  it('sorts by size, largest first, with sizes equal to the daemon\'s (containerd store: on disk, within 5%)', () => {
    const sizes = listed.images.map((i) => i.sizeBytes);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    for (const api of apiImages) {
      const size = listed.images.find((i) => i.id === api.Id)!.sizeBytes;
      if (containerdStore) expect(withinFivePercent(size, api.Size), `${api.Id}: ${size} vs the daemon's ${api.Size}`).toBe(true);
      else expect(size).toBe(api.Size);
    }
    expect(listed.images).toHaveLength(apiImages.length);
  });

  it.each(CLIENTS)('prints one row per reference, dangling as <none> <none> (%s)', async (client) => {
    const r = await docker(['tidy', 'ls', '--sort', 'name'], env, client);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+UNIQUE\s+CONTAINERS\s+FLAGS$/);
    const refs = apiImages.flatMap((i) => (i.RepoTags?.length ? i.RepoTags : ['<none>:<none>']));
    expect(lines).toHaveLength(refs.length + 1);
    const stable = lines.find((l) => /^myapp\s+stable\s/.test(l))!;
    const one = lines.find((l) => /^myapp\s+1\.0\s/.test(l))!;
    expect(stable.split(/\s+/)[2]).toBe(one.split(/\s+/)[2]);
    expect(lines.filter((l) => /^<none>\s+<none>\s/.test(l)).length).toBeGreaterThan(0);
  });

  it('prints each full ID once with -q, and filters by regex, size and age', async () => {
    const q = await docker(['tidy', 'images', '-q', '--match', '^myapp:'], env);
    expect(q.stdout).toBe(`${idOf('myapp:1.1')}\n${idOf('myapp:1.0')}\n`);
    const betas = await docker(['tidy', 'images', '-q', '--match', '^postgres:13-beta', '--sort', 'name'], env);
    expect(betas.stdout).toBe(`${idOf('postgres:13-beta1')}\n${idOf('postgres:13-beta2')}\n`);
    const big = JSON.parse((await docker(['tidy', 'images', '--json', '--larger-than', '4.4MB', '--exclude', 'mongo'], env)).stdout);
    // Sizes as the daemon lists them (the containerd store counts compressed content too).
    const expected = (await engine<{ RepoTags: string[] | null; Size: number }[]>('GET', '/images/json')).body
      .filter((i) => i.Size > 4_400_000 && !(i.RepoTags ?? []).some((t) => t.includes('mongo')))
      .map((i) => (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>')[0]);
    expect(big.images.map((i: ImageDoc) => i.tags[0]).sort()).toEqual(expected.sort());
    if (!containerdStore) expect(expected.sort()).toEqual(['postgres:13', 'postgres:13-beta2']);
    const none = JSON.parse((await docker(['tidy', 'images', '--json', '--older-than', '2000-01-01'], env)).stdout);
    expect(none.images).toEqual([]);
    const all = JSON.parse((await docker(['tidy', 'images', '--json', '--newer-than', '2000-01-01', '--limit', '3'], env)).stdout);
    expect(all.images).toHaveLength(3);
  });

  it.each([
    [['--match', '['], 'invalid argument "[" for "--match" flag: missing closing ]: `[`'],
    [['--larger-than', '5XB'], 'invalid argument "5XB" for "--larger-than" flag'],
    [['--older-than', '-3h'], 'invalid argument "-3h" for "--older-than" flag: durations and times cannot be negative'],
    [['--sort', 'colour'], 'invalid argument "colour" for "--sort" flag: use one of size, unique, created, name'],
    [['--limit', '-1'], 'invalid argument "-1" for "--limit" flag'],
  ])('rejects %j with exit 125', async (args, message) => {
    const r = await docker(['tidy', 'images', ...args], env);
    expect(r.code).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });
});
