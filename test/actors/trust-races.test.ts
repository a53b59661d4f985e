/**
 * What another user could put in place between the trust check and the use of a path, and
 * files that never end: found in review (a home not made yet under /tmp, a link from the home
 * to a missing name in /tmp, a path longer than PATH_MAX the kernel still resolves, /dev/zero
 * where a receipt belongs). Each test fails on the code before its fix.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getInstallStatus } from '../../actors/check.ts';
import { readText } from '../../actors/tool-env.ts';
import { assertTrusted } from '../../actors/trust.ts';
import { statusSettingsFromEnv } from '../../installer/status-settings.ts';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'carapace-trust-races-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('a path that appears after the check', () => {
  test('a home missing when checked is read no further, though it appears before the read goes on', async () => {
    const home = join(base, 'home');
    const marker = join(base, 'uv-ran');
    const reading = getInstallStatus(statusSettingsFromEnv({ CARAPACE_HOME: home, PATH: process.env.PATH }));
    // The check ran synchronously inside the call; what follows is another user's link landing
    // before the read resumes: a home whose uv would run.
    await mkdir(join(home, 'uv', 'bin'), { recursive: true });
    await writeFile(join(home, 'uv', 'bin', 'uv'), `#!/bin/sh\ntouch '${marker}'\necho 'uv 0.10.2'\n`, { mode: 0o755 });
    const status = await reading;
    expect(status).toMatchObject({ uv_installed: false, sky_installed: false });
    expect(await stat(marker).catch(() => null)).toBeNull();
  });

  test('a link from the home to a missing name in a folder every user can write is refused', async () => {
    const open = join(base, 'open');
    await mkdir(open, { mode: 0o777 });
    await chmod(open, 0o1777); // as /tmp
    const home = join(base, 'home');
    await mkdir(home, { mode: 0o700 });
    await symlink(join(open, 'not-yet'), join(home, 'tools'));
    await expect(assertTrusted(home, [join(home, 'tools', 'bin', 'sky')])).rejects.toMatchObject({
      code: 'home_not_trusted',
      message: expect.stringContaining(`${join(open, 'not-yet')} does not exist, in ${open}, which every user can write`),
    });
  });

  test('a missing home in a folder every user can write is not refused: nothing under it is read', async () => {
    const open = join(base, 'open');
    await mkdir(open, { mode: 0o777 });
    await chmod(open, 0o1777);
    const home = join(open, 'home');
    await expect(assertTrusted(home, [join(home, 'uv', 'bin', 'uv')])).resolves.toBeUndefined();
  });
});

describe('a path the walk cannot see', () => {
  test('a folder deeper than PATH_MAX, which the kernel reaches link by link, is refused, not taken as missing', async () => {
    const home = join(base, 'home');
    await mkdir(home, { mode: 0o700 });
    // 22 folders of 200 characters: 4,400 characters below the home, made one `cd` at a time.
    const name = 'd'.repeat(200);
    const made = spawnSync('bash', ['-c', `cd "$1" && for i in $(seq 22); do mkdir -m 700 "$2" && cd "$2" || exit 1; done`, 'deep', home, name]);
    expect(made.status).toBe(0);
    const deep = join(home, ...Array<string>(22).fill(name), 'uv');
    await expect(assertTrusted(home, [deep])).rejects.toMatchObject({
      code: 'home_not_trusted',
      message: expect.stringContaining('cannot be checked (ENAMETOOLONG)'),
    });
  });
});

describe('readText', () => {
  test('a link to /dev/zero, a FIFO or a file past 1 MiB reads as nothing (read whole, /dev/zero would never end)', async () => {
    await symlink('/dev/zero', join(base, 'zero'));
    expect(spawnSync('mkfifo', [join(base, 'fifo')]).status).toBe(0);
    await writeFile(join(base, 'big'), Buffer.alloc(2 * 1024 * 1024, 'x'));
    expect(readText(join(base, 'zero'))).toBeNull();
    expect(readText(join(base, 'zero'), 1024)).toBeNull();
    expect(readText(join(base, 'fifo'))).toBeNull();
    expect(readText(join(base, 'big'))).toBeNull();
  });

  test('a regular file is read whole, or its head when asked, without a BOM', async () => {
    await writeFile(join(base, 'receipt'), '\ufeff[tool]\nrequirements = []\n');
    expect(readText(join(base, 'receipt'))).toBe('[tool]\nrequirements = []\n');
    expect(readText(join(base, 'receipt'), 10)).toBe('[tool]\n'); // 3 bytes of BOM, then 7
    await writeFile(join(base, 'empty'), '');
    expect(readText(join(base, 'empty'))).toBe('');
  });
});
