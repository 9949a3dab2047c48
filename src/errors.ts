// Typed errors: code below the entry point throws these; only the entry point picks the exit code.

/** A mistake in how the command was called: docker exits 125 for these. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** The command whose --help to point at, e.g. "docker tidy df". */
  constructor(message: string, readonly helpCommand?: string) {
    super(message);
  }
}

/** A failure while doing the work (docker missing, daemon unreachable, bad output): exit 1. */
export class TidyError extends Error {
  override name = 'TidyError';
  /** What the user can do about it, printed on its own line. */
  constructor(message: string, readonly hint?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The work was interrupted (Ctrl-C, SIGTERM, the docker CLI went away): exit 130. */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(message = 'interrupted') {
    super(message);
  }
}
