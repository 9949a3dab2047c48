// Parsers for what users type: sizes in docker's units, docker's `until` time forms, counts and
// regular expressions. Each throws InputError saying what is wrong; the CLI layer quotes the value,
// names the flag and exits 125.

/** A value the user typed that does not parse. */
export class InputError extends Error {
  override name = 'InputError';
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  p: 1e15,
  pb: 1e15,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
  pi: 1024 ** 5,
  pib: 1024 ** 5,
  // No bare "e": "1e" reads as an unfinished exponent, not an exabyte.
  eb: 1e18,
  eib: 1024 ** 6,
};

/**
 * Bytes from "500MB", "1.5GB", "1GiB", "2k" or "1048576": decimal units as docker prints them
 * (kB, MB, GB), binary ones with an "i" (KiB, MiB, GiB); case does not matter.
 */
export function parseSize(text: string): number {
  // Go's %g, which docker prints sizes with, writes 999.5 TB as "1e+03TB": exponents are read too.
  const m = /^\s*((?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new InputError('use a number of bytes or a size such as 500MB, 1.5GB or 1GiB');
  }
  const bytes = Number(m[1]) * unit;
  // Beyond 2^53 bytes (9 PB) a number is no longer exact to the byte; as a limit it still compares right.
  if (!Number.isFinite(bytes) || bytes > MAX_SIZE) throw new InputError('too large: at most 1000EB');
  return Math.round(bytes);
}

/** The largest size accepted (1000 EB): far beyond any disk, still a finite number. */
const MAX_SIZE = 1000 * 1e18;

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds from a Go duration ("24h", "1h30m", "1.5h", "90s"); undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!/^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let seconds = 0;
  for (const [, value, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    seconds += Number(value) * DURATION_UNITS[unit!]!;
  }
  return seconds;
}

/**
 * A point in time, in Unix seconds, from docker's `until`/`since` forms: a duration before `now`
 * ("24h", "168h", "30m"), a date ("2020-07-07", local time), a date and time
 * ("2020-07-07T00:00:00", local unless it has a zone: "2020-07-07T00:00:00Z", "+02:00"), or a
 * Unix timestamp ("1594080000", "1594080000.5").
 */
export function parseTimestamp(text: string, now: number): number {
  const value = text.trim();
  if (value.startsWith('-')) throw new InputError('durations and times cannot be negative');
  const duration = parseDuration(value);
  if (duration !== undefined) return now - duration;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
    const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
    let ms: number;
    if (zone) {
      const minutes = zone === 'Z' ? 0 : Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
      // Real offsets run from -12:00 to +14:00; Go's time.Parse refuses more than 24 hours, we refuse what no place uses.
      if (minutes > 14 * 60 || Number(zone.slice(4, 6)) >= 60) throw new InputError(`time zone offset ${zone} is out of range (-14:00 to +14:00)`);
      const offset = (zone.startsWith('-') ? -1 : 1) * minutes;
      ms = Date.UTC(...parts) - offset * 60_000;
    } else {
      ms = new Date(...parts).getTime();
    }
    const check = new Date(Date.UTC(parts[0], parts[1], parts[2]));
    if (check.getUTCMonth() === parts[1] && check.getUTCDate() === parts[2] && parts[3] < 24 && parts[4] < 60 && parts[5] < 60) {
      return ms / 1000 + (frac ? Number(frac) : 0);
    }
  }
  throw new InputError('use a duration (24h, 30m), a date (2020-07-07), a date and time (2020-07-07T00:00:00) or a Unix timestamp');
}

/** The largest count accepted: pflag's int is 64-bit, but a count beyond 2^53 cannot be exact here. */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** A non-negative whole number ("--limit 10"). */
export function parseCount(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new InputError('use a whole number, 0 or more');
  const value = Number(text);
  if (value > MAX_COUNT) throw new InputError(`value out of range: at most ${MAX_COUNT}`);
  return value;
}

/** A prune filter: `label=KEY`, `label=KEY=VALUE`, `label!=KEY`, `label!=KEY=VALUE`. */
export function parseLabelFilter(text: string): { key: string; value?: string; negate: boolean } {
  const m = /^label(!?)=([^=]+)(?:=(.*))?$/.exec(text);
  if (!m) {
    const key = /^([a-z!]+)=/.exec(text)?.[1];
    if (key === 'until') throw new InputError('use --until for a time limit');
    throw new InputError('use label=KEY, label=KEY=VALUE, label!=KEY or label!=KEY=VALUE');
  }
  const [, negate, key, value] = m;
  return { key: key!, ...(value === undefined ? {} : { value }), negate: negate === '!' };
}


/** An image for --helper: a reference (name[:tag][@digest]) or an image ID, as docker reads them. */
export function parseImageReference(text: string): string {
  if (text === '') throw new InputError('name an image (busybox, alpine:3.19, an image ID)');
  const id = /^(?:sha256:)?[0-9a-f]{12,64}$/;
  const reference =
    /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;
  if (!id.test(text) && !reference.test(text)) throw new InputError('not an image reference (name[:tag], name@digest or an image ID)');
  return text;
}
