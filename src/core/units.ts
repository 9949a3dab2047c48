// Docker's units: sizes in decimal units ("1.98MB", go-units HumanSizeWithPrecision) and
// durations as `docker image ls` prints them ("2 weeks ago", go-units HumanDuration).

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Go's fmt "%.{precision}g". */
function formatG(value: number, precision: number): string {
  let text = value.toPrecision(precision);
  if (text.includes('e')) {
    // Go writes at least two exponent digits and drops trailing zeros: "1e+03".
    const [mantissa = '', exponent = ''] = text.split('e');
    const m = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
    const sign = exponent.startsWith('-') ? '-' : '+';
    const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
    return `${m}e${sign}${digits}`;
  }
  if (text.includes('.')) text = text.replace(/\.?0+$/, '');
  return text;
}

/**
 * A byte count the way docker prints it: `docker system df` uses precision 4 ("1.984MB"),
 * `docker image ls` precision 3 ("1.98MB").
 */
export function formatBytes(bytes: number, precision = 3): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    unit += 1;
  }
  return formatG(size, precision) + DECIMAL_UNITS[unit];
}

/** A span of `seconds` as docker words it ("3 days", "About an hour"). */
export function formatDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const minutes = Math.floor(s / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(s / 3600 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(s / 3600 / 24 / 365)} years`;
}

/** "<duration> ago" for a creation time, relative to `now` (both Unix seconds). */
export function formatAge(created: number, now: number): string {
  return `${formatDuration(now - created)} ago`;
}
