import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatDuration } from '../../src/core/units.js';

describe('formatBytes (go-units HumanSizeWithPrecision)', () => {
  it.each([
    [0, 3, '0B'],
    [999, 3, '999B'],
    [1000, 3, '1kB'],
    [1_984_000, 3, '1.98MB'],
    [1_984_000, 4, '1.984MB'],
    [5_082_284, 4, '5.082MB'],
    [100_000, 4, '100kB'],
    [1_500_000_000, 3, '1.5GB'],
    [999_999, 3, '1e+03kB'],
    [72_900_000_000, 3, '72.9GB'],
  ])('%d bytes at precision %d is %s', (bytes, precision, text) => {
    expect(formatBytes(bytes, precision)).toBe(text);
  });
});

describe('formatDuration (go-units HumanDuration)', () => {
  it.each([
    [0, 'Less than a second'],
    [1, '1 second'],
    [59, '59 seconds'],
    [60, 'About a minute'],
    [3599, '59 minutes'],
    [3600, 'About an hour'],
    [47 * 3600, '47 hours'],
    [3 * 86400, '3 days'],
    [15 * 86400, '2 weeks'],
    [90 * 86400, '3 months'],
    [800 * 86400, '2 years'],
  ])('%d seconds is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('says "ago" for ages', () => {
    expect(formatAge(1000, 1000 + 7200)).toBe('2 hours ago');
  });
});
