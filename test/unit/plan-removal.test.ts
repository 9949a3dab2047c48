import { describe, expect, it } from 'vitest';
import { normalizeReference, planRemoval, requestSelects, resolveImageArgument, type RemovalRequest } from '../../src/core/plan-removal.js';
import type { Container, Image, Snapshot } from '../../src/core/snapshot.js';
import { removalSteps } from '../../src/core/operations.js';
import { removalOutcome } from '../../src/core/outcome.js';
import { failureLines } from '../../src/render/removal.js';
import { container, image as build } from './builders.js';

const hex = (c: string): string => 'sha256:' + c.repeat(64).slice(0, 64);
// A pulled image (it has a digest) with these tags; pass digests: [] for one built here.
const image = (id: string, tags: string[], layers: [string, number][], extra: Partial<Image> = {}): Image =>
  build(id, layers, { tags, digests: tags.map((t) => `${t.split(':')[0]}@sha256:${'d'.repeat(64)}`), ...extra });
const request = (r: Partial<RemovalRequest>): RemovalRequest => ({
  images: [],
  match: [],
  filter: {},
  exclude: [],
  withContainers: false,
  includeLocal: false,
  save: false,
  ...r,
});

const base = image(hex('a'), ['alpine:3'], [['l1', 100]], { created: 10 });
const app1 = image(hex('b'), ['app:1'], [['l1', 100], ['l2', 20]], { created: 20, parentId: hex('a'), digests: [] });
const app2 = image(hex('c'), ['app:2', 'app:latest'], [['l1', 100], ['l2', 20], ['l3', 5]], { created: 30, parentId: hex('b'), digests: [] });
const pg1 = image(hex('d'), ['postgres:13-beta1'], [['p', 50], ['b1', 7]], { created: 40 });
const pg2 = image(hex('e'), ['postgres:13-beta2'], [['p', 50], ['b2', 9]], { created: 50 });
const dangling = image(hex('f'), [], [['x', 3]], { digests: [] });
const snapshot = (containers: Container[] = []): Snapshot => ({ images: [base, app1, app2, pg1, pg2, dangling], containers, volumes: [], buildCache: [] });

/** A plan in a stable text form, as docker compose tests its reconciler. */
function describePlan(s: Snapshot, r: RemovalRequest): string {
  const plan = planRemoval(s, r);
  return [
    ...plan.containers.map((c) => `container ${c.name}`),
    ...plan.removals.map((x) => `${x.action} ${x.refs.map((r) => r.name).join(',')} ${x.bytes}${x.save ? ' save' : ''}`),
    ...plan.kept.map((k) => `keep ${k.shown.join(',')}: ${k.reason}`),
    `total ${plan.estimatedBytes}`,
  ].join('\n');
}

describe('resolveImageArgument', () => {
  const images = snapshot().images;
  it.each([
    ['alpine:3', hex('a'), 'alpine:3'],
    ['docker.io/library/alpine:3', hex('a'), 'alpine:3'],
    ['app', hex('c'), 'app:latest'],
    ['bbbb', hex('b'), undefined],
    [hex('b'), hex('b'), undefined],
    [`postgres@sha256:${'d'.repeat(64)}`, hex('d'), undefined],
  ])('%s names %s', (arg, id, ref) => {
    expect(resolveImageArgument(images, arg)).toEqual(ref ? { id, ref } : { id });
  });

  it.each([
    ['nope:1', 'No such image: nope:1', 'missing'],
    ['Alpine:3', 'invalid reference format: repository name "Alpine:3" must be lowercase', 'invalid'],
    ['-rf', 'invalid reference format: "-rf"', 'invalid'],
  ])('%s is an error', (arg, message, kind) => {
    expect(() => resolveImageArgument(images, arg)).toThrow(message);
    try {
      resolveImageArgument(images, arg);
    } catch (e) {
      expect((e as { kind: string }).kind).toBe(kind);
    }
  });

  it('refuses an ambiguous short ID', () => {
    const twins = [image('sha256:ab' + '1'.repeat(62), ['x:1'], []), image('sha256:ab' + '2'.repeat(62), ['y:1'], [])];
    expect(() => resolveImageArgument(twins, 'ab')).toThrow('ambiguous image ID "ab": it starts 2 image IDs');
  });

  it('normalizes names as docker does', () => {
    expect(normalizeReference('docker.io/postgres')).toBe('postgres:latest');
    expect(normalizeReference('127.0.0.1:5000/team/app')).toBe('127.0.0.1:5000/team/app:latest');
  });
});

describe('planRemoval', () => {
  it('untags one of two tags for 0 bytes, deletes when every tag goes', () => {
    expect(describePlan(snapshot(), request({ images: ['app:latest'] }))).toBe('untag app:latest 0\ntotal 0');
    expect(describePlan(snapshot(), request({ images: ['app:latest', 'app:2'], includeLocal: true }))).toBe('delete app:2,app:latest 5\ntotal 5');
  });

  it('keeps an image a stopped container uses unless --with-containers, and never one a running container uses', () => {
    const s = snapshot([container('old', hex('d'), 'exited', 11), container('web', hex('e'), 'running')]);
    expect(describePlan(s, request({ match: [/^postgres:/] }))).toBe(
      'keep postgres:13-beta1: used by stopped container old (--with-containers removes them)\n' +
        'keep postgres:13-beta2: used by running container web\ntotal 0',
    );
    expect(describePlan(s, request({ match: [/^postgres:/], withContainers: true }))).toBe(
      'container old\ndelete postgres:13-beta1 7\nkeep postgres:13-beta2: used by running container web\ntotal 18',
    );
  });

  it('keeps local-only images unless --include-local or --save', () => {
    expect(describePlan(snapshot(), request({ images: ['app:1'] }))).toMatch(/^keep app:1: exists only on this host/);
    expect(describePlan(snapshot(), request({ images: ['app:2', 'app:latest'], save: true }))).toBe('delete app:2,app:latest 5 save\ntotal 5');
    // app:2 is built on app:1: removing app:1's name leaves its data, so nothing is saved or lost.
    expect(describePlan(snapshot(), request({ images: ['app:1'], save: true }))).toBe('untag app:1 0\ntotal 0');
  });

  it('removes children before parents, and credits each layer to the removal that frees it', () => {
    const plan = planRemoval(snapshot(), request({ match: [/^(alpine|app):/], includeLocal: true }));
    expect(plan.removals.map((r) => r.refs[0]!.name)).toEqual(['app:2', 'app:1', 'alpine:3']);
    expect(plan.removals.map((r) => r.bytes)).toEqual([5, 20, 100]);
    expect(plan.estimatedBytes).toBe(125);
  });

  it('counts a layer shared only by removed images once, and nothing still held', () => {
    expect(describePlan(snapshot(), request({ match: [/13-beta1/] }))).toBe('delete postgres:13-beta1 7\ntotal 7');
    expect(describePlan(snapshot(), request({ match: [/13-beta/] }))).toBe('delete postgres:13-beta1 7\ndelete postgres:13-beta2 59\ntotal 66');
  });

  it('protects references with --exclude and the newest of each repository with --keep-last', () => {
    expect(describePlan(snapshot(), request({ match: [/13-beta/], exclude: [/beta2/] }))).toBe(
      'delete postgres:13-beta1 7\nkeep postgres:13-beta2: excluded by --exclude\ntotal 7',
    );
    expect(describePlan(snapshot(), request({ match: [/13-beta/], keepLast: 1 }))).toBe(
      'delete postgres:13-beta1 7\nkeep postgres:13-beta2: the newest image of postgres (--keep-last 1)\ntotal 7',
    );
  });

  it('selects from all images when a filter is used alone, and narrows otherwise', () => {
    expect(describePlan(snapshot(), request({ filter: { dangling: true } }))).toBe(`delete ${hex('f')} 3\ntotal 3`);
    expect(describePlan(snapshot(), request({ match: [/^postgres:/], filter: { largerThan: 58 } }))).toBe('delete postgres:13-beta2 9\ntotal 9');
    expect(requestSelects(request({}))).toBe(false);
    expect(requestSelects(request({ filter: { olderThan: 5 } }))).toBe(true);
  });

  it('selects an untagged image through its <none>:<none> reference', () => {
    expect(describePlan(snapshot(), request({ match: [/<none>/] }))).toBe(`delete ${hex('f')} 3\ntotal 3`);
  });

  describe('is there another copy? what the registry said decides', () => {
    const answered = (copy: 'verified' | 'absent' | 'unknown', store: 'classic' | 'containerd'): Snapshot => ({
      ...snapshot(),
      imageStore: store,
      images: snapshot().images.map((i) => (i === pg2 ? { ...i, remoteCopy: { copy, detail: `the registry said ${copy}` } } : i)),
    });
    const rm = request({ images: ['postgres:13-beta2'] });
    it.each(['classic', 'containerd'] as const)('%s store: a verified copy goes, an absent one stays as local-only', (store) => {
      expect(describePlan(answered('verified', store), rm)).toBe('delete postgres:13-beta2 9\ntotal 9');
      expect(describePlan(answered('absent', store), rm)).toBe(
        'keep postgres:13-beta2: exists only on this host: the registry said absent; --save DIR or --include-local to remove it\ntotal 0',
      );
      expect(describePlan(answered('absent', store), { ...rm, includeLocal: true })).toBe('delete postgres:13-beta2 9\ntotal 9');
      expect(describePlan(answered('absent', store), { ...rm, save: true })).toBe('delete postgres:13-beta2 9 save\ntotal 9');
    });

    it('no answer: kept on the containerd store (every image there has a digest), saved with --save', () => {
      expect(describePlan(answered('unknown', 'containerd'), rm)).toBe(
        'keep postgres:13-beta2: may exist only on this host: the registry said unknown; --save DIR or --include-local to remove it\ntotal 0',
      );
      expect(describePlan(answered('unknown', 'containerd'), { ...rm, save: true })).toBe('delete postgres:13-beta2 9 save\ntotal 9');
    });

    it('no answer: on the classic store its RepoDigest still counts as a copy, and the plan says it was not verified', () => {
      const plan = planRemoval(answered('unknown', 'classic'), rm);
      expect(plan.removals.map((r) => [r.action, r.save, r.note])).toEqual([
        ['delete', false, 'the registry said unknown'],
      ]);
    });

    it('not asked: kept on the containerd store if the plan would delete it, with its other reason if not', () => {
      const s: Snapshot = { ...snapshot(), imageStore: 'containerd' };
      expect(describePlan(s, rm)).toMatch(/^keep postgres:13-beta2: may exist only on this host: its registry was not asked;/);
      expect(describePlan(s, { ...rm, includeLocal: true })).toBe('delete postgres:13-beta2 9\ntotal 9');
      // alpine:3 is kept because app:1 is built on it: that is its reason, whether or not its registry was asked.
      expect(describePlan(s, request({ filter: { olderThan: 15 } }))).toMatch(/^keep alpine:3: image app:1 is built on it and stays/m);
    });
  });

  it('takes a full image ID that no image has as gone already, not as a mistake (a rerun finishing a cut-short run)', () => {
    const plan = planRemoval(snapshot(), request({ images: [hex('9'), 'postgres:13-beta2'] }));
    expect(plan.gone).toEqual([hex('9')]);
    expect(plan.removals.map((r) => r.refs)).toEqual([[{ kind: 'tag', name: 'postgres:13-beta2' }]]);
    expect(() => planRemoval(snapshot(), request({ images: ['999999999999'] }))).toThrow('No such image: 999999999999');
  });

  it('reports every name that matches nothing', () => {
    expect(() => planRemoval(snapshot(), request({ images: ['a:1', 'alpine:3', 'b:2'] }))).toThrow('No such image: a:1\nNo such image: b:2');
  });
});

describe('removalSteps', () => {
  it('deletes images with the same parent one after another (the parent goes with the last), others at once', () => {
    // Two builds on one untagged intermediate (as the legacy builder leaves a rebuilt tag's old
    // image and the new one), and two unrelated pulled images.
    const parent = image(hex('1'), [], [['l1', 100]], { digests: [] });
    const a = image(hex('2'), ['tool:dev'], [['l1', 100], ['a', 5]], { parentId: parent.id, digests: [] });
    const b = image(hex('3'), [], [['l1', 100], ['b', 6]], { parentId: parent.id, digests: [] });
    const s: Snapshot = { images: [parent, a, b, pg1, pg2], containers: [], volumes: [], buildCache: [] };
    const plan = planRemoval(s, request({ images: ['tool:dev', hex('3'), 'postgres:13-beta1', 'postgres:13-beta2'], includeLocal: true }));
    const steps = removalSteps(plan);
    const at = (id: string) => steps.findIndex((st) => st.op.kind === 'delete-image' && st.op.image.id === id);
    const [first, second] = [at(a.id), at(b.id)].sort((x, y) => x - y);
    // In order only: the first failing does not stop the second.
    expect(steps[second!]!.orderAfter).toEqual([first]);
    expect(steps[second!]!.after).not.toContain(first);
    expect(steps[at(pg1.id)]!.after).toEqual([]);
    expect(steps[at(pg2.id)]!.after).toEqual([]);
  });

  it("removes an image's names one after another", () => {
    const three = image(hex('7'), ['tri:1', 'tri:2', 'tri:3'], [['t', 5]], { digests: [] });
    const s: Snapshot = { images: [three], containers: [], volumes: [], buildCache: [] };
    // Two of its three names: untagged only, one after the other.
    const some = removalSteps(planRemoval(s, request({ images: ['tri:1', 'tri:2'], includeLocal: true })));
    expect(some.map((st) => [st.op.kind, st.after])).toEqual([
      ['untag', []],
      ['untag', [0]],
    ]);
    // All three: two untags in turn, then the delete after both.
    const all = removalSteps(planRemoval(s, request({ images: ['tri:1', 'tri:2', 'tri:3'], includeLocal: true })));
    expect(all.map((st) => [st.op.kind, st.after])).toEqual([
      ['untag', []],
      ['untag', [0]],
      ['delete-image', [0, 1]],
    ]);
  });

  it('reports a failed image by the names it still has, not those removed before the failure', () => {
    const three = image(hex('7'), ['tri:1', 'tri:2', 'tri:3'], [['t', 5]], { digests: [] });
    const s: Snapshot = { images: [three], containers: [], volumes: [], buildCache: [] };
    const plan = planRemoval(s, request({ images: ['tri:1', 'tri:2', 'tri:3'], includeLocal: true }));
    const steps = removalSteps(plan);
    const outcome = removalOutcome(plan, steps, [{ status: 'done', deleted: [] }, { status: 'done', deleted: [] }, { status: 'failed', error: 'conflict' }], false);
    expect(outcome.failed.map((f) => f.left.map((r) => r.name))).toEqual([[plan.removals[0]!.refs[2]!.name]]);
    expect(failureLines(outcome)).toEqual([`failed to remove image ${plan.removals[0]!.refs[2]!.name} (777777777777): conflict`]);
  });
});
