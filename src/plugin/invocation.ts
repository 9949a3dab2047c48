// How docker ran us. The CLI parses its own global flags, then execs the plugin with the FULL
// original argument list: `docker --context foo tidy df` runs `docker-tidy --context foo tidy df`.
import type { GlobalOptions } from '../core/globals.js';
import { UsageError } from '../errors.js';

/** docker's global flags (cmd/docker/docker.go, cli/flags/options.go) that take a value. */
const VALUE_FLAGS: Record<string, string> = {
  '--config': 'config',
  '-c': 'context',
  '--context': 'context',
  '-H': 'host',
  '--host': 'host',
  '-l': 'log-level',
  '--log-level': 'log-level',
  '--tlscacert': 'tlscacert',
  '--tlscert': 'tlscert',
  '--tlskey': 'tlskey',
};

/** docker's boolean global flags. */
const BOOL_FLAGS: Record<string, string> = {
  '-D': 'debug',
  '--debug': 'debug',
  '--tls': 'tls',
  '--tlsverify': 'tlsverify',
};

export type Invocation =
  | { kind: 'run'; globals: GlobalOptions; args: string[] }
  | { kind: 'help'; globals: GlobalOptions; args: string[] }
  | { kind: 'complete'; globals: GlobalOptions; args: string[]; descriptions: boolean };

/** The plugin's name, as docker puts it in argv after the global flags. */
export const PLUGIN_NAME = 'tidy';

/** Splits argv into docker's global options and the plugin's own arguments. */
export function parseInvocation(argv: readonly string[]): Invocation {
  const globals: GlobalOptions = { argv: [], debug: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--' || !token.startsWith('-') || token === '-') break;
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    if (name in VALUE_FLAGS) {
      let value: string;
      if (eq > 0) {
        value = token.slice(eq + 1);
        globals.argv.push(token);
      } else if (i + 1 < argv.length) {
        value = argv[++i]!;
        globals.argv.push(token, value);
      } else {
        throw new UsageError(`flag needs an argument: ${token}`, 'docker');
      }
      setGlobal(globals, VALUE_FLAGS[name]!, value);
      continue;
    }
    // pflag shorthand forms: -Hvalue, -H=value, -cfoo.
    const short = token.slice(0, 2);
    if (!token.startsWith('--') && token.length > 2 && short in VALUE_FLAGS) {
      globals.argv.push(token);
      setGlobal(globals, VALUE_FLAGS[short]!, token.slice(2).replace(/^=/, ''));
      continue;
    }
    if (name in BOOL_FLAGS) {
      globals.argv.push(token);
      if (BOOL_FLAGS[name] === 'debug') globals.debug = eq > 0 ? token.slice(eq + 1) !== 'false' : true;
      continue;
    }
    // Anything else is not docker's: leave it for the plugin (standalone use: `docker-tidy --help`).
    break;
  }
  const rest = argv.slice(i);
  const [first, ...after] = rest;
  if (first === '__complete' || first === '__completeNoDesc') {
    // `docker __complete tidy ...` runs `docker-tidy __complete tidy ...`; bash's static script
    // runs `docker-tidy __completeNoDesc <words after the plugin name>`.
    const words = after[0] === PLUGIN_NAME ? after.slice(1) : after;
    return { kind: 'complete', globals, args: words, descriptions: first === '__complete' };
  }
  if (first === 'help' && after[0] === PLUGIN_NAME) {
    return { kind: 'help', globals, args: after.slice(1) };
  }
  // Run by docker: the plugin's name follows the globals. Standalone: it does not.
  return { kind: 'run', globals, args: first === PLUGIN_NAME ? after : rest };
}

function setGlobal(globals: GlobalOptions, key: string, value: string): void {
  if (key === 'host') globals.host = value;
  else if (key === 'context') globals.context = value;
  else if (key === 'config') globals.config = value;
}
