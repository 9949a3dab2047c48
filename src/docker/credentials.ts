// docker's credentials for a registry, found the way the docker CLI finds them: the config file
// (`--config`, DOCKER_CONFIG, ~/.docker) names a credential helper for the registry
// (`credHelpers`), else one for all (`credsStore`), else holds them itself (`auths`, base64
// "user:password" or an identity token). Read only for a registry that asks for them, once per run.
// Nothing here prints or logs a credential; errors say which helper failed, never what it said on
// success.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { credentialHelperGet } from './cli.js';
import type { DockerTarget } from './target.js';

/** What docker would send a registry for one server address. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth refresh token (`docker login` through a browser, or a helper's "<token>" user). */
  identityToken?: string;
  /** A bearer token to send as is. */
  registryToken?: string;
}

const AuthEntry = z.object({
  auth: z.optional(z.string()),
  username: z.optional(z.string()),
  password: z.optional(z.string()),
  identitytoken: z.optional(z.string()),
  registrytoken: z.optional(z.string()),
});
const ConfigFile = z.object({
  auths: z.optional(z.record(z.string(), z.nullable(AuthEntry))),
  credsStore: z.optional(z.string()),
  credHelpers: z.optional(z.record(z.string(), z.string())),
});
type ConfigFile = z.infer<typeof ConfigFile>;
const HelperAnswer = z.object({ Username: z.optional(z.string()), Secret: z.optional(z.string()) });

/** docker's config folder, as docker resolves it: --config, else DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(target: Pick<DockerTarget, 'globals' | 'env'>): string {
  return target.globals.config ?? target.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
}

/** "host[:port]" of a config key, as docker's ConvertToHostname: no scheme, no path. */
export function hostnameOfKey(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0]!;
}

/** The credentials in one `auths` entry (pure). */
export function credentialsOfEntry(entry: z.infer<typeof AuthEntry> | null | undefined): RegistryCredentials | undefined {
  if (!entry) return undefined;
  const out: RegistryCredentials = {};
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      out.username = decoded.slice(0, colon);
      out.password = decoded.slice(colon + 1);
    }
  } else if (entry.username !== undefined) {
    out.username = entry.username;
    if (entry.password !== undefined) out.password = entry.password;
  }
  if (entry.identitytoken) out.identityToken = entry.identitytoken;
  if (entry.registrytoken) out.registryToken = entry.registrytoken;
  return Object.keys(out).length ? out : undefined;
}

/** Where docker would look for `key`'s credentials in a config file: a helper's name, or the file itself (pure). */
export function credentialSource(config: ConfigFile, key: string): { helper: string } | { entry: z.infer<typeof AuthEntry> | null | undefined } {
  const helper = config.credHelpers?.[key] ?? config.credHelpers?.[hostnameOfKey(key)] ?? config.credsStore;
  if (helper) return { helper };
  const auths = config.auths ?? {};
  if (Object.hasOwn(auths, key)) return { entry: auths[key] };
  // Older config files keep "https://host/v1/"-style keys: docker compares their host names.
  const host = hostnameOfKey(key);
  const match = Object.keys(auths).find((k) => hostnameOfKey(k) === host);
  return { entry: match === undefined ? undefined : auths[match] };
}

/** Reads docker's credentials for registries, each key once per run. */
export class CredentialStore {
  private config: ConfigFile | undefined;
  private readonly found = new Map<string, Promise<{ credentials?: RegistryCredentials; problem?: string }>>();

  constructor(private readonly target: DockerTarget) {}

  /**
   * The credentials docker would use for `key` ("host:port", or Docker Hub's
   * "https://index.docker.io/v1/"), or why there are none that could be read (`problem`).
   */
  get(key: string): Promise<{ credentials?: RegistryCredentials; problem?: string }> {
    let pending = this.found.get(key);
    if (!pending) this.found.set(key, (pending = this.read(key)));
    return pending;
  }

  private async read(key: string): Promise<{ credentials?: RegistryCredentials; problem?: string }> {
    const config = this.configFile();
    if (typeof config === 'string') return { problem: config };
    const source = credentialSource(config, key);
    if ('entry' in source) {
      const credentials = credentialsOfEntry(source.entry);
      return credentials ? { credentials } : {};
    }
    let stdout: string;
    try {
      stdout = await credentialHelperGet(this.target, source.helper, key);
    } catch (error) {
      // Not logged in: helpers say "credentials not found"; that is no credentials, not a problem.
      const message = (error as Error).message;
      return /not found in|credentials not found/i.test(message) ? {} : { problem: message };
    }
    let answer: z.infer<typeof HelperAnswer>;
    try {
      answer = HelperAnswer.parse(JSON.parse(stdout));
    } catch {
      return { problem: `docker-credential-${source.helper} answered something that is not its JSON` };
    }
    if (!answer.Secret) return {};
    return answer.Username === '<token>' || !answer.Username
      ? { credentials: { identityToken: answer.Secret } }
      : { credentials: { username: answer.Username, password: answer.Secret } };
  }

  /** The parsed config file ({} when there is none), or why it cannot be used. */
  private configFile(): ConfigFile | string {
    if (this.config) return this.config;
    const path = join(dockerConfigDir(this.target), 'config.json');
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return (this.config = {});
      return `cannot read ${path}: ${(error as Error).message}`;
    }
    try {
      const parsed = ConfigFile.safeParse(text.trim() === '' ? {} : JSON.parse(text));
      if (!parsed.success) return `${path} is not a docker config file docker tidy understands`;
      return (this.config = parsed.data);
    } catch {
      return `${path} is not valid JSON`;
    }
  }
}

/** The X-Registry-Auth header docker sends the daemon with a pull: base64url of the auth config's JSON. */
export function registryAuthHeader(credentials: RegistryCredentials, serverAddress: string): string {
  const config = credentials.identityToken
    ? { identitytoken: credentials.identityToken, serveraddress: serverAddress }
    : credentials.registryToken
      ? { registrytoken: credentials.registryToken, serveraddress: serverAddress }
      : { username: credentials.username ?? '', password: credentials.password ?? '', serveraddress: serverAddress };
  return Buffer.from(JSON.stringify(config)).toString('base64url');
}
