import { describe, expect, it } from 'vitest';
import { InputError, parseCount, parseDuration, parseSize, parseTimestamp } from '../../src/core/parse.js';
import { parseReferencePattern, parseRegex } from '../../src/core/patterns.js';

describe('parseSize', () => {
  it.each([
    ['1048576', 1048576],
    ['500MB', 500_000_000],
    ['1.5GB', 1_500_000_000],
    ['1GiB', 1024 ** 3],
    ['2k', 2000],
    ['10 kB', 10_000],
    ['3mib', 3 * 1024 ** 2],
    ['0', 0],
    // Go's %g, as docker prints 999.5 TB.
    ['1e+03TB', 1e15],
    ['1e9', 1e9],
    // Beyond 2^53 a size is a limit, not an exact count: it still parses.
    ['1EB', 1e18],
    ['2EiB', 2 * 1024 ** 6],
    ['999EB', 999e18],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'MB', '-5MB', '1.2.3GB', '5XB', 'e9', '1e', '1e+99', 'ten', '1001EB', '1ZB'])('rejects %j', (text) => {
    expect(() => parseSize(text)).toThrow(InputError);
  });
});

describe('parseTimestamp', () => {
  const now = 1_700_000_000;
  it.each([
    ['24h', now - 86400],
    ['168h', now - 7 * 86400],
    ['30m', now - 1800],
    ['1h30m', now - 5400],
    ['1594080000', 1594080000],
    ['1594080000.5', 1594080000.5],
    ['2020-07-07T00:00:00Z', Date.UTC(2020, 6, 7) / 1000],
    ['2020-07-07T02:00:00+02:00', Date.UTC(2020, 6, 7) / 1000],
  ])('%s is %d', (text, seconds) => {
    expect(parseTimestamp(text, now)).toBe(seconds);
  });

  it('reads dates without a zone in local time, as docker does', () => {
    expect(parseTimestamp('2020-07-07', now)).toBe(new Date(2020, 6, 7).getTime() / 1000);
    expect(parseTimestamp('2020-07-07T10:20:30', now)).toBe(new Date(2020, 6, 7, 10, 20, 30).getTime() / 1000);
  });

  it.each([
    '-24h',
    'yesterday',
    '2020-13-01',
    '2020-02-30',
    '24 h',
    '2020-07-07T25:00:00',
    '',
    // No place on earth is more than 14 hours from UTC.
    '2020-07-07T00:00:00+14:01',
    '2020-07-07T00:00:00-15:00',
    '2020-07-07T00:00:00+23:59',
    '2020-07-07T00:00:00+02:60',
  ])('rejects %j', (text) => {
    expect(() => parseTimestamp(text, now)).toThrow(InputError);
  });

  it('takes the widest real offsets', () => {
    expect(parseTimestamp('2020-07-07T14:00:00+14:00', now)).toBe(Date.UTC(2020, 6, 7) / 1000);
    expect(parseTimestamp('2020-07-06T12:00:00-12:00', now)).toBe(Date.UTC(2020, 6, 7) / 1000);
  });

  it('reads a bare number as a Unix timestamp, as docker does', () => {
    expect(parseTimestamp('24', now)).toBe(24);
  });

  it('knows Go durations only', () => {
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('1d')).toBeUndefined();
  });
});

describe('parseCount and parseRegex', () => {
  it('takes whole numbers only', () => {
    expect(parseCount('10')).toBe(10);
    for (const bad of ['-1', '1.5', 'x', '']) expect(() => parseCount(bad)).toThrow(InputError);
  });

  it('refuses counts it cannot hold exactly instead of reading them as 1e+23', () => {
    expect(parseCount(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseCount('100000000000000000000000')).toThrow('value out of range');
  });

  it('compiles RE2 patterns and reports why one does not', () => {
    expect(parseRegex('^postgres:13-beta').test('postgres:13-beta1')).toBe(true);
    expect(parseRegex('^postgres:13-beta').test('xpostgres:13-beta1')).toBe(false);
    expect(() => parseRegex('[')).toThrow('missing closing ]');
    // RE2 has no backreferences or lookaround: said, not silently different.
    expect(() => parseRegex('(a)\\1')).toThrow(InputError);
    expect(() => parseRegex('a(?=b)')).toThrow(InputError);
  });

  it('refuses an empty pattern: an empty variable in a script must not select every image', () => {
    expect(() => parseRegex('')).toThrow('an empty pattern matches every image');
  });

  it('matches in linear time: a catastrophic pattern on a long tag answers at once', () => {
    // With a backtracking engine (JavaScript's RegExp) this takes longer than the age of the universe.
    // This test then never ends: the suite fails by its time limit rather than by an assertion.
    expect(parseRegex('^(a+)+$').test('a'.repeat(50_000) + '!')).toBe(false);
    expect(parseRegex('(x+x+)+y').test('x'.repeat(5_000))).toBe(false);
  });
});

describe('parseReferencePattern (docker image ls REPOSITORY[:TAG])', () => {
  it.each([
    ['postgres', 'postgres:13', true],
    ['postgres', 'postgres:<none>', true],
    ['postgres:13', 'postgres:13', true],
    ['postgres:13', 'postgres:13-beta1', false],
    ['postgres:13*', 'postgres:13-beta1', true],
    ['post*', 'postgres:13', true],
    ['*', 'team/app:1', false],
    ['*/*', 'team/app:1', true],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000/team/app:1', true],
    ['docker.io/library/postgres:13', 'postgres:13', true],
    ['library/postgres', 'postgres:13', true],
    ['[pq]ostgres', 'postgres:1', true],
    ['[^p]ostgres', 'postgres:1', false],
    ['postgres', 'mypostgres:1', false],
  ])('%s against %s: %s', (pattern, ref, matches) => {
    expect(parseReferencePattern(pattern).test(ref)).toBe(matches);
  });

  it('refuses an unterminated class', () => {
    expect(() => parseReferencePattern('post[gres')).toThrow(InputError);
  });
});
