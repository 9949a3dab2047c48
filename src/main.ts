// The executable's entry point. The metadata handshake runs on every `docker` help, info and
// completion call, so it is answered before anything else is loaded: the rest of docker tidy is
// imported only for real commands (in the executable, a chunk of its own with bytecode made at
// build time: scripts/build.mjs).
import { pluginMetadata } from './plugin/metadata.js';

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === 'docker-cli-plugin-metadata') {
  // console.log, not process.stdout.write: in Bun the latter sets up a stream first (about 9 ms
  // of CPU, as much as the rest of the handshake). Both print the whole line before exit.
  console.log(JSON.stringify(pluginMetadata));
} else {
  void import('./cli/run.js').then((cli) => cli.main(args));
}
