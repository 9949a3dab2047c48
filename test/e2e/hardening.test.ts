// The defect classes an outside test found (issue 12), each on the shapes real hosts have and the
// fixture world lacked: an intermediate image a container was made from, an image loaded without
// history, digests in several repositories, a parent whose child stays, BuildKit images and their
// cache, bad input and interrupted runs. Every test checks the daemon's own state afterwards
// (its lists and its layer total), not docker tidy's own output alone.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, expect, it } from 'vitest';
import { containerdStore, dataRootBytes, describeE2E, docker, engine, freshWorld, run, type Ran, scratchDir, watchImageDeletions } from './harness.js';

interface ApiImage {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
}
interface ApiDf {
  LayersSize: number;
  Images: ApiImage[];
  BuildCache: { ID: string; Size: number; Shared: boolean }[] | null;
}
interface RmDoc {
  dryRun: boolean;
  images: { id: string; tags: string[]; action: string; bytes: number }[];
  kept: { id: string; tags: string[]; reason: string }[];
  failed: { id: string; error: string }[];
  estimatedBytes: number;
  reclaimedBytes: number;
  cachedBytes: number;
  exact: boolean;
  left?: string[];
  finishCommand?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
// Engine 20.10 lists "<none>:<none>"; the containerd store lists an image pulled by digest under
// RepoTags as "repo@sha256:...".
const realTags = (i: ApiImage): string[] => (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>' && !t.includes('@'));
const realDigests = (i: ApiImage): string[] => [
  ...new Set([...(i.RepoDigests ?? []).filter((d) => d !== '<none>@<none>'), ...(i.RepoTags ?? []).filter((t) => t.includes('@'))]),
];
// docker tidy's own flags on the containerd store, where every tagged image may be the only copy.
const PULLED = containerdStore ? ['--include-local'] : [];

describeE2E('hardening: the shapes of real hosts', () => {
  const world = freshWorld();
  const host = (): string => world.daemon().host;
  const env = (): NodeJS.ProcessEnv => world.env();
  const registry = (): string => world.daemon().registry;
  // Sorted: the daemon lists images made in the same second in no fixed order.
  const all = async (): Promise<ApiImage[]> => (await engine<ApiImage[]>('GET', '/images/json?all=1', host())).body.sort((a, b) => (a.Id < b.Id ? -1 : 1));
  const df = async (): Promise<ApiDf> => (await engine<ApiDf>('GET', '/v1.41/system/df', host())).body;
  const ok = async (args: string[], client = 'docker'): Promise<Ran> => {
    const r = await docker(args, env(), client);
    expect(r.code, `docker ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  const tidy = async (args: string[]): Promise<RmDoc> => {
    const r = await docker(['tidy', ...args, '--json'], env());
    expect(r.code, `docker tidy ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as RmDoc;
  };
  const exists = async (id: string): Promise<boolean> => (await engine('GET', `/images/${id}/json`, host())).status === 200;
  /**
   * The daemon's layer total fell by what the estimate said (classic store). On the containerd
   * store the estimate is marked as one and its bytes are not the daemon's (issue 14): there the
   * total must fall when something is said to be freed.
   */
  const expectFreed = (before: number, after: number, estimate: number): void => {
    if (containerdStore) expect(before - after > 0).toBe(estimate > 0);
    else expect(before - after).toBe(estimate);
  };
  const work = scratchDir('hardening');

  /** A Dockerfile in its own directory. */
  const context = (name: string, dockerfile: string): string => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    return dir;
  };
  const legacyBuild = async (tag: string, dockerfile: string): Promise<void> => {
    const r = await run('docker', ['build', '--network', 'none', '-q', '-t', tag, context(tag.replace(/\W/g, '_'), dockerfile)], { ...env(), DOCKER_BUILDKIT: '0' });
    expect(r.code, r.stderr).toBe(0);
  };
  /** A new image of `bytes` random bytes, imported from a tar (no parent, no history to speak of). */
  const importImage = async (tag: string, bytes: number): Promise<void> => {
    const root = join(work, `root-${tag.replace(/\W/g, '_')}`);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'data'), createHash('sha256').update(tag).digest().toString('hex').repeat(Math.ceil(bytes / 64)).slice(0, bytes));
    expect((await run('tar', ['-C', root, '-cf', `${root}.tar`, '.'], process.env)).code).toBe(0);
    await ok(['import', `${root}.tar`, tag]);
  };
  const idOf = async (ref: string): Promise<string> => (await engine<{ Id: string }>('GET', `/images/${ref}/json`, host())).body.Id;

  beforeAll(async () => {
    // A legacy build whose intermediate image a container was made from, by ID.
    await legacyBuild('chain:1', 'FROM busybox:latest\nRUN head -c 110000 /dev/urandom > /a\nENV X=1\nRUN head -c 120000 /dev/urandom > /b\nRUN head -c 130000 /dev/urandom > /c\n');
    // A parent and a child, both unused, built here.
    await legacyBuild('kp-parent:1', 'FROM busybox:latest\nRUN head -c 300000 /dev/urandom > /p\n');
    await legacyBuild('kp-child:1', 'FROM kp-parent:1\nRUN head -c 200000 /dev/urandom > /c\n');
  }, 600_000);

  it('bad input changes nothing: pflag booleans, dot notation, empty patterns, huge counts, bad zones (exit 125)', async () => {
    const before = await all();
    const layers = (await df()).LayersSize;
    for (const args of [
      ['--match', '^postgres:13-beta2', '--dry-run=yes', '-f'],
      ['--match', '^postgres:13-beta2', '--dry-run=on', '-f'],
      ['--match', '^postgres:13-beta2', '-f=yes'],
      ['--match.x', '^postgres', '-f'],
      ['--dry-run.x', '--match', '^postgres', '-f'],
      ['--save.dir', '/tmp/x', '--match', '^postgres', '-f'],
      ['--match', '', '-f'],
      ['--exclude', '', '--dangling', '-f'],
      ['--keep-last', '100000000000000000000000', '--dangling', '-f'],
      ['--older-than', '2020-01-01T00:00:00+15:00', '-f'],
    ]) {
      const r = await docker(['tidy', 'rm', ...args], env());
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(125);
      expect(r.stdout).toBe('');
    }
    // A true boolean in any of pflag's spellings is a dry run: nothing goes.
    for (const word of ['1', 't', 'T', 'TRUE', 'true', 'True']) {
      const r = await docker(['tidy', 'rm', '--match', '^postgres:13-beta2', ...PULLED, '-f', `--dry-run=${word}`, '--json'], env());
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as RmDoc).dryRun).toBe(true);
    }
    // --match -x is the pattern "-x" (it matches nothing here), not the flag -x.
    const dash = await docker(['tidy', 'rm', '--match', '-x', '-f'], env());
    expect(dash).toMatchObject({ code: 0, stdout: 'Nothing to remove.\n' });
    expect(await all()).toEqual(before);
    expect((await df()).LayersSize).toBe(layers);
  });

  it('the same in any locale: LC_ALL=de_DE.UTF-8 gives the same usage errors', async () => {
    const r = await run('docker', ['tidy', 'rm', '--bogus'], { ...env(), LC_ALL: 'de_DE.UTF-8', LANG: 'de_DE.UTF-8', LANGUAGE: 'de' });
    expect(r.code).toBe(125);
    expect(r.stderr).toBe("unknown flag: --bogus\nSee 'docker tidy rm --help'.\n");
  });

  it('a catastrophic pattern on a long tag answers at once (linear-time patterns)', async () => {
    await ok(['tag', 'busybox:latest', `longtag:${'a'.repeat(120)}`]);
    const r = await docker(['tidy', 'images', '--match', '^(a|aa|aaa)+(a+)+b$', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).images).toEqual([]);
    await ok(['rmi', `longtag:${'a'.repeat(120)}`]);
  });

  it('library/x and docker.io/library/x name x, as docker resolves them', async () => {
    const doc = await tidy(['rm', 'library/postgres:13-beta2', 'docker.io/library/alpine:3.19', '--dry-run', ...PULLED]);
    const tags = [...doc.images, ...doc.kept].flatMap((r) => r.tags).sort();
    expect(tags).toEqual(['alpine:3.19', 'postgres:13-beta2']);
  });

  it('an intermediate image a container was made from is in use, with every layer it holds', async () => {
    const chainId = await idOf('chain:1');
    const images = await all();
    const parentOf = (id: string): string => images.find((i) => i.Id === id)!.ParentId;
    // chain:1 <- RUN c <- RUN b (the one the container uses) ...
    const middle = parentOf(parentOf(chainId));
    expect(realTags(images.find((i) => i.Id === middle)!)).toEqual([]);
    // What removing chain:1 frees while nothing uses the images under it: its three steps.
    const alone = await tidy(['rm', 'chain:1', '--dry-run', '--include-local']);
    await ok(['create', '--network', 'none', '--name', 'from-middle', middle.slice(7, 19), 'sh']);

    // df counts it in use; docker's own list (all=0) does not even show it.
    const usage = JSON.parse((await ok(['tidy', 'df', '--json'])).stdout) as { images: { total: number; active: number } };
    const containers = (await engine<{ ImageID: string }[]>('GET', '/containers/json?all=1', host())).body;
    expect(usage.images.active).toBe(new Set(containers.map((c) => c.ImageID)).size);
    const listed = (await engine<ApiImage[]>('GET', '/images/json', host())).body;
    expect(listed.some((i) => i.Id === middle)).toBe(false);
    expect(usage.images.total).toBe(listed.length + 1);

    // rm finds it by ID, and keeps it: an image is built on it.
    const byId = await tidy(['rm', middle.slice(7, 19), '--dry-run', '--include-local', '--with-containers']);
    expect(byId.images).toEqual([]);
    expect(byId.kept.map((k) => k.id)).toEqual([middle]);

    // Removing chain:1 now frees only what the container does not hold, and the estimate says so.
    const before = (await df()).LayersSize;
    const doc = await tidy(['rm', 'chain:1', '-f', '--include-local']);
    expect(doc.images.map((r) => [r.id, r.action])).toEqual([[chainId, 'delete']]);
    expect(doc.estimatedBytes).toBeLessThan(alone.estimatedBytes);
    expect(await exists(middle)).toBe(true);
    if (!containerdStore) {
      // Its RUN c and RUN b steps; RUN a (under the ENV step the container uses) stays.
      expect(alone.estimatedBytes).toBe(360_000);
      expect(doc.estimatedBytes).toBe(250_000);
      expect(doc.reclaimedBytes).toBe(doc.estimatedBytes);
      expect(before - (await df()).LayersSize).toBe(doc.estimatedBytes);
    }
    await ok(['rm', 'from-middle']);
  });

  it('a parent whose child stays is only untagged, frees 0 bytes, and is planned and reported so', async () => {
    const parent = await idOf('kp-parent:1');
    const before = (await df()).LayersSize;
    const doc = await tidy(['rm', 'kp-parent:1', '-f', '--include-local']);
    expect(doc.images.map((r) => [r.id, r.action, r.bytes])).toEqual([[parent, 'untag', 0]]);
    expect(doc.estimatedBytes).toBe(0);
    expect(doc.reclaimedBytes).toBe(0);
    expect(await exists(parent)).toBe(true);
    expect((await df()).LayersSize).toBe(before);
    // The child goes with the nameless parent under it: both layers, in one estimate.
    const child = await tidy(['rm', 'kp-child:1', '-f', '--include-local']);
    expect(child.images.map((r) => r.action)).toEqual(['delete']);
    expect(await exists(parent)).toBe(false);
    expectFreed(before, (await df()).LayersSize, child.estimatedBytes);
    if (!containerdStore) expect(child.estimatedBytes).toBe(500_000);
  });

  it('--keep-under goes past images that would only be untagged, until the limit is reached', async () => {
    await legacyBuild('ku-parent:1', 'FROM busybox:latest\nRUN head -c 300000 /dev/urandom > /p\n');
    await sleep(1100);
    await legacyBuild('ku-child:1', 'FROM ku-parent:1\nRUN head -c 200000 /dev/urandom > /c\n');
    // The images' total as docker tidy counts it: the daemon's on the classic store; on the
    // containerd store with the compressed blobs (there each image frees about twice its layer).
    const total = containerdStore ? (JSON.parse((await ok(['tidy', 'df', '--json'])).stdout) as { images: { sizeBytes: number } }).images.sizeBytes : (await df()).LayersSize;
    // Only these two may go (--exclude keeps the rest), and both must for the limit.
    const r = await docker(
      ['tidy', 'prune', '--images', '-a', '--include-local', '--exclude', '^(?:[^k]|k[^u])', '--keep-under', String(total - (containerdStore ? 800_000 : 400_000)), '-f', '--json'],
      env(),
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { images: { tags: string[]; action: string; bytes: number }[]; keepUnder: { afterBytes: number; shortByBytes: number } };
    expect(doc.images.map((i) => [i.tags, i.action])).toEqual([
      [['ku-child:1'], 'delete'],
      [['ku-parent:1'], 'delete'],
    ]);
    const after = (await df()).LayersSize;
    if (!containerdStore) {
      expect(doc.keepUnder.shortByBytes).toBe(0);
      expect(total - after).toBe(500_000);
    }
  });

  it('an untagged image with digests in two repositories goes with rm --dangling and with prune', async () => {
    for (const name of ['dg-a', 'dg-b']) {
      await importImage(`${name}:src`, 40_000);
      for (const repo of ['one', 'two']) {
        await ok(['tag', `${name}:src`, `${registry()}/${repo}/${name}:1`]);
        await ok(['push', '-q', `${registry()}/${repo}/${name}:1`]);
      }
      const digest = realDigests((await all()).find((i) => realTags(i).includes(`${name}:src`))!)[0]!.split('@')[1]!;
      await ok(['rmi', `${name}:src`, `${registry()}/one/${name}:1`, `${registry()}/two/${name}:1`]);
      for (const repo of ['one', 'two']) await ok(['pull', '-q', `${registry()}/${repo}/${name}@${digest}`]);
    }
    const dangling = (await all()).filter((i) => realTags(i).length === 0 && realDigests(i).some((d) => d.includes('/dg-')));
    expect(dangling).toHaveLength(2);
    for (const image of dangling) expect(new Set(realDigests(image).map((d) => d.split('@')[0]!.split('/')[1])).size).toBe(2);

    const rm = await tidy(['rm', '--match', '/dg-a:<none>', '-f']);
    expect(rm.failed).toEqual([]);
    expect(rm.images.map((r) => r.action)).toEqual(['delete']);
    const pruned = JSON.parse((await ok(['tidy', 'prune', '--images', '-f', '--json'])).stdout) as { images: { id: string }[]; failed: unknown[] };
    expect(pruned.failed).toEqual([]);
    for (const image of dangling) expect(await exists(image.Id)).toBe(false);
  });

  it('an image kept alive by a digest of another repository is really deleted when its last tag goes', async () => {
    await importImage('dk:src', 30_000);
    await ok(['tag', 'dk:src', `${registry()}/one/dk:1`]);
    await ok(['push', '-q', `${registry()}/one/dk:1`]);
    await ok(['tag', 'dk:src', `${registry()}/two/dk:1`]);
    await ok(['push', '-q', `${registry()}/two/dk:1`]);
    const id = await idOf('dk:src');
    // The same manifest went to both repositories: its digest names it in either.
    const digest = `${registry()}/two/dk@${realDigests((await all()).find((i) => i.Id === id)!)[0]!.split('@')[1]}`;
    // Its tag in two/dk goes (and the digest of two/dk with it); pulled again by digest, it is back.
    await ok(['rmi', 'dk:src', `${registry()}/two/dk:1`]);
    await ok(['pull', '-q', digest]);
    // Now: one tag (one/dk:1) and the digest of two/dk, which alone would keep the image.
    expect(realDigests((await all()).find((i) => i.Id === id)!)).toContain(digest);
    const before = (await df()).LayersSize;
    const doc = await tidy(['rm', `${registry()}/one/dk:1`, '-f', ...PULLED]);
    expect(doc.images.map((r) => [r.id, r.action])).toEqual([[id, 'delete']]);
    expect(await exists(id)).toBe(false);
    expectFreed(before, (await df()).LayersSize, doc.estimatedBytes);
  });

  it('--keep-last counts an image pulled by digest only as a member of its repository', async () => {
    await importImage('kl:old', 20_000);
    await ok(['tag', 'kl:old', `${registry()}/team/kl:old`]);
    await ok(['push', '-q', `${registry()}/team/kl:old`]);
    await sleep(1100);
    await importImage('kl:new', 20_000);
    await ok(['tag', 'kl:new', `${registry()}/team/kl:new`]);
    await ok(['push', '-q', `${registry()}/team/kl:new`]);
    const newId = await idOf('kl:new');
    const digest = realDigests((await all()).find((i) => i.Id === newId)!)[0]!.split('@')[1]!;
    await ok(['rmi', 'kl:new', 'kl:old', `${registry()}/team/kl:new`]);
    await ok(['pull', '-q', `${registry()}/team/kl@${digest}`]);
    const oldId = await idOf(`${registry()}/team/kl:old`);
    const doc = await tidy(['rm', '--match', '/team/kl:', '--keep-last', '1', '-f', ...PULLED]);
    expect(doc.images.map((r) => r.id)).toEqual([oldId]);
    expect(await exists(newId)).toBe(true);
    expect(await exists(oldId)).toBe(false);
  });

  it('an image loaded without history leaves the store as it is, and its own layer takes its size', async () => {
    // busybox's own layer, then one of ours, in a docker-archive whose config has no history.
    const dir = join(work, 'nohistory');
    mkdirSync(join(dir, 'saved'), { recursive: true });
    await ok(['save', '-o', join(dir, 'busybox.tar'), 'busybox:latest']);
    execFileSync('tar', ['-C', join(dir, 'saved'), '-xf', join(dir, 'busybox.tar')]);
    const manifest = JSON.parse(readFileSync(join(dir, 'saved', 'manifest.json'), 'utf8')) as { Layers: string[] }[];
    // The containerd store saves its layers compressed (an OCI layout); the diff ID is of the tar.
    const saved = readFileSync(join(dir, 'saved', manifest[0]!.Layers[0]!));
    const baseLayer = saved[0] === 0x1f && saved[1] === 0x8b ? gunzipSync(saved) : saved;
    mkdirSync(join(dir, 'own'));
    writeFileSync(join(dir, 'own', 'own.bin'), Buffer.alloc(250_000, 7));
    execFileSync('tar', ['-C', join(dir, 'own'), '-cf', join(dir, 'own.tar'), 'own.bin']);
    const ownLayer = readFileSync(join(dir, 'own.tar'));
    const sha = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [sha(baseLayer), sha(ownLayer)] } });
    const out = join(dir, 'image');
    mkdirSync(out);
    writeFileSync(join(out, 'config.json'), config);
    writeFileSync(join(out, 'base.tar'), baseLayer);
    writeFileSync(join(out, 'own.tar'), ownLayer);
    writeFileSync(join(out, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['nohistory:1'], Layers: ['base.tar', 'own.tar'] }]));
    execFileSync('tar', ['-C', out, '-cf', join(dir, 'load.tar'), 'config.json', 'manifest.json', 'base.tar', 'own.tar']);
    await ok(['load', '-i', join(dir, 'load.tar')]);
    const id = await idOf('nohistory:1');
    // No history: [] from the classic store, null from the containerd store.
    expect((await engine<unknown[] | null>('GET', `/images/${id}/history`, host())).body ?? []).toEqual([]);

    const usage = JSON.parse((await ok(['tidy', 'df', '--json'])).stdout) as { images: { sizeBytes: number; exact: boolean } };
    // The classic store stays exact and its total is the daemon's; it is not mistaken for containerd.
    expect(usage.images.exact).toBe(!containerdStore);
    const before = (await df()).LayersSize;
    if (!containerdStore) expect(usage.images.sizeBytes).toBe(before);
    const doc = await tidy(['rm', 'nohistory:1', '-f', '--include-local']);
    expect(doc.images.map((r) => r.action)).toEqual(['delete']);
    expectFreed(before, (await df()).LayersSize, doc.estimatedBytes);
    // Only its own layer: busybox's is still held by busybox:latest.
    if (!containerdStore) expect(doc.estimatedBytes).toBe(250_000);
    expect(await exists(await idOf('busybox:latest'))).toBe(true);
  });

  it('removing a BuildKit-built image claims none of the bytes that stay in the build cache', async () => {
    const cacheBytes = (d: ApiDf): number => (d.BuildCache ?? []).filter((b) => !b.Shared).reduce((s, b) => s + b.Size, 0);
    const before = await df();
    const diskBefore = containerdStore ? await dataRootBytes(world.daemon().dir) : 0;
    const dry = await tidy(['rm', 'webapp:latest', '--dry-run', '--include-local']);
    const doc = await tidy(['rm', 'webapp:latest', '-f', '--include-local']);
    const after = await df();
    expect(doc.images.map((r) => r.action)).toEqual(['delete']);
    // What the daemon's images and its build cache hold together went down by what was claimed.
    const net = before.LayersSize + cacheBytes(before) - (after.LayersSize + cacheBytes(after));
    if (containerdStore) {
      // Bytes on disk (content and snapshots): what was claimed is no more than what the data root
      // lost (5% as everywhere on this store); the snapshots the build cache keeps are not claimed.
      const lost = diskBefore - (await dataRootBytes(world.daemon().dir));
      expect(doc.reclaimedBytes, `reclaimed ${doc.reclaimedBytes}, the disk lost ${lost}`).toBeLessThanOrEqual(lost * 1.05);
      expect(dry.cachedBytes).toBeGreaterThan(0);
    } else {
      expect(doc.reclaimedBytes).toBe(net);
      expect(dry.estimatedBytes).toBe(net);
      expect(dry.cachedBytes).toBe(before.LayersSize - after.LayersSize);
      expect(doc.cachedBytes).toBe(dry.cachedBytes);
    }
    // What stayed is what prune --build-cache then frees.
    const prune = JSON.parse((await ok(['tidy', 'prune', '--build-cache', '-f', '--json'])).stdout) as { reclaimedBytes: number };
    if (!containerdStore) expect(prune.reclaimedBytes).toBeGreaterThanOrEqual(doc.cachedBytes);
  });

  it('--save problems are found before the plan is shown, and nothing is removed', async () => {
    const before = await all();
    const missing = await docker(['tidy', 'rm', '--save', join(work, 'no', 'such', 'dir'), 'tool:dev', '-f'], env());
    expect(missing.code).toBe(125);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^--save ".*": cannot be created: .* does not exist/);
    writeFileSync(join(work, 'a-file'), 'x');
    const notDir = await docker(['tidy', 'rm', '--save', join(work, 'a-file'), 'tool:dev', '-f'], env());
    expect(notDir.code).toBe(125);
    expect(notDir.stderr).toMatch(/is not a directory/);
    expect(await all()).toEqual(before);
  });

  it('DOCKER_HOST=bogus://x says the address is invalid', async () => {
    const r = await docker(['tidy', 'df'], { ...env(), DOCKER_HOST: 'bogus://x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^invalid address for the Docker daemon \(DOCKER_HOST=bogus:\/\/x\): .*bogus:\/\/x/);
    expect(r.stderr).not.toMatch(/lost the connection/);
  });
});

describeE2E('hardening: an interrupted run is finished by the command it prints', () => {
  const world = freshWorld();
  const host = (): string => world.daemon().host;

  it('the daemon dying mid-rm: the report names what is left by ID, and its command removes exactly that', async () => {
    const dir = scratchDir('left');
    for (let n = 0; n < 40; n += 8) {
      await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const root = join(dir, String(n + i));
          mkdirSync(root);
          writeFileSync(join(root, 'data'), `left ${n + i} ${Math.random()}`.repeat(1000));
          expect((await run('tar', ['-C', root, '-cf', `${root}.tar`, '.'], process.env)).code).toBe(0);
          const r = await docker(['import', `${root}.tar`, `left-${n + i}:1`], world.env());
          expect(r.code, r.stderr).toBe(0);
          // Two names each: an image can be left with neither, but not deleted.
          expect((await docker(['tag', `left-${n + i}:1`, `left-${n + i}:2`], world.env())).code).toBe(0);
        }),
      );
    }
    const ids = (await engine<ApiImage[]>('GET', '/images/json', host())).body.filter((i) => realTags(i).some((t) => t.startsWith('left-'))).map((i) => i.Id);
    expect(ids).toHaveLength(40);
    // The daemon dies once three images are deleted: its own events say so at once (listing the
    // images to see it took longer than the whole run on a busy machine).
    const deletions = await watchImageDeletions(host());
    const finished = run('docker', ['tidy', 'rm', '--match', '^left-', '--include-local', '-f', '--json'], world.env(), { timeoutMs: 120_000 });
    let ended = false;
    void finished.then(() => (ended = true));
    while (deletions.count() < 3 && !ended) await sleep(2);
    process.kill(Number(readFileSync(join(world.daemon().dir, 'dockerd.pid'), 'utf8')), 'SIGKILL');
    deletions.close();
    const r = await finished;
    await world.daemon().restart();
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as RmDoc;
    const env = { ...world.env(), DOCKER_HOST: world.daemon().host };
    const present = async (): Promise<string[]> => {
      const list = (await engine<ApiImage[]>('GET', '/images/json?all=1', world.daemon().host)).body;
      return ids.filter((id) => list.some((i) => i.Id === id));
    };
    // Everything still there was named as left, by ID.
    expect(doc.left!.length).toBeGreaterThan(0);
    for (const id of await present()) expect(doc.left).toContain(id);
    expect(doc.finishCommand).toMatch(/^docker tidy rm -f --include-local( sha256:[0-9a-f]{64})+$/);
    const again = await run('docker', doc.finishCommand!.split(' ').slice(1), env);
    expect(again.code, again.stderr).toBe(0);
    expect(await present()).toEqual([]);
  });
});
