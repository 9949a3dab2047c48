// What the benchmark scripts share: the Engine API over a daemon's unix socket, and small tars.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A function calling the Engine API on `socketPath`; JSON in and out, tars as Buffers. */
export function engineApi(socketPath) {
  return (method, path, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const headers = { Host: 'docker', ...(data ? { 'Content-Type': contentType, 'Content-Length': data.length } : {}) };
      const req = http.request({ socketPath, method, path, headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
          else resolve(text && res.headers['content-type']?.includes('json') ? JSON.parse(text) : text);
        });
      });
      req.on('error', reject);
      req.end(data);
    });
}

const scratch = mkdtempSync(join(tmpdir(), 'tidy-bench-tar-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** A tar holding one file of `bytes` random bytes, made by the system's tar. */
export function tarWithFile(name, bytes) {
  writeFileSync(join(scratch, name), randomBytes(bytes));
  const tar = execFileSync('tar', ['-c', '-C', scratch, name]);
  rmSync(join(scratch, name));
  return tar;
}

/** Runs fn(0..n-1) with at most `limit` calls in flight. */
export async function pool(n, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}
