// Is there another copy? docker tidy asks the registries, on a private daemon of the suite's engine
// with a few tiny images of its own (no world): pulled from "Docker Hub" through the daemon's
// mirror, built here under a Docker Hub name, built under the registry's name and never pushed,
// pushed and then deleted from the registry, a tag that moved on in the registry (the old digest
// still pullable), pushed to a second registry that wants a login (htpasswd), and pushed to a
// registry that is down. The registries are Debian's docker-registry; their access logs show
// what docker tidy asked.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertPrivateDaemon, startDaemon, type TestDaemon } from '../support/daemon.js';
import { containerdStore, describeE2E, docker, engine, run, scratchDir, userEnv, type Ran } from './harness.js';

// bcrypt of "tidy-secret" (cost 5, made once with Python's crypt): docker-registry's htpasswd needs bcrypt.
const HTPASSWD = 'tidy:$2b$05$XdahlPf38YOu/53.CWnspOphjSgOYDG2bn.fHoMqnbIExGbYNVU5.\n';
const SECRET = 'tidy-secret';

interface ImageDoc {
  id: string;
  tags: string[];
  localOnly: boolean;
  remoteCopy: 'verified' | 'absent' | 'unknown' | null;
}
interface RmDoc {
  images: { id: string; tags: string[]; action: string; remoteCopy: string | null; note?: string }[];
  kept: { id: string; tags: string[]; reason: string; remoteCopy: string | null }[];
  failed: unknown[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A docker-registry of our own on 127.0.0.1 (with htpasswd when `auth`), its access log in DIR/log. */
async function startRegistry(auth: boolean): Promise<{ host: string; dir: string; log: () => string; stop: () => void }> {
  const dir = scratchDir('registry');
  const port = await freePort();
  if (auth) writeFileSync(join(dir, 'htpasswd'), HTPASSWD);
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${dir}/data`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      ...(auth ? ['auth:', '  htpasswd:', '    realm: tidy-test', `    path: ${dir}/htpasswd`] : []),
      '',
    ].join('\n'),
  );
  let log = '';
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      () => true,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host: `127.0.0.1:${port}`, dir, log: () => log, stop: () => void child.kill('SIGKILL') };
}

describeE2E('is there another copy? docker tidy asks the registry', () => {
  let daemon: TestDaemon;
  let env: NodeJS.ProcessEnv;
  let R: string;
  let authRegistry: Awaited<ReturnType<typeof startRegistry>>;
  let downRegistry: Awaited<ReturnType<typeof startRegistry>>;
  /** Image IDs by the name the test gave them. */
  const ids: Record<string, string> = {};
  let movedFrom = '';

  const ok = async (args: string[], e: NodeJS.ProcessEnv = env, input?: string): Promise<Ran> => {
    const r = await run('docker', args, e, input === undefined ? {} : { input });
    expect(r.code, `docker ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  /** A new image of one small random file, imported under `ref`; its ID. */
  const make = async (ref: string): Promise<string> => {
    const dir = scratchDir('image');
    writeFileSync(join(dir, 'f'), Buffer.from(Array.from({ length: 3000 }, () => Math.floor(Math.random() * 256))));
    expect((await run('tar', ['-C', dir, '-cf', join(dir, 'x.tar'), 'f'], env)).code).toBe(0);
    return (await ok(['import', join(dir, 'x.tar'), ref])).stdout.trim();
  };
  const idOf = async (ref: string): Promise<string> => (await engine<{ Id: string }>('GET', `/images/${ref}/json`, daemon.host)).body.Id;
  const tidyJson = async <T>(args: string[], e: NodeJS.ProcessEnv = env): Promise<T> => {
    const r = await docker(['tidy', ...args, '--json'], e);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    return JSON.parse(r.stdout) as T;
  };
  const copies = (doc: { images: ImageDoc[] }): Record<string, string | null> =>
    Object.fromEntries(
      Object.entries(ids).map(([name, id]) => {
        const found = doc.images.find((i) => i.id === id);
        return [name, found ? found.remoteCopy : 'not listed'];
      }),
    );

  beforeAll(async () => {
    daemon = await startDaemon();
    env = userEnv({ DOCKER_HOST: daemon.host });
    await assertPrivateDaemon(env);
    R = daemon.registry;
    [authRegistry, downRegistry] = await Promise.all([startRegistry(true), startRegistry(false)]);
    // Pulled from "Docker Hub" through the daemon's mirror, as world.sh does.
    await make(`${R}/library/hubpulled:1`);
    await ok(['push', `${R}/library/hubpulled:1`]);
    await ok(['rmi', `${R}/library/hubpulled:1`]);
    await ok(['pull', 'hubpulled:1']);
    ids.hubpulled = await idOf('hubpulled:1');
    // Built here, under a Docker Hub name (the mirror lacks it; Docker Hub cannot be reached here).
    ids.localbuild = await make('localbuild:1');
    // Built here under the registry's name, never pushed.
    ids.never = await make(`${R}/tidy/never:1`);
    // Pushed, then deleted from the registry.
    ids.deleted = await make(`${R}/tidy/deleted:1`);
    await ok(['push', `${R}/tidy/deleted:1`]);
    const [digest] = (await ok(['image', 'inspect', '--format', '{{range .RepoDigests}}{{println .}}{{end}}', `${R}/tidy/deleted:1`])).stdout
      .split('\n')
      .filter((d) => d.startsWith(`${R}/tidy/deleted@`));
    expect((await fetch(`http://${R}/v2/tidy/deleted/manifests/${digest!.split('@')[1]}`, { method: 'DELETE' })).status).toBe(202);
    // A tag that moved on in the registry: pushed, replaced there by another image, the old one kept here under it.
    ids.moving = await make(`${R}/tidy/moving:1`);
    await ok(['push', `${R}/tidy/moving:1`]);
    movedFrom = (await ok(['image', 'inspect', '--format', '{{range .RepoDigests}}{{println .}}{{end}}', `${R}/tidy/moving:1`])).stdout.trim().split('\n')[0]!;
    // Kept by a second tag meanwhile: engine 26's containerd store deletes an image whose only tag moves.
    await ok(['tag', ids.moving, `${R}/tidy/moving:kept`]);
    const newer = await make(`${R}/tidy/moving:1`);
    await ok(['push', `${R}/tidy/moving:1`]);
    await ok(['tag', ids.moving, `${R}/tidy/moving:1`]);
    await ok(['rmi', newer, `${R}/tidy/moving:kept`]);
    // One image in two repositories, pushed under one of them only (the other is a Docker Hub name).
    ids.dual = await make('dual/local:1');
    await ok(['tag', ids.dual, `${R}/tidy/dual:1`]);
    await ok(['push', `${R}/tidy/dual:1`]);
    // Pushed to a registry that wants a login.
    ids.private = await make(`${authRegistry.host}/tidy/private:1`);
    await ok(['login', authRegistry.host, '-u', 'tidy', '--password-stdin'], env, SECRET);
    await ok(['push', `${authRegistry.host}/tidy/private:1`]);
    // Pushed to a registry that is down by now.
    ids.gone = await make(`${downRegistry.host}/tidy/gone:1`);
    await ok(['push', `${downRegistry.host}/tidy/gone:1`]);
    downRegistry.stop();
  });

  afterAll(async () => {
    authRegistry?.stop();
    downRegistry?.stop();
    await daemon?.stop();
  });

  it('no listing asks a registry unless told: remoteCopy is null, and localOnly true only where known', async () => {
    const doc = await tidyJson<{ images: ImageDoc[] }>(['unused']);
    expect(Object.values(copies(doc)).every((c) => c === null)).toBe(true);
    const local = doc.images.filter((i) => i.localOnly).map((i) => i.id).sort();
    // Classic store: no digest, never pushed or pulled. The containerd store gives every image one.
    expect(local).toEqual(containerdStore ? [] : [ids.localbuild, ids.never].sort());
    expect(authRegistry.log()).not.toMatch(/"docker-tidy"/);
  });

  it('unused --check-registry marks exactly the images the registry lacks', async () => {
    const doc = await tidyJson<{ images: ImageDoc[] }>(['unused', '--check-registry']);
    expect(copies(doc)).toEqual({
      hubpulled: 'verified',
      // The mirror does not have it and Docker Hub cannot be asked from here: unknown where the
      // digest is all there is to go by; on the classic store, no digest means never pushed or pulled.
      localbuild: containerdStore ? 'unknown' : 'absent',
      never: 'absent',
      deleted: 'absent',
      moving: 'verified',
      private: 'verified',
      gone: 'unknown',
      // The containerd store's image list gives one repository's digest; the registry has another's.
      dual: 'verified',
    });
    // What the registry said, where it is not a copy, is the image's note (the NOTE column).
    const noteOf = (name: string) => (doc.images as (ImageDoc & { note?: string })[]).find((i) => i.id === ids[name])?.note;
    expect(noteOf('deleted')).toMatch(/does not have tidy\/deleted@sha256:[0-9a-f]{12} \(manifest unknown\)/);
    expect(noteOf('gone')).toMatch(/could not be reached \(connection refused/);
    expect(noteOf('hubpulled')).toBeUndefined();
    const dual = ids.dual!;
    const pushedAs = (await ok(['image', 'inspect', '--format', '{{range .RepoDigests}}{{println .}}{{end}}', dual])).stdout
      .split('\n')
      .find((d) => d.startsWith(`${R}/tidy/dual@`))!;
    const byDigest = await docker(['tidy', 'rm', '--dry-run', pushedAs], env);
    expect(byDigest.code, byDigest.stderr).toBe(0);
    expect(byDigest.stdout).toContain(dual.slice(7, 19));
    const local = doc.images.filter((i) => i.localOnly).map((i) => i.id).sort();
    expect(local).toEqual([...(containerdStore ? [] : [ids.localbuild]), ids.never, ids.deleted].sort());
    // What docker tidy asked the registry that wants a login: HEADs of manifests, never a GET (a pull).
    const mine = authRegistry.log().split('\n').filter((l) => l.endsWith('"docker-tidy"'));
    expect(mine.some((l) => /"HEAD \/v2\/tidy\/private\/manifests\/sha256:[0-9a-f]{64} HTTP\/1.1" 200 /.test(l))).toBe(true);
    expect(mine.filter((l) => /"GET [^"]*\/manifests\//.test(l))).toEqual([]);
  });

  it('without a login, or with one from a credential helper, as docker would', async () => {
    const anonymous = userEnv({ DOCKER_HOST: daemon.host });
    expect(copies(await tidyJson<{ images: ImageDoc[] }>(['images', '--check-registry'], anonymous)).private).toBe('unknown');
    const plan = await docker(['tidy', 'rm', '--dry-run', `${authRegistry.host}/tidy/private:1`], anonymous);
    expect(plan.stdout).toContain(`the registry ${authRegistry.host} refused access (authentication required: docker login ${authRegistry.host})`);
    // docker-credential-tidytest (test/fixtures) holds the login: credsStore names it.
    const helped = userEnv({ DOCKER_HOST: daemon.host, TIDY_TEST_CREDENTIALS: `${authRegistry.host} tidy ${SECRET}` });
    const bin = scratchDir('bin');
    copyFileSync(join(import.meta.dirname, '..', 'fixtures', 'docker-credential-tidytest'), join(bin, 'docker-credential-tidytest'));
    helped.PATH = `${bin}:${helped.PATH}`;
    writeFileSync(join(helped.DOCKER_CONFIG!, 'config.json'), JSON.stringify({ credsStore: 'tidytest' }));
    expect(copies(await tidyJson<{ images: ImageDoc[] }>(['images', '--check-registry'], helped)).private).toBe('verified');
  });

  it('asks the daemon about a registry docker tidy cannot reach itself (here: through a proxy that is down)', async () => {
    // Bun's fetch sends every request through HTTP_PROXY (loopback too); the daemon does not see it.
    const cut = userEnv({ DOCKER_HOST: daemon.host, HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' });
    mkdirSync(join(cut.DOCKER_CONFIG!), { recursive: true });
    writeFileSync(join(cut.DOCKER_CONFIG!, 'config.json'), readFileSync(join(env.DOCKER_CONFIG!, 'config.json')));
    const doc = await tidyJson<{ images: ImageDoc[] }>(['unused', '--check-registry'], cut);
    expect(copies(doc)).toMatchObject({ hubpulled: 'verified', never: 'absent', deleted: 'absent', moving: 'verified', private: 'verified', gone: 'unknown' });
    const plan = await docker(['tidy', 'rm', '--dry-run', `${R}/tidy/deleted:1`], cut);
    expect(plan.stdout).toContain(`the registry ${R} (asked through the Docker daemon) does not have tidy/deleted@sha256:`);
  });

  it('rm removes what a registry has, keeps what it lacks as local-only, and what it could not ask about as the store says', async () => {
    const names = [`${R}/tidy/`, `${authRegistry.host}/`, `${downRegistry.host}/`, 'hubpulled', 'localbuild', 'dual/'].map((n) => `^${n.replace(/\./g, '\\.')}`);
    const doc = await tidyJson<RmDoc>(['rm', '-f', ...names.flatMap((n) => ['--match', n])]);
    expect(doc.failed).toEqual([]);
    const removed = doc.images.map((i) => i.id).sort();
    const keptWhy = Object.fromEntries(doc.kept.map((k) => [Object.entries(ids).find(([, id]) => id === k.id)![0], k.reason]));
    expect(removed).toEqual([ids.hubpulled, ids.moving, ids.private, ids.dual, ...(containerdStore ? [] : [ids.gone])].sort());
    expect(keptWhy.never).toMatch(containerdStore ? /^exists only on this host: the registry .* does not have tidy\/never@/ : /^exists only on this host \(never pushed or pulled\)/);
    expect(keptWhy.deleted).toMatch(/^exists only on this host: the registry .* does not have tidy\/deleted@sha256:[0-9a-f]{12} \(manifest unknown\); --save DIR or --include-local to remove it$/);
    if (containerdStore) {
      expect(keptWhy.localbuild).toMatch(/^may exist only on this host: no answer for library\/localbuild@sha256:[0-9a-f]{12}: /);
      expect(keptWhy.gone).toMatch(/^may exist only on this host: no answer for tidy\/gone@.*could not be reached \(connection refused/);
    } else {
      expect(keptWhy.localbuild).toMatch(/^exists only on this host \(never pushed or pulled\)/);
      // The classic store's digest still counts as a copy, and the plan says it was not verified.
      expect(doc.images.find((i) => i.id === ids.gone)).toMatchObject({ remoteCopy: 'unknown', note: expect.stringMatching(/could not be reached \(connection refused/) });
    }
    // The daemon's own state: what was kept is there, what was removed is gone.
    const left = new Set((await engine<{ Id: string }[]>('GET', '/images/json', daemon.host)).body.map((i) => i.Id));
    for (const id of removed) expect(left.has(id)).toBe(false);
    for (const k of doc.kept) expect(left.has(k.id)).toBe(true);
    // The moved tag's image was not lost: its digest still pulls.
    await ok(['pull', movedFrom]);
    expect(await idOf(movedFrom)).toBe(ids.moving);
  });
});
