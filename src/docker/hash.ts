// SHA-256, with Bun's native hasher in the executable: loading node:crypto there costs about 8 ms
// of CPU at start, as much as a small command's own work. Node (the tests) uses node:crypto.

interface BunHasher {
  update(text: string): BunHasher;
  digest(encoding: 'hex'): string;
}
const bun = (globalThis as { Bun?: { CryptoHasher: new (algorithm: string) => BunHasher } }).Bun;

/** The hex SHA-256 of a text (UTF-8). */
export function sha256Hex(text: string): string {
  if (bun) return new bun.CryptoHasher('sha256').update(text).digest('hex');
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex');
}
