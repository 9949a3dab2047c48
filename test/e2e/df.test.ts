// `docker tidy df` against the daemon's own figures, read by the test from the Engine API.
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { CLIENTS, containerdStore, describeE2E, docker, engine, run, userEnv, withinFivePercent, world } from './harness.js';

interface DaemonDf {
  LayersSize: number;
  Images: { Id: string; Containers: number }[];
  Containers: { Id: string; State: string; SizeRw?: number; ImageID: string }[];
  Volumes: { Name: string; UsageData: { Size: number; RefCount: number } | null }[];
  BuildCache: { ID: string; Size: number; InUse: boolean; Shared: boolean }[] | null;
}

describeE2E('docker tidy df', () => {
  it('matches the daemon: layer bytes, containers, volumes and build cache', async () => {
    // One after the other: BuildKit reports a record in use while another disk-usage run measures it.
    const daemon = await engine<DaemonDf>('GET', '/system/df');
    const tidy = await docker(['tidy', 'df', '--json'], userEnv());
    expect(tidy.code, tidy.stderr).toBe(0);
    const doc = JSON.parse(tidy.stdout);
    const df = daemon.body;
    const usedImages = new Set(df.Containers.map((c) => c.ImageID));
    expect(doc.schemaVersion).toBe(1);
    expect(doc.images).toMatchObject({
      total: df.Images.length,
      active: df.Images.filter((i) => usedImages.has(i.Id)).length,
      // On the containerd store what removing images frees is an estimate, and says so.
      exact: !containerdStore,
    });
    if (containerdStore) {
      // There SIZE is the images' content and snapshots, each once: what containerd's content
      // store and snapshots take on disk, less BuildKit's own snapshots and the containers'.
      const store = join(world.dir!, 'data', 'containerd', 'daemon');
      const du = await run('du', ['-sxcB1', join(store, 'io.containerd.content.v1.content'), join(store, 'io.containerd.snapshotter.v1.overlayfs')], process.env);
      const onDisk = Number(du.stdout.trim().split('\n').at(-1)!.split('\t')[0]);
      expect(doc.images.sizeBytes).toBeLessThanOrEqual(onDisk);
      expect(withinFivePercent(doc.images.sizeBytes, onDisk), `SIZE ${doc.images.sizeBytes}, on disk ${onDisk}`).toBe(true);
    } else {
      expect(doc.images.sizeBytes).toBe(df.LayersSize);
    }
    expect(doc.images.reclaimableBytes).toBeGreaterThan(0);
    expect(doc.images.reclaimableBytes).toBeLessThan(doc.images.sizeBytes);
    expect(doc.containers).toMatchObject({
      total: df.Containers.length,
      active: df.Containers.filter((c) => c.State === 'running').length,
      sizeBytes: df.Containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0),
    });
    const volumes = df.Volumes.map((v) => v.UsageData!);
    expect(doc.volumes).toMatchObject({
      total: df.Volumes.length,
      active: volumes.filter((u) => u.RefCount > 0).length,
      sizeBytes: volumes.reduce((s, u) => s + u.Size, 0),
      reclaimableBytes: volumes.filter((u) => u.RefCount === 0).reduce((s, u) => s + u.Size, 0),
    });
    expect(doc.volumes.reclaimableBytes).toBeGreaterThan(0);
    const cache = (df.BuildCache ?? []).filter((b) => !b.Shared);
    expect(cache.length).toBeGreaterThan(0);
    const unshared = cache.reduce((s, b) => s + b.Size, 0);
    if (!containerdStore) {
      expect(doc.buildCache).toMatchObject({
        total: (df.BuildCache ?? []).length,
        sizeBytes: unshared,
        reclaimableBytes: cache.filter((b) => !b.InUse).reduce((s, b) => s + b.Size, 0),
      });
    } else {
      // The daemon calls every BuildKit record shared there; BuildKit's own snapshots of webapp's
      // two steps (200 kB and 300 kB of random bytes) are the cache's alone (the disk test:
      // df-reclaim.test.ts).
      expect(doc.buildCache.total).toBe((df.BuildCache ?? []).length);
      expect(doc.buildCache.sizeBytes).toBeGreaterThan(unshared + 500_000);
    }
  });

  it('reports less reclaimable image space than docker when unused images share layers with used ones', async () => {
    const env = userEnv();
    // One after the other: the daemon refuses a second disk-usage run while one is going.
    const dockerDf = await engine<{ Images: { Size: number; SharedSize: number; Containers: number }[] }>('GET', '/system/df');
    const tidy = await docker(['tidy', 'df', '--json'], env);
    const doc = JSON.parse(tidy.stdout);
    // docker's figure: the size of every image without containers, shared layers included.
    const dockersReclaimable = dockerDf.body.Images.filter((i) => i.Containers === 0).reduce((s, i) => s + i.Size, 0);
    expect(doc.images.reclaimableBytes).toBeLessThan(dockersReclaimable);
  });

  it.each(CLIENTS)('prints the table like docker system df (%s)', async (client) => {
    const r = await docker(['tidy', 'df'], userEnv(), client);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
    expect(lines.slice(1, 6).map((l) => l.split(/\s{2,}/)[0])).toEqual(['Images', 'Containers', 'Local Volumes', 'Build Cache', 'Container logs']);
    // The container log files (read here: the daemon's files are on this machine).
    // The shared world's containers write nothing to their logs: 0B, and no percentage of nothing.
    expect(lines[5]).toMatch(/^Container logs\s+\d+\s+\d+\s+[\d.]+[kMG]?B\s+[\d.]+[kMG]?B(?: \(\d+%\))?$/);
    if (containerdStore) {
      // Estimated figures are marked, and the mark explained.
      expect(lines[1]).toMatch(/^Images\s+\d+\s+\d+\s+[\d.]+[kMG]?B\*\s+[\d.]+[kMG]?B \(\d+%\)\*$/);
      // Which image layer each build-cache record holds is matched there, not given.
      expect(lines[4]).toMatch(/^Build Cache\s+\d+\s+\d+\s+[\d.]+[kMG]?B\*\s+[\d.]+[kMG]?B(?: \(\d+%\))?\*$/);
      expect(lines.slice(6)).toEqual(['', '* estimated: the daemon did not give exact figures for every item']);
    } else {
      expect(lines[1]).toMatch(/^Images\s+\d+\s+\d+\s+[\d.]+[kMG]?B\s+[\d.]+[kMG]?B \(\d+%\)$/);
      expect(lines[4]).toMatch(/^Build Cache\s+\d+\s+\d+\s+[\d.]+[kMG]?B\s+[\d.]+[kMG]?B(?: \(\d+%\))?$/);
      expect(lines).toHaveLength(6);
    }
  });

  it('lists every image, container, volume and cache record with -v, largest first', async () => {
    const env = userEnv();
    const [table, json] = await Promise.all([docker(['tidy', 'df', '-v'], env), docker(['tidy', 'df', '-v', '--json'], env)]);
    expect(table.code, table.stderr).toBe(0);
    const doc = JSON.parse(json.stdout);
    for (const header of ['Images space usage:', 'Containers space usage:', 'Local Volumes space usage:', 'Build cache usage:', 'Container logs space usage:']) {
      expect(table.stdout).toContain(header);
    }
    expect(table.stdout).toMatch(/REPOSITORY:TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED\s+UNIQUE\s+CONTAINERS/);
    expect(doc.images.items).toHaveLength(doc.images.total);
    expect(doc.containers.items).toHaveLength(doc.containers.total);
    expect(doc.volumes.items).toHaveLength(doc.volumes.total);
    // Every container has a log entry (test/e2e/logs.test.ts checks their bytes).
    expect(doc.logs.items).toHaveLength(doc.containers.total);
    const sizes = doc.images.items.map((i: { sizeBytes: number }) => i.sizeBytes);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    for (const item of doc.images.items) {
      expect(item.id).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(item.uniqueBytes + item.sharedBytes).toBe(item.sizeBytes);
    }
    // Every image's size is the one the daemon reports for it (classic store: its layers add up to
    // it); on the containerd store what it takes on disk, a little more (blocks, directories).
    const listed = await engine<{ Id: string; Size: number }[]>('GET', '/images/json');
    for (const image of listed.body) {
      const size = doc.images.items.find((i: { id: string }) => i.id === image.Id)?.sizeBytes;
      if (containerdStore) expect(withinFivePercent(size, image.Size), `${image.Id}: ${size} against ${image.Size}`).toBe(true);
      else expect(size).toBe(image.Size);
    }
  });

  it('waits for another disk-usage run instead of failing (the daemon runs one at a time)', async () => {
    const env = userEnv();
    const runs = await Promise.all(Array.from({ length: 6 }, () => docker(['tidy', 'df', '--json'], env)));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    // Every run has the whole answer, the same one. Except which build-cache records are in use:
    // BuildKit counts a record as in use while another disk-usage computation measures it, so a run
    // may see records "in use" that a run alone would not (seen on engine 20.10 under load:
    // "active":2, "reclaimableBytes":83 beside "active":0, 300083; the daemon's own /system/df
    // answers InUse the same way), and keeps them, as BuildKit's prune would at that moment.
    const docs = runs.map((r) => JSON.parse(r.stdout));
    const { active: _a, reclaimableBytes: _r, ...cache } = docs[0].buildCache;
    for (const doc of docs) {
      expect({ ...doc, buildCache: undefined }).toEqual({ ...docs[0], buildCache: undefined });
      expect(doc.buildCache).toMatchObject(cache);
      expect(doc.buildCache.reclaimableBytes).toBeLessThanOrEqual(doc.buildCache.sizeBytes);
    }
  });
});
