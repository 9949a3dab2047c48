// docker's global options as the user gave them: what the plugin reads from its command line and
// the adapter passes on to every docker it runs (so neither layer reaches into the other).

/** docker's global options as given, to prepend unchanged to every child docker call. */
export interface GlobalOptions {
  /** The tokens exactly as the user wrote them. */
  argv: string[];
  host?: string;
  context?: string;
  config?: string;
  debug: boolean;
}
