import { describe, expect, it } from 'vitest';
import {
  filterImages,
  referencesOf,
  sortImages,
  splitReference,
  whyFreesNothing,
} from '../../src/core/select.js';
import type { Image, Snapshot } from '../../src/core/snapshot.js';
import { analyzeImages } from '../../src/core/usage.js';

const image = (id: string, tags: string[], layers: [string, number][], created = 0, digests: string[] = []): Image => ({
  id,
  tags,
  digests,
  created,
  size: layers.reduce((s, [, n]) => s + n, 0),
  parentId: '',
  layers: layers.map(([chainId, size]) => ({ chainId, size, known: true })),
});

describe('references', () => {
  it.each([
    ['postgres:13', 'postgres', '13'],
    ['127.0.0.1:5000/team/app:1', '127.0.0.1:5000/team/app', '1'],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000/team/app', 'latest'],
    ['mongo@sha256:abc', 'mongo', '<none>'],
  ])('splits %s', (ref, repository, tag) => {
    expect(splitReference(ref)).toEqual({ repository, tag });
  });

  it('names untagged images by digest repository, else <none>:<none>', () => {
    expect(referencesOf(image('a', [], [], 0, ['mongo@sha256:1', 'mongo@sha256:2']))).toEqual(['mongo:<none>']);
    expect(referencesOf(image('b', [], []))).toEqual(['<none>:<none>']);
  });
});

describe('filters and sorts', () => {
  const snapshot: Snapshot = {
    images: [
      image('big', ['postgres:13'], [['a', 500]], 300, ['postgres@sha256:1']),
      image('beta', ['postgres:13-beta1'], [['a', 500], ['b', 20]], 100, ['postgres@sha256:2']),
      image('local', ['myapp:1.0'], [['c', 80]], 200),
      image('none', [], [['d', 10]], 50),
    ],
    containers: [{ id: 'c', name: 'web', imageId: 'big', imageRef: 'postgres:13', state: 'running', sizeRw: 0, created: 0 }],
    volumes: [],
    buildCache: [],
  };
  const all = analyzeImages(snapshot);
  const ids = (list: { image: Image }[]): string[] => list.map((u) => u.image.id);

  it('combines filters with AND', () => {
    expect(ids(filterImages(all, { match: [/^postgres:/] }))).toEqual(['big', 'beta']);
    expect(ids(filterImages(all, { match: [/^postgres:/], unused: true }))).toEqual(['beta']);
    expect(ids(filterImages(all, { exclude: [/beta/], largerThan: 50 }))).toEqual(['big', 'local']);
    expect(ids(filterImages(all, { dangling: true }))).toEqual(['none']);
    expect(ids(filterImages(all, { localOnly: true }))).toEqual(['local']);
    expect(ids(filterImages(all, { olderThan: 200, newerThan: 60 }))).toEqual(['beta']);
    expect(ids(filterImages(all, { match: [/^<none>:<none>$/] }))).toEqual(['none']);
  });

  it('sorts by size, unique, created and name, and reverses', () => {
    expect(ids(sortImages(all, 'size'))).toEqual(['beta', 'big', 'local', 'none']);
    expect(ids(sortImages(all, 'unique'))).toEqual(['local', 'beta', 'none', 'big']);
    expect(ids(sortImages(all, 'created'))).toEqual(['big', 'local', 'beta', 'none']);
    expect(ids(sortImages(all, 'name'))).toEqual(['none', 'local', 'big', 'beta']);
    expect(ids(sortImages(all, 'size', true))).toEqual(['none', 'local', 'big', 'beta']);
  });

  it('says why an unused base image frees nothing', () => {
    const s: Snapshot = {
      images: [image('base', ['alpine:3'], [['a', 5]]), image('app', ['app:1'], [['a', 5], ['x', 1]])],
      containers: [{ id: 'c', name: 'web', imageId: 'app', imageRef: 'app:1', state: 'exited', sizeRw: 0, created: 0 }],
      volumes: [],
      buildCache: [],
    };
    const [base, app] = analyzeImages(s);
    expect(whyFreesNothing(base!, [base!, app!])).toBe('its layers are part of images in use: app:1');
    expect(whyFreesNothing(app!, [base!, app!])).toBeUndefined();
  });
});
