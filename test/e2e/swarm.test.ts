// docker tidy on every node of a Swarm: `npm run image`'s image, run by a global job with each
// node's docker socket mounted, and no docker CLI in it (FROM scratch). Two private daemons of the
// suite's engine form the Swarm on loopback addresses; the job prunes both, its documents come back
// through `docker service logs`, and each node's own daemon is the oracle for what they say.
// Both daemons share this machine's filesystem, so the socket each task mounts is named by its node
// (a service template): on real nodes the recipe mounts /var/run/docker.sock (README "Many hosts").
// Then the executable alone, with no docker on PATH: a unix socket directly, and clear errors where
// docker would be needed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { assertPrivateDaemon, startDaemon, type TestDaemon } from '../support/daemon.js';
import { describeE2E, docker, engine, freshWorld, run, scratchDir, userEnv, world } from './harness.js';

const IMAGE = `docker-tidy:${pkg.version}`;
const SERVICE = 'tidy-e2e';
const root = join(import.meta.dirname, '..', '..');

interface PruneDoc {
  schemaVersion: number;
  node: string;
  dryRun: boolean;
  containers: { id: string; name: string }[];
  images: { id: string; tags: string[]; action: string }[];
  kept: { id: string; tags: string[]; reason: string }[];
  failed: unknown[];
  keepUnder?: { limitBytes: number; shortByBytes: number };
}

interface Task {
  ID: string;
  NodeID: string;
  Status: { State: string; Err?: string };
}

/** A free loopback address for this run's Swarm: 127.X.Y.1 and .2 (its gossip port, 7946, is fixed). */
function loopbackBase(): string {
  const n = 1 + Math.floor(Math.random() * 250);
  const m = 1 + Math.floor(Math.random() * 250);
  return `127.${n}.${m}`;
}

const ok = async (args: string[], env: NodeJS.ProcessEnv): Promise<string> => {
  const r = await docker(args, env);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
};

describeE2E('a Swarm global job runs docker tidy on every node', () => {
  // Node 1: the sample world (it deletes: a daemon of its own). Node 2: a few things of its own.
  const fresh = freshWorld();
  let second: TestDaemon;
  let env1: NodeJS.ProcessEnv;
  let env2: NodeJS.ProcessEnv;
  let nodes: { env: NodeJS.ProcessEnv; host: string; id: string; name: string }[];
  let docs: Map<string, PruneDoc>;
  let tasks: Task[];
  let jobMs: number;
  let before2: string[];

  beforeAll(async () => {
    env1 = fresh.env();
    second = await startDaemon();
    env2 = userEnv({ DOCKER_HOST: second.host });
    await assertPrivateDaemon(env2);
    // The image, built against node 1 (npm run image's script), then loaded into node 2.
    execFileSync('sh', [join(root, 'scripts', 'image.sh')], { env: env1, stdio: 'pipe' });
    execFileSync('sh', ['-c', `docker save ${IMAGE} | DOCKER_HOST=${second.host} docker load -q`], { env: env1, stdio: 'pipe' });
    // Node 2: a stopped container and a dangling image (both go), a local-only image (kept).
    const tar = join(scratchDir('swarm'), 'one.tar');
    execFileSync('sh', ['-c', `mkdir -p "$1.d" && head -c 100000 /dev/urandom > "$1.d/pad" && tar -C "$1.d" -cf "$1" pad`, 'sh', tar]);
    // The dangling image is imported without a name: engine 26's containerd store deletes an
    // image whose only tag moves to another, so a moved tag would leave nothing dangling there.
    await ok(['import', '--change', 'LABEL v=1', tar], env2);
    await ok(['import', '--change', 'LABEL v=2', tar, 'node2-local:1'], env2);
    await ok(['create', '--name', 'node2-stopped', IMAGE], env2);
    before2 = (await ok(['image', 'ls', '-aq', '--no-trunc'], env2)).trim().split('\n');

    // The Swarm: node 1 the manager, node 2 a worker.
    const base = loopbackBase();
    const port = String(20000 + Math.floor(Math.random() * 20000));
    await ok(['swarm', 'init', '--listen-addr', `${base}.1:${port}`, '--advertise-addr', `${base}.1:${port}`], env1);
    const token = (await ok(['swarm', 'join-token', '-q', 'worker'], env1)).trim();
    await ok(['swarm', 'join', '--listen-addr', `${base}.2:${port}`, '--advertise-addr', `${base}.2:${port}`, '--token', token, `${base}.1:${port}`], env2);
    nodes = [];
    for (const [env, host] of [[env1, fresh.daemon().host], [env2, second.host]] as const) {
      const info = (await engine<{ Name: string; Swarm: { NodeID: string } }>('GET', '/info', host)).body;
      nodes.push({ env, host, id: info.Swarm.NodeID, name: info.Name });
    }
    // Each node's socket under its node ID, for the template below.
    const sockets = scratchDir('sockets');
    for (const n of nodes) {
      mkdirSync(join(sockets, n.id));
      symlinkSync(n.host.replace(/^unix:\/\//, ''), join(sockets, n.id, 'docker.sock'));
    }

    // The recipe's job: once on every node.
    const started = Date.now();
    await ok(
      [
        'service', 'create', '--detach', '--name', SERVICE, '--mode', 'global-job',
        '--mount', `type=bind,src=${sockets}/{{.Node.ID}}/docker.sock,dst=/var/run/docker.sock`,
        IMAGE, 'prune', '-a', '-f', '--keep-under', '1MB', '--json',
      ],
      env1,
    );
    const filters = encodeURIComponent(JSON.stringify({ service: [SERVICE] }));
    for (;;) {
      tasks = (await engine<Task[]>('GET', `/tasks?filters=${filters}`, fresh.daemon().host)).body;
      if (tasks.length === 2 && tasks.every((t) => ['complete', 'failed', 'rejected', 'shutdown'].includes(t.Status.State))) break;
      if (Date.now() - started > 90_000) throw new Error(`the job did not finish within 90 s: ${JSON.stringify(tasks)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    jobMs = Date.now() - started;
    // `docker service logs`: each line "SERVICE.0.TASKID@HOSTNAME    | LINE" (task IDs in full).
    const logs = await ok(['service', 'logs', '--no-trunc', SERVICE], env1);
    docs = new Map();
    for (const line of logs.split('\n').filter(Boolean)) {
      const m = /^\S+\.(\w+)@\S+\s+\| (.*)$/.exec(line);
      if (!m) throw new Error(`unexpected docker service logs line: ${line}`);
      const task = tasks.find((t) => t.ID === m[1]);
      if (task && m[2]!.startsWith('{')) docs.set(task.NodeID, JSON.parse(m[2]!) as PruneDoc);
    }
  }, 300_000);

  afterAll(async () => {
    // Nothing left behind: the service and its tasks, the Swarm, and the bridge Swarm made.
    for (const env of [env2, env1]) {
      if (!env) continue;
      if (env === env1) await docker(['service', 'rm', SERVICE], env);
      await docker(['swarm', 'leave', '--force'], env);
      await docker(['network', 'rm', 'docker_gwbridge'], env);
    }
    await second?.stop();
  });

  it('completes on both nodes, each printing one prune document that names its node', () => {
    console.log(`global job on 2 nodes (engine ${world.engine}): ${jobMs} ms from service create to both tasks complete`);
    expect(tasks.map((t) => [t.Status.State, t.Status.Err ?? ''])).toEqual([
      ['complete', ''],
      ['complete', ''],
    ]);
    expect([...docs.keys()].sort()).toEqual(nodes.map((n) => n.id).sort());
    for (const n of nodes) {
      const doc = docs.get(n.id)!;
      expect(doc).toMatchObject({ schemaVersion: 1, node: n.name, dryRun: false, failed: [] });
      expect(doc.keepUnder?.limitBytes).toBe(1_000_000);
    }
  });

  it('node 1: what the document says is gone is gone, and what it kept is there', async () => {
    const doc = docs.get(nodes[0]!.id)!;
    const images = (await engine<{ Id: string; RepoTags: string[] | null }[]>('GET', '/images/json?all=1', nodes[0]!.host)).body;
    const ids = new Set(images.map((i) => i.Id));
    expect(doc.images.length).toBeGreaterThan(0);
    for (const i of doc.images.filter((i) => i.action === 'delete')) expect(ids.has(i.id), `${i.tags.join(',') || i.id} deleted`).toBe(false);
    for (const k of doc.kept) expect(ids.has(k.id), `${k.tags.join(',')} kept: ${k.reason}`).toBe(true);
    // The world's images: pulled and unused went; local-only and in use stayed, and so did the
    // job's own image (its task was running it).
    const tags = images.flatMap((i) => i.RepoTags ?? []);
    expect(tags).not.toContain('postgres:13-beta2');
    expect(tags).toEqual(expect.arrayContaining(['myapp:1.1', 'tool:dev', IMAGE]));
    const containers = (await engine<{ Names: string[] }[]>('GET', '/containers/json?all=1', nodes[0]!.host)).body.flatMap((c) => c.Names);
    expect(containers).toContain('/web-running');
    for (const c of doc.containers) expect(containers).not.toContain(`/${c.name}`);
    expect(doc.containers.map((c) => c.name)).toEqual(expect.arrayContaining(['job-exited', 'beta-exited']));
  });

  it('node 2: its own stopped container and dangling image went, its local-only image stayed', async () => {
    const doc = docs.get(nodes[1]!.id)!;
    expect(doc.containers.map((c) => c.name)).toEqual(['node2-stopped']);
    const names = (await engine<{ Names: string[] }[]>('GET', '/containers/json?all=1', nodes[1]!.host)).body.flatMap((c) => c.Names);
    expect(names).not.toContain('/node2-stopped');
    const after = (await engine<{ Id: string; RepoTags: string[] | null }[]>('GET', '/images/json?all=1', nodes[1]!.host)).body;
    const gone = before2.filter((id) => !after.some((i) => i.Id === id));
    expect(gone.sort()).toEqual(doc.images.filter((i) => i.action === 'delete').map((i) => i.id).sort());
    expect(gone).toHaveLength(1);
    expect(after.flatMap((i) => i.RepoTags ?? [])).toEqual(expect.arrayContaining(['node2-local:1', IMAGE]));
    expect(doc.kept.map((k) => k.tags)).toContainEqual(['node2-local:1']);
  });
});

describeE2E('docker tidy on its own, with no docker CLI on the machine', () => {
  // Only the executable's own environment: a PATH without docker, no DOCKER_CONFIG.
  const alone = (overrides: Record<string, string>): NodeJS.ProcessEnv => {
    const dir = scratchDir('alone');
    return { PATH: dir, HOME: dir, XDG_CACHE_HOME: dir, ...overrides };
  };

  it('reaches a unix socket directly, and its document names the node', async () => {
    const r = await run(world.exe!, ['df', '--json'], alone({ DOCKER_HOST: world.host! }));
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const info = (await engine<{ Name: string }>('GET', '/info')).body;
    expect(JSON.parse(r.stdout)).toMatchObject({ schemaVersion: 1, node: info.Name });
  });

  it('says why a socket cannot be used, in docker words, without trying a docker that is not there', async () => {
    const missing = join(scratchDir('alone'), 'docker.sock');
    const r = await run(world.exe!, ['df'], alone({ DOCKER_HOST: `unix://${missing}` }));
    expect(r).toMatchObject({ code: 1, stdout: '' });
    // docker's own words (a missing socket is never tried through docker: endpoint.ts).
    expect(r.stderr).toBe(`Cannot connect to the Docker daemon at unix://${missing}. Is the docker daemon running?\n`);
  });

  it.each([
    ['DOCKER_HOST', 'ssh://tidy@127.0.0.1:9'],
    ['DOCKER_CONTEXT', 'elsewhere'],
  ])('says that %s=%s needs the docker CLI', async (name, value) => {
    const r = await run(world.exe!, ['prune', '-a', '-f', '--json'], alone({ [name]: value }));
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain(`docker binary not found: "docker", which docker tidy needs to reach the Docker daemon (${name}=${value})\n`);
  });
});
