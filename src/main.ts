// The executable's entry point. The metadata handshake runs on every `docker` help, info and
// completion call, so it is answered before anything else is loaded: the rest of docker tidy is
// a separate script, loaded only for real commands (from the executable's embedded assets, with
// its V8 code cache, when running as the single executable).
import { createRequire } from 'node:module';
import { pluginMetadata } from './plugin/metadata.js';

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === 'docker-cli-plugin-metadata') {
  process.stdout.write(JSON.stringify(pluginMetadata) + '\n');
} else {
  void loadCli().then((cli) => cli.main(args));
}

type Cli = typeof import('./cli/run.js');

async function loadCli(): Promise<Cli> {
  const sea = await import('node:sea').catch(() => undefined);
  if (!sea?.isSea()) {
    // Not the single executable: from source (tests) or a plain bundle next to cli.cjs.
    return typeof __TIDY_BUNDLED__ === 'undefined'
      ? import('./cli/run.js')
      : (createRequire(__filename)('./cli.cjs') as Cli);
  }
  const vm = await import('node:vm');
  const source = sea.getAsset('cli.cjs', 'utf8');
  const cachedData = Buffer.from(sea.getAsset('cli.cache'));
  const script = new vm.Script(source, { filename: 'docker-tidy/cli.cjs', cachedData });
  const module = { exports: {} as Cli };
  const wrapper = script.runInThisContext() as (m: typeof module, r: NodeJS.Require) => void;
  wrapper(module, createRequire(process.execPath));
  return module.exports;
}

declare const __TIDY_BUNDLED__: boolean | undefined;
