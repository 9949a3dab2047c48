// The executable's entry point. The metadata handshake runs on every `docker` help, info and
// completion call, so it is answered before anything else is loaded.
import { pluginMetadata } from './plugin/metadata.js';

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === 'docker-cli-plugin-metadata') {
  process.stdout.write(JSON.stringify(pluginMetadata) + '\n');
} else {
  void import('./cli/run.js').then((cli) => cli.main(args));
}
