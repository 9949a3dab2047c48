// The docker contexts docker knows, as `docker context ls` lists them: their names and endpoints.
// docker reads its own context store (and DOCKER_HOST for "default"), so docker tidy never parses it.
import * as z from 'zod/mini';
import type { HostName } from '../core/hosts.js';
import { TidyError } from '../errors.js';
import { dockerRead } from './cli.js';
import type { DockerTarget } from './target.js';

/** One line of `docker context ls --format '{{json .}}'` (docker 20.10 and 28 both print these fields). */
const ContextLine = z.object({ Name: z.string(), DockerEndpoint: z.optional(z.string()) });

/** Every context, in docker's order ("default" first, then by name), with its docker endpoint. */
export async function listContexts(target: DockerTarget): Promise<HostName[]> {
  const text = await dockerRead(target, ['context', 'ls', '--format', '{{json .}}']);
  return parseContextList(text);
}

/** What `docker context ls --format '{{json .}}'` printed, as names and endpoints. Pure. */
export function parseContextList(text: string): HostName[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      let parsed;
      try {
        parsed = ContextLine.safeParse(JSON.parse(line));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) throw new TidyError(`docker context ls printed a line docker tidy cannot read: ${JSON.stringify(line.slice(0, 120))}`);
      return { context: parsed.data.Name, endpoint: parsed.data.DockerEndpoint ?? '' };
    });
}
