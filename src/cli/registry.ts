// Every command of `docker tidy`, listed once, as specs: names, help and options. A command's
// work is a module of its own, loaded only when it runs (help and completion load none of them).
import { defineCommand, type CommandSpec } from './command.js';
import { dfOptions, imagesOptions, listingOptions, logsOptions, pruneOptions, rmOptions } from './options.js';

export const df = defineCommand({
  name: 'df',
  summary: 'Show docker disk usage with exact bytes and layer-aware reclaimable space',
  usage: '[OPTIONS]',
  description: [
    'Show docker disk usage with exact bytes.',
    'Images RECLAIMABLE is what removing every image that no container uses would really free: a layer shared with an image in use is not counted, a layer shared by two unused images counts once.',
    "Container logs are the containers' log files, rotated ones included, which no docker command shows: read on this machine when they can be, else through a short-lived read-only helper container on the daemon (--helper IMAGE names its image). RECLAIMABLE is the logs of containers that are not running: they go when those containers go.",
  ],
  options: dfOptions,
  load: () => import('./commands/df.js'),
});

export const logs = defineCommand({
  name: 'logs',
  summary: 'List containers by the size of their log files, and what would cap them',
  usage: '[OPTIONS]',
  description: [
    "List every container by the size of its log files (rotated ones and docker's cache for `docker logs` included), largest first, with its logging driver and rotation. Marks the logs that keep every line (the default json-file driver without max-size) and prints the daemon.json setting and the --log-opt options that would cap them. Never truncates or changes a log file.",
    'Sizes are read on this machine when the files can be; else (a remote daemon, Docker Desktop, no permission) through a short-lived, read-only helper container on the daemon, from the image named with --helper, else docker-tidy/helper, else a local busybox, alpine, debian or ubuntu image (never pulled), removed afterwards. DOCKER_TIDY_LOGS_VIA=local or =helper picks one way.',
  ],
  options: logsOptions,
  load: () => import('./commands/logs.js'),
});

/** What the listings' help says of --check-registry. */
const CHECK_REGISTRY_HELP =
  "--check-registry asks each image's registry (through the daemon's mirrors for Docker Hub names, with docker's credentials) whether it still has the image's digests: FLAGS then says local-only where none has, unverified where no registry could answer. No registry is contacted without it.";

/** A listing: images, or unused ones; both take REPOSITORY[:TAG], the same filters and --check-registry. */
function listing<Opts extends typeof listingOptions>(spec: Pick<CommandSpec<Opts>, 'name' | 'summary' | 'description' | 'options' | 'load'> & { aliases?: string[] }): CommandSpec<Opts> {
  const description = [...(spec.description ?? []), CHECK_REGISTRY_HELP];
  return defineCommand({ ...spec, description, usage: '[OPTIONS] [REPOSITORY[:TAG]]', arguments: { kind: 'images', max: 1 } });
}

export const images = listing({
  name: 'images',
  aliases: ['ls'],
  summary: 'List images with exact sizes, sorted and filtered',
  description: [
    'List images with exact sizes, one row per reference, largest first.',
    "UNIQUE is what removing the image alone frees: the bytes of layers no other image holds. REPOSITORY[:TAG] works as for docker image ls (shell patterns * ? [...]). Filters combine with AND. --match and --exclude test regular expressions against \"repository:tag\" (an untagged image is \"<none>:<none>\"), anywhere in it unless anchored (^, $). Patterns are RE2 syntax, as in Go's regexp: no backreferences or lookaround, matched in linear time; an empty pattern is refused.",
  ],
  options: imagesOptions,
  load: () => import('./commands/images.js'),
});

export const unused = listing({
  name: 'unused',
  summary: 'List the images no container uses, and what removing them frees',
  description: [
    'List the images that no container, running or stopped, uses (by image ID), and exactly how many bytes removing them all would free: a layer another image still holds frees nothing, a layer shared only by these images counts once.',
  ],
  options: listingOptions,
  load: () => import('./commands/unused.js'),
});

export const rm = defineCommand({
  name: 'rm',
  aliases: ['rmi'],
  summary: 'Remove images by name, regex, age or size, safely, with a preview',
  usage: '[OPTIONS] [IMAGE...]',
  description: [
    'Remove images selected by name (IMAGE: name, name:tag, full or short ID, name@digest) and/or --match. --unused, --dangling, --older-than, --newer-than and --larger-than narrow that selection, or select from all images when used alone. A selected tag is untagged; an image is deleted when none of its tags remains; an image ID or digest selects the image with all its tags.',
    'Never removed: images a running container uses. Kept unless asked: images used by stopped containers (--with-containers), images that exist only on this host (--include-local, --save). Shows the plan and asks first; -f skips the question; --dry-run only shows the plan. --save and --include-local cannot be combined (one keeps a copy, the other does not).',
    "Before a tagged image is deleted for good, its registry is asked whether it still has the image's digests (a HEAD of the manifest by digest, which Docker Hub does not count as a pull): if not, the image is kept as existing only on this host. With no answer it is kept on the containerd image store, and goes on the classic store (where a digest means it was pushed or pulled), with a note.",
    "--match and --exclude patterns are RE2 syntax, as in Go's regexp (no backreferences or lookaround, matched in linear time), tested against \"repository:tag\"; an empty one is refused.",
  ],
  options: rmOptions,
  arguments: { kind: 'images' },
  load: () => import('./commands/rm.js'),
});

export const prune = defineCommand({
  name: 'prune',
  summary: 'Remove stopped containers, unused images, networks, volumes and build cache, safely, with a preview',
  usage: '[OPTIONS]',
  description: [
    'With no category flag, remove what docker system prune removes: stopped containers (exited, created, dead), dangling images, unused networks and build cache, in that order, so an image used only by a container the sweep removes goes too. -a adds every unused image (and all unused build cache); --volumes adds unused anonymous volumes, --all-volumes named ones too, on every engine. --containers, --images, --networks, --build-cache pick only those categories (with --volumes or --all-volumes if given).',
    '--until: containers by when they stopped; images by when they were last used where known (the newest stop time of a container made from them, else when they were tagged or pulled here, else when they were created); networks by when they were created; build cache by when it was last used. Volumes have no such time: one stays while a container it belongs to stays.',
    '--keep-under SIZE: remove unused images, least recently used first, only until all images together take at most SIZE; if images in use or protected keep it above, says by how much.',
    'Never removed: running containers and what they use. Kept unless asked: images that exist only on this host (--include-local, --save), as rm decides by asking their registries. Networks are kept while any container, even a stopped one that stays, is attached. Build-cache records have no labels: --filter label leaves them.',
    'Refused as meaningless or contradictory (exit 125): --quiet with --json, --save with --include-local, --keep-under with category flags that leave out --images.',
  ],
  options: pruneOptions,
  load: () => import('./commands/prune.js'),
});

/** Any command, whatever its options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandSpec<any>;

/** The commands, in the order --help lists them. */
export const commands: readonly AnyCommand[] = [df, logs, images, unused, rm, prune];

/** The command a word names (its name or an alias), if any. */
export function findCommand(word: string): AnyCommand | undefined {
  return commands.find((c) => c.name === word || c.aliases?.includes(word));
}
