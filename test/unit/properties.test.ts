// Property-based tests (fast-check) for what turns text into numbers: sizes, durations, times,
// counts, label filters and the daemon's JSON. Round trips hold, nothing crashes, and a value is
// either parsed exactly or refused with InputError: never a silent wrong number.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { InputError, parseCount, parseDuration, parseLabelFilter, parseSize, parseTimestamp } from '../../src/core/parse.js';
import { formatBytes } from '../../src/core/units.js';
import { ContainerSummary, expectShape, ImageSummary, SystemDf } from '../../src/docker/raw.js';
import { TidyError } from '../../src/errors.js';

const UNITS: [string, number][] = [
  ['', 1],
  ['b', 1],
  ['kB', 1e3],
  ['MB', 1e6],
  ['GB', 1e9],
  ['TB', 1e12],
  ['KiB', 1024],
  ['MiB', 1024 ** 2],
  ['GiB', 1024 ** 3],
  ['TiB', 1024 ** 4],
  ['PB', 1e15],
  ['EB', 1e18],
  ['EiB', 1024 ** 6],
];

/** Calls `parse`; the result, or 'refused' when it threw InputError. Anything else thrown fails the property. */
function attempt<T>(parse: () => T): T | 'refused' {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InputError) return 'refused';
    throw error;
  }
}

describe('parseSize', () => {
  it('reads every whole number of bytes back exactly', () => {
    fc.assert(fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (n) => parseSize(String(n)) === n));
  });

  it('multiplies by the unit exactly, whatever the case', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), fc.constantFrom(...UNITS), fc.boolean(), (n, [unit, factor], upper) => {
        const text = `${n}${upper ? unit.toUpperCase() : unit.toLowerCase()}`;
        const r = attempt(() => parseSize(text));
        // Beyond 2^53 bytes a size is a limit (the nearest double), no longer exact to the byte.
        if (n * factor > 1e21) return r === 'refused';
        return r === Math.round(n * factor) && (n * factor > Number.MAX_SAFE_INTEGER || r === n * factor);
      }),
    );
  });

  it('reads what formatBytes prints back to within its rounding', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1e15 }), fc.integer({ min: 3, max: 6 }), (n, precision) => {
        const back = parseSize(formatBytes(n, precision));
        return Math.abs(back - n) <= Math.max(0.5, n * 10 ** (1 - precision));
      }),
    );
  });

  it('any text: a non-negative whole number of at most 1000 EB, or refused; negatives are always refused', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const r = attempt(() => parseSize(text));
        return r === 'refused' || (Number.isInteger(r) && r >= 0 && r <= 1e21);
      }),
    );
    fc.assert(fc.property(fc.nat(), fc.constantFrom(...UNITS), (n, [unit]) => attempt(() => parseSize(`-${n}${unit}`)) === 'refused'));
  });
});

describe('durations and times', () => {
  it('a Go duration is the sum of its parts, and --until of it is that long before now', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000 }), fc.nat({ max: 59 }), fc.nat({ max: 59 }), fc.nat({ max: 2e9 }), (h, m, s, now) => {
        const text = `${h}h${m}m${s}s`;
        const seconds = h * 3600 + m * 60 + s;
        return parseDuration(text) === seconds && parseTimestamp(text, now) === now - seconds;
      }),
    );
  });

  it('a UTC date-time reads back as the same instant; a Unix timestamp as itself', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }), (d) => {
        const seconds = Math.floor(d.getTime() / 1000);
        const iso = new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
        return parseTimestamp(iso, 0) === seconds && parseTimestamp(String(seconds), 0) === seconds;
      }),
    );
  });

  it('any text: a finite time, or refused; impossible dates are refused', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat({ max: 2e9 }), (text, now) => {
        const r = attempt(() => parseTimestamp(text, now));
        return r === 'refused' || Number.isFinite(r);
      }),
    );
    for (const bad of ['2020-02-30', '2021-13-01', '2020-01-01T24:00:00', '-24h', '24 h']) {
      expect(attempt(() => parseTimestamp(bad, 0)), bad).toBe('refused');
    }
  });
});

describe('counts and label filters', () => {
  it('counts: whole numbers read back, anything else refused', () => {
    fc.assert(fc.property(fc.nat(), (n) => parseCount(String(n)) === n));
    fc.assert(
      fc.property(fc.string(), (text) => {
        const r = attempt(() => parseCount(text));
        return r === 'refused' || (Number.isInteger(r) && r >= 0);
      }),
    );
  });

  it('label filters round trip: key and value come back as written', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/);
    fc.assert(
      fc.property(key, fc.option(fc.string({ maxLength: 20 }), { nil: undefined }), fc.boolean(), (k, v, negate) => {
        const parsed = parseLabelFilter(`label${negate ? '!' : ''}=${k}${v === undefined ? '' : `=${v}`}`);
        return parsed.key === k && parsed.value === v && parsed.negate === negate;
      }),
    );
    fc.assert(fc.property(fc.string(), (text) => attempt(() => parseLabelFilter(text)) !== undefined));
  });
});

describe("the daemon's JSON", () => {
  it('anything at all either validates or fails with an error that names the request', () => {
    for (const [schema, what] of [
      [z.array(ImageSummary), 'GET /images/json'],
      [z.array(ContainerSummary), 'GET /containers/json'],
      [SystemDf, 'GET /system/df'],
    ] as const) {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          try {
            expectShape(schema as z.ZodMiniType, value, what);
            return true;
          } catch (error) {
            return error instanceof TidyError && error.message.startsWith(`${what}: unexpected answer from the daemon`);
          }
        }),
      );
    }
  });

  it('keeps every byte count exactly as the daemon sent it, and refuses a size that is not a number', () => {
    const summary = fc.record({
      Id: fc.string(),
      ParentId: fc.string(),
      RepoTags: fc.option(fc.array(fc.string()), { nil: null }),
      RepoDigests: fc.option(fc.array(fc.string()), { nil: null }),
      Created: fc.nat(),
      Size: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      Labels: fc.option(fc.dictionary(fc.string(), fc.string()), { nil: null }),
    });
    fc.assert(
      fc.property(summary, (raw) => {
        const [parsed] = expectShape(z.array(ImageSummary), [raw], 'GET /images/json');
        return parsed!.Size === raw.Size && parsed!.Created === raw.Created && parsed!.RepoTags.length === (raw.RepoTags?.length ?? 0);
      }),
    );
    fc.assert(
      fc.property(summary, fc.oneof(fc.string(), fc.constant(null), fc.boolean()), (raw, size) => {
        expect(() => expectShape(z.array(ImageSummary), [{ ...raw, Size: size }], 'GET /images/json')).toThrow(/at 0\.Size/);
      }),
    );
  });
});
