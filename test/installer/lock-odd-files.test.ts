/**
 * Something other than a lock file at install.lock (a FIFO, a link, a folder): read as a
 * lock, a FIFO hung the installer for good, past SIGTERM, and a link to /dev/zero read until
 * killed. Each is now `locked`, naming the path, and is left where it is.
 */
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from '../../installer/lock.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-lock-odd-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cases: Array<[string, (path: string) => Promise<unknown>, string]> = [
  ['a FIFO', async (path) => spawnSync('mkfifo', [path]), 'is a FIFO or a device, not the install lock'],
  ['a link to /dev/zero', (path) => symlink('/dev/zero', path), 'is a link, not the install lock'],
  ['a dangling link', (path) => symlink(join(dir, 'nowhere'), path), 'is a link, not the install lock'],
  ['a folder', (path) => mkdir(path), 'is a folder, not the install lock'],
];

for (const [what, make, says] of cases) {
  test(`${what} at install.lock is refused as locked and left in place`, async () => {
    const path = join(dir, 'install.lock');
    await make(path);
    await expect(acquireLock(path, { pollMs: 10 })).rejects.toMatchObject({ code: 'locked', message: `${path} ${says}` });
    expect(await lstat(path).catch(() => null)).not.toBeNull();
  });
}
