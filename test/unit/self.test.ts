// Which container docker tidy runs in (src/docker/self.ts), from /proc/self/mountinfo. The fixture
// is `cat /proc/self/mountinfo` in a container of engine 28.5 (containerd store, private data root).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerIdFromMountinfo, ownContainerId } from '../../src/docker/self.js';

const inContainer = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'mountinfo-container-28.5.txt'), 'utf8');

describe('ownContainerId', () => {
  it("names the container whose hostname file docker mounted at /etc/hostname", () => {
    expect(containerIdFromMountinfo(inContainer)).toBe('68f0aff8990a3db51331ddd941a1500ba6729e0fe113958c6a5e01c4f5a709dc');
    expect(ownContainerId(() => inContainer)).toBe('68f0aff8990a3db51331ddd941a1500ba6729e0fe113958c6a5e01c4f5a709dc');
  });

  it('names none on a host, whose mounts include other containers\' files but not at /etc/hostname', () => {
    const id = 'a'.repeat(64);
    const host = [
      '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
      `310 22 0:61 / /var/lib/docker/containers/${id}/mounts/shm rw,nosuid,nodev,noexec,relatime shared:160 - tmpfs shm rw,size=65536k`,
      // The data root on its own filesystem: roots are relative to it, still not at /etc/hostname.
      `311 22 254:16 /containers/${id}/hostname /mnt/elsewhere rw,relatime - ext4 /dev/vdb rw`,
    ].join('\n');
    expect(containerIdFromMountinfo(host)).toBeUndefined();
    expect(containerIdFromMountinfo(host.replace('/mnt/elsewhere', '/etc/hostname'))).toBe(id);
  });

  it('names none where mountinfo cannot be read', () => {
    expect(
      ownContainerId(() => {
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      }),
    ).toBeUndefined();
  });
});
