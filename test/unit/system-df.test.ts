// GET /system/df in both of its shapes. Until API 1.51 it lists the objects under LayersSize,
// Images, Containers, Volumes and BuildCache; from API 1.52 each kind has its own section
// (ImageUsage, ContainerUsage, VolumeUsage, BuildCacheUsage: ActiveCount, TotalCount, TotalSize,
// Reclaimable, and the objects as Items, only with verbose=1), the old fields are sent beside them
// at 1.52 unless verbose=1 is asked, and go away at 1.53 (moby api/docs/CHANGELOG.md, api/swagger.yaml
// and api/types/{image,container,volume,build}/disk_usage.go). No engine Debian ships speaks 1.52, so
// the answers here are built the way moby's daemon builds them (daemon/disk_usage.go and
// daemon/server/router/system/system_routes.go, Docker 29.7): from each captured engine's own
// /system/df, and by hand from the spec.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_API_VERSION, negotiateApiVersion } from '../../src/docker/engine.js';
import { expectShape, SystemDf } from '../../src/docker/raw.js';
import { systemDfPath } from '../../src/docker/read-snapshot.js';

interface LegacyDf {
  LayersSize?: number;
  Images?: { Size: number; SharedSize?: number; Containers?: number }[] | null;
  Containers?: { State: string; SizeRw?: number }[] | null;
  Volumes?: { UsageData?: { Size: number; RefCount: number } | null }[] | null;
  BuildCache?: { InUse: boolean; Shared: boolean; Size: number }[] | null;
}

// Go's omitempty: zero numbers and empty lists are left out.
function omitEmpty(section: Record<string, number | unknown[]>): Record<string, number | unknown[]> {
  return Object.fromEntries(Object.entries(section).filter(([, v]) => (Array.isArray(v) ? v.length > 0 : v !== 0)));
}

/**
 * The API 1.52+ sections for the objects of an old-shape answer, computed as the daemon computes
 * them; `items`: with the objects (verbose=1).
 */
function sectionsOf(df: LegacyDf, items: boolean): Record<string, Record<string, number | unknown[]>> {
  const images = df.Images ?? [];
  const containers = df.Containers ?? [];
  const volumes = df.Volumes ?? [];
  const records = df.BuildCache ?? [];
  const active = (state: string) => ['running', 'paused', 'restarting'].includes(state);
  const sized = volumes.filter((v) => v.UsageData && v.UsageData.Size !== -1);
  return {
    ImageUsage: omitEmpty({
      ActiveCount: images.filter((i) => (i.Containers ?? -1) > 0).length,
      TotalCount: images.length,
      Reclaimable: images.filter((i) => i.Containers === 0 && i.Size !== -1 && i.SharedSize !== -1).reduce((s, i) => s + i.Size - (i.SharedSize ?? 0), 0),
      TotalSize: df.LayersSize ?? 0,
      Items: items ? images : [],
    }),
    ContainerUsage: omitEmpty({
      ActiveCount: containers.filter((c) => active(c.State)).length,
      TotalCount: containers.length,
      Reclaimable: containers.filter((c) => !active(c.State)).reduce((s, c) => s + (c.SizeRw ?? 0), 0),
      TotalSize: containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0),
      Items: items ? containers : [],
    }),
    VolumeUsage: omitEmpty({
      ActiveCount: volumes.length - sized.filter((v) => v.UsageData!.RefCount === 0).length,
      TotalCount: volumes.length,
      Reclaimable: sized.filter((v) => v.UsageData!.RefCount === 0).reduce((s, v) => s + v.UsageData!.Size, 0),
      TotalSize: sized.reduce((s, v) => s + v.UsageData!.Size, 0),
      Items: items ? volumes : [],
    }),
    BuildCacheUsage: omitEmpty({
      ActiveCount: records.filter((b) => b.InUse).length,
      TotalCount: records.length,
      Reclaimable: records.filter((b) => !b.InUse && !b.Shared).reduce((s, b) => s + b.Size, 0),
      TotalSize: records.reduce((s, b) => s + b.Size, 0),
      Items: items ? records : [],
    }),
  };
}

/** What an API 1.52+ daemon answers GET /system/df?verbose=1 with: the sections and their Items only. */
const verboseAnswer = (df: LegacyDf) => sectionsOf(df, true);
/** API 1.52 without verbose=1: both shapes, the sections without Items. */
const api152Answer = (df: LegacyDf) => ({ ...df, ...sectionsOf(df, false) });
/** API 1.53+ without verbose=1: the sections without Items, and nothing else. */
const briefAnswer = (df: LegacyDf) => sectionsOf(df, false);

const parse = (answer: unknown) => expectShape(SystemDf, answer, 'GET /system/df');

const fixtures = readdirSync(join(import.meta.dirname, '..', 'fixtures', 'engines'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

describe('GET /system/df from API 1.52 on', () => {
  it('has an old-shape capture of every engine to build the new shape from', () => {
    expect(fixtures).toEqual(['20.10', '26', '26-containerd', '28.5', '28.5-containerd', '28.5-containerd-builds']);
  });

  describe.each(fixtures)('on the objects captured on engine %s', (engine) => {
    const captured = (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'engines', `${engine}.json`), 'utf8')) as { systemDf: LegacyDf })
      .systemDf;
    const old = parse(captured);

    it('the verbose answer reads as the same objects and layer total as the old shape', () => {
      const answer = verboseAnswer(captured);
      expect(Object.keys(answer).sort()).toEqual(['BuildCacheUsage', 'ContainerUsage', 'ImageUsage', 'VolumeUsage']);
      const current = parse(answer);
      expect(current).toEqual(old);
      expect(current.Containers.length).toBe(7);
      expect(current.Volumes.length).toBe(3);
      expect(current.BuildCache.length).toBeGreaterThan(0);
      expect(current.LayersSize).toBe(captured.LayersSize);
    });

    it("API 1.52's answer without verbose (both shapes) reads the old fields' lists", () => {
      expect(parse(api152Answer(captured))).toEqual(old);
    });

    it('an answer without Items (no verbose=1 at 1.53+) is refused, not read as an empty daemon', () => {
      expect(() => parse(briefAnswer(captured))).toThrow(
        `GET /system/df: unexpected answer from the daemon at ImageUsage.Items: 0 items listed of TotalCount ${captured.Images!.length}`,
      );
    });
  });

  it('reads a hand-built answer that follows the spec, field by field', () => {
    const answer = {
      ImageUsage: {
        ActiveCount: 1,
        TotalCount: 2,
        Reclaimable: 1_000_000,
        TotalSize: 98_765_432,
        Items: [
          {
            Id: 'sha256:ec3f0931a6e6b6855d76b2d7b0be30e81860baccd891b2e243280bf1cd8ad710',
            ParentId: '',
            RepoTags: ['example:1.0'],
            RepoDigests: ['example@sha256:afcc7f1ac1b49db317a7196c902e61c6c3c4607d63599ee1a82d702d249a0ccb'],
            Created: 1644009612,
            Size: 3_000_000,
            SharedSize: 2_000_000,
            Labels: { 'com.example.some-label': 'some-value' },
            Containers: 1,
            Manifests: [],
            Descriptor: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: 'sha256:afcc', size: 3 },
          },
          { Id: 'sha256:0b83', ParentId: '', RepoTags: [], RepoDigests: [], Created: 1644009613, Size: 2_000_000, SharedSize: 2_000_000, Labels: {}, Containers: 0 },
        ],
      },
      ContainerUsage: {
        ActiveCount: 1,
        TotalCount: 2,
        Reclaimable: 4096,
        TotalSize: 12_288,
        Items: [
          { Id: 'c1', Names: ['/web'], Image: 'example:1.0', ImageID: 'sha256:ec3f', Created: 1644009700, State: 'running', SizeRw: 8192, Health: { Status: 'none', FailingStreak: 0 } },
          { Id: 'c2', Names: ['/job'], Image: 'example:1.0', ImageID: 'sha256:ec3f', Created: 1644009701, State: 'exited', SizeRw: 4096 },
        ],
      },
      VolumeUsage: {
        ActiveCount: 1,
        TotalCount: 2,
        Reclaimable: 500,
        TotalSize: 1500,
        Items: [
          { Name: 'data', Driver: 'local', Labels: null, Mountpoint: '/var/lib/docker/volumes/data/_data', Scope: 'local', UsageData: { Size: 1000, RefCount: 1 } },
          { Name: 'old', Driver: 'local', Labels: { 'com.docker.volume.anonymous': '' }, Mountpoint: '/x', Scope: 'local', UsageData: { Size: 500, RefCount: 0 } },
        ],
      },
      BuildCacheUsage: {
        TotalCount: 1,
        Reclaimable: 51,
        TotalSize: 51,
        Items: [
          {
            ID: 'hw53o5aio51xtltp5xjp8v7fx',
            ' Parents': ['ndlpt0hhvkqcdfkputsk4cq9c'],
            Type: 'regular',
            Description: 'mount / from exec /bin/sh -c echo hello',
            InUse: false,
            Shared: true,
            Size: 51,
            CreatedAt: '2021-06-28T13:31:01.474619385Z',
            LastUsedAt: '2021-07-07T22:02:32.738075951Z',
            UsageCount: 26,
          },
        ],
      },
    };
    const df = parse(answer);
    expect(df.LayersSize).toBe(98_765_432);
    expect(df.Containers.map((c) => [c.Names[0], c.State, c.SizeRw])).toEqual([
      ['/web', 'running', 8192],
      ['/job', 'exited', 4096],
    ]);
    expect(df.Volumes.map((v) => [v.Name, v.UsageData, v.Labels])).toEqual([
      ['data', { Size: 1000, RefCount: 1 }, {}],
      ['old', { Size: 500, RefCount: 0 }, { 'com.docker.volume.anonymous': '' }],
    ]);
    expect(df.BuildCache).toEqual([expect.objectContaining({ ID: 'hw53o5aio51xtltp5xjp8v7fx', ' Parents': ['ndlpt0hhvkqcdfkputsk4cq9c'], Size: 51, Shared: true })]);
  });

  it('an empty daemon answers with empty sections (every field omitted): zero layers, nothing listed', () => {
    expect(parse({ ImageUsage: {}, ContainerUsage: {}, VolumeUsage: {}, BuildCacheUsage: {} })).toEqual({
      LayersSize: 0,
      Containers: [],
      Volumes: [],
      BuildCache: [],
    });
  });

  it('type=build-cache answers with its section alone', () => {
    const record = { ID: 'r1', Type: 'regular', Description: '', InUse: false, Shared: false, Size: 7, CreatedAt: '2026-01-01T00:00:00Z', LastUsedAt: null };
    const df = parse({ BuildCacheUsage: { TotalCount: 1, TotalSize: 7, Reclaimable: 7, Items: [record] } });
    expect(df.LayersSize).toBeUndefined();
    expect(df.Containers).toEqual([]);
    expect(df.BuildCache.map((b) => [b.ID, b.Size])).toEqual([['r1', 7]]);
  });

  it('a wrong field in a section is named with its path and what was wrong, in words', () => {
    expect(() => parse({ VolumeUsage: { TotalCount: 1, TotalSize: 5, Items: [{ Name: 'v', Driver: 'local', Mountpoint: '/v', UsageData: { Size: '5', RefCount: 0 } }] } })).toThrow(
      /^GET \/system\/df: unexpected answer from the daemon at VolumeUsage\.Items\.0\.UsageData\.Size: Invalid input: expected number, received string$/,
    );
    // The images are read from GET /images/json?all=1; here they are only counted against TotalCount.
    expect(() => parse({ ImageUsage: { TotalCount: 2, TotalSize: 5, Items: [{ Id: 'sha256:1' }] } })).toThrow(/at ImageUsage\.Items: 1 items listed of TotalCount 2/);
    expect(() => parse({ ContainerUsage: { TotalCount: 'two' } })).toThrow(/at ContainerUsage\.TotalCount: /);
  });
});

describe('the API version docker tidy asks for', () => {
  it("is the daemon's own up to the newest it speaks (1.55), never held at 1.51", () => {
    expect(MAX_API_VERSION).toBe('1.55');
    expect(['1.40', '1.41', '1.45', '1.51', '1.52', '1.53', '1.55', '1.56', '1.60', '2.0'].map(negotiateApiVersion)).toEqual([
      '1.40',
      '1.41',
      '1.45',
      '1.51',
      '1.52',
      '1.53',
      '1.55',
      '1.55',
      '1.55',
      '1.55',
    ]);
  });

  it('asks /system/df for its objects with verbose=1 from API 1.52 on', () => {
    expect(systemDfPath('1.41')).toBe('/system/df');
    expect(systemDfPath('1.51')).toBe('/system/df');
    expect(systemDfPath('1.52')).toBe('/system/df?verbose=1');
    expect(systemDfPath('1.55')).toBe('/system/df?verbose=1');
    expect(systemDfPath('1.45', 'build-cache')).toBe('/system/df?type=build-cache');
    expect(systemDfPath('1.53', 'build-cache')).toBe('/system/df?type=build-cache&verbose=1');
  });
});
