// EngineClient against a small real HTTP server on a unix socket (a daemon that is slow on one
// request): a request that runs out of time fails alone, and the requests beside it finish.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src/docker/engine.js';
import { dockerTarget } from '../../src/docker/target.js';

describe('EngineClient, one slow request among several', () => {
  let dir: string;
  let server: http.Server;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tidy-engine-client-'));
    server = http.createServer((req, res) => {
      const send = (body: unknown) => {
        res.setHeader('Api-Version', '1.43');
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(body));
      };
      if (req.url === '/_ping') return send('OK');
      if (req.url?.endsWith('/never')) return; // never answers
      setTimeout(() => send({ path: req.url }), 800);
    });
    await new Promise<void>((resolve) => server.listen(join(dir, 'docker.sock'), resolve));
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails the request that timed out with its own error, and the requests beside it finish', async () => {
    const env = { DOCKER_HOST: `unix://${join(dir, 'docker.sock')}`, DOCKER_CONFIG: dir, DOCKER_TIDY_TIMEOUT: '1' };
    const client = await new EngineClient(dockerTarget({ argv: [], debug: false }, new AbortController().signal, env)).connect();
    client.setConnections(4);
    try {
      // /never times out at 1 s; the three others start at 0.6 s and are answered at 1.4 s, within
      // their own second. At 1 s they are in flight on connections of the same pool.
      const never = client.getJson('/never', 'GET /never');
      const others = new Promise((r) => setTimeout(r, 600)).then(() =>
        Promise.all([1, 2, 3].map((n) => client.getJson(`/slow/${n}`, `GET /slow/${n}`))),
      );
      await expect(never).rejects.toThrow(/^GET \/never: no answer from docker within 1s$/);
      expect(await others).toEqual([1, 2, 3].map((n) => ({ path: `/v1.43/slow/${n}` })));
    } finally {
      client.close();
    }
  });
});
