// Patterns, in RE2 syntax (Go's regexp, which docker itself uses): matched in time linear in the
// text, so no pattern can hang on a long tag. Apart from the other parsers because re2js is
// loaded only when a pattern is given.
import { RE2JS, RE2JSException } from 're2js';
import { InputError } from './parse.js';

/** A compiled pattern: tested against a reference such as "repository:tag". */
export interface Pattern {
  /** The pattern as the user typed it. */
  readonly source: string;
  /** True when the pattern matches any part of `text`. */
  test(text: string): boolean;
}

/**
 * A regular expression in RE2 syntax (Go's regexp, which docker itself uses), matched in time
 * linear in the text: no backreferences or lookaround, so no pattern can hang on a long tag. An
 * empty pattern is refused: a script's empty variable must never select every image.
 */
export function parseRegex(text: string): Pattern {
  if (text === '') throw new InputError('an empty pattern matches every image; use "." to mean every image');
  try {
    const re = RE2JS.compile(text);
    return { source: text, test: (input) => re.test(input) };
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    throw new InputError(error.message.replace(/^error parsing regexp: /, ''));
  }
}

/**
 * A REPOSITORY[:TAG] argument as `docker image ls` reads it: a shell pattern (Go's path.Match:
 * `*` and `?` within one path component, `[...]` classes, `\\` escapes), tested against each
 * "repository:tag" and, failing that, each repository name (moby's reference.FamiliarMatch).
 */
export function parseReferencePattern(text: string): Pattern {
  if (text === '') throw new InputError('name a repository, optionally with :TAG (shell patterns * ? [...] allowed)');
  // docker.io/library/x is Docker Hub's x, which is how references are shown.
  const familiar = text.replace(/^(?:docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '');
  let re = '';
  for (let i = 0; i < familiar.length; i++) {
    const c = familiar[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < familiar.length) re += escapeRegex(familiar[++i]!);
    else if (c === '[') {
      const end = familiar.indexOf(']', i + 2);
      if (end < 0) throw new InputError(`syntax error in pattern: unterminated [ in "${text}"`);
      const body = familiar.slice(i + 1, end);
      re += `[${body.startsWith('^') ? '^' + escapeClass(body.slice(1)) : escapeClass(body)}]`;
      i = end;
    } else re += escapeRegex(c);
  }
  const compiled = RE2JS.compile(`^(?:${re})$`);
  return { source: text, test: (ref) => compiled.matches(ref) || (ref.lastIndexOf(':') > ref.lastIndexOf('/') && compiled.matches(ref.slice(0, ref.lastIndexOf(':')))) };
}

function escapeRegex(c: string): string {
  return /[\\^$.|?*+()[\]{}]/.test(c) ? `\\${c}` : c;
}

// Inside [...]: ranges (a-z) stay; anything RE2 would read otherwise is escaped.
function escapeClass(body: string): string {
  return body.replace(/[\\\]\[^]/g, (c) => `\\${c}`);
}
