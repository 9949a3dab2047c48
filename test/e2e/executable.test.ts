// What the Bun-built executable must not do that Bun's compiled executables do by default: read a
// .env file or bunfig.toml from the directory it runs in (either could point docker tidy at another
// daemon, or make it run code, from any folder a user happens to be in).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeE2E, scratchDir, userEnv, world, type Ran } from './harness.js';

function runIn(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(world.exe!, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describeE2E('the executable in a folder with .env and bunfig.toml', () => {
  it('reads neither: the daemon is the one docker names, and no preload runs', async () => {
    const dir = scratchDir('cwd');
    const marker = join(dir, 'preload-ran');
    writeFileSync(join(dir, '.env'), 'DOCKER_HOST=unix:///nonexistent/docker.sock\nDOCKER_TIDY_TIMEOUT=abc\n');
    writeFileSync(join(dir, 'evil.ts'), `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
    writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["./evil.ts"]\n');
    const r = await runIn(dir, ['df', '--json'], userEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).images.total).toBeGreaterThan(0);
    const hs = await runIn(dir, ['docker-cli-plugin-metadata'], userEnv());
    expect(hs).toMatchObject({ code: 0, stderr: '' });
    expect(existsSync(marker)).toBe(false);
  });
});
