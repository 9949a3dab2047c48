// The container docker tidy itself runs in, when it runs in one: a Swarm job's task, `docker run`
// with the daemon's socket mounted, a CI job in a container. The daemon marks a container as
// running only once its process has started, and a compiled executable lists containers within
// milliseconds of its start: its own container can still be listed as "created", which prune
// would then try to remove (and fail on: seen as a Swarm job task exiting 1 on engine 28.5).
import { readFileSync } from 'node:fs';

/**
 * The ID of the container whose /etc/hostname is mounted into this process's mount namespace:
 * docker bind-mounts DATA_ROOT/containers/ID/hostname there for every container it starts (both
 * image stores). Undefined outside a container, or where /proc cannot be read (not Linux).
 */
export function ownContainerId(read: () => string = () => readFileSync('/proc/self/mountinfo', 'utf8')): string | undefined {
  try {
    return containerIdFromMountinfo(read());
  } catch {
    return undefined;
  }
}

/** From /proc/self/mountinfo's text: fields are ID PARENT MAJ:MIN ROOT MOUNT-POINT ... */
export function containerIdFromMountinfo(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const [, , , root, mountPoint] = line.split(' ');
    if (mountPoint !== '/etc/hostname' || !root) continue;
    const m = /\/containers\/([0-9a-f]{64})\/hostname$/.exec(root);
    if (m) return m[1];
  }
  return undefined;
}
