// Text that reaches a terminal: names, labels and the daemon's messages may carry control
// characters (terminal escapes); they are shown as "?".

/** Replaces control characters (terminal escapes in an image name or label) with "?". */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** The same for text of several lines: each line sanitized, the line breaks kept. */
export function sanitizeLines(text: string): string {
  return text.split('\n').map(sanitize).join('\n');
}

/** The 12-character ID docker shows, without "sha256:". */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
