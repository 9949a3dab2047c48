import pkg from '../../package.json' with { type: 'json' };

/** The answer to docker's `docker-cli-plugin-metadata` handshake. */
export const pluginMetadata = {
  // Clients up to 28.4 reject any SchemaVersion but exactly "0.1.0".
  SchemaVersion: '0.1.0',
  Vendor: 'docker-tidy',
  Version: pkg.version,
  ShortDescription: 'Show where disk space goes and remove images safely',
  URL: 'https://github.com/docker-tidy/docker-tidy',
} as const;

/** The plugin's own version, for --version. */
export const version: string = pkg.version;
