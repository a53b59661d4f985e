/**
 * The inotify watch behind the status memo (installer/disk-watch.ts), against the real kernel:
 * a change is seen by the very next quiet(), synchronously, and nothing is left open.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inotifyWatch, type DiskWatch, type Interest } from '../../installer/disk-watch.ts';

const linux = process.platform === 'linux';
/** A bind mount needs root (CAP_SYS_ADMIN); tried once on a scratch folder. */
const canMount = (() => {
  if (!linux || process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(join(tmpdir(), 'mount-probe-'));
  const ok = Bun.spawnSync(['mount', '--bind', dir, dir]).exitCode === 0;
  if (ok) Bun.spawnSync(['umount', dir]);
  rmSync(dir, { recursive: true, force: true });
  return ok;
})();

const openFds = () => readdirSync('/proc/self/fd').length;

let dir: string;
let watch: DiskWatch;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'disk-watch-'));
  watch = inotifyWatch()!;
});
afterEach(() => {
  watch?.close();
  rmSync(dir, { recursive: true, force: true });
});

const arm = (targets: Record<string, string[] | null>) =>
  watch.arm(new Map(Object.entries(targets).map(([path, names]): [string, Interest] => [path, names && new Set(names)])));

describe.skipIf(!linux)('inotifyWatch', () => {
  test('is there on Linux', () => {
    expect(watch).not.toBeNull();
  });

  test('quiet until an entry changes; the change shows on the very next call and stays until armed again', () => {
    expect(arm({ [dir]: null })).toBe(true);
    expect([watch.quiet(), watch.quiet(), watch.quiet()]).toEqual([true, true, true]);
    writeFileSync(join(dir, 'new'), '');
    expect(watch.quiet()).toBe(false);
    expect(watch.quiet()).toBe(false);
    expect(arm({ [dir]: null })).toBe(true);
    expect(watch.quiet()).toBe(true);
  });

  test('a folder watched for some names passes over other entries, not over itself or those names', () => {
    mkdirSync(join(dir, 'keep'));
    const names = { [dir]: ['keep'] };
    expect(arm(names)).toBe(true);
    writeFileSync(join(dir, 'other'), 'x');
    rmSync(join(dir, 'other'));
    expect(watch.quiet()).toBe(true);
    chmodSync(dir, 0o755);
    expect(watch.quiet()).toBe(false);
    arm(names);
    chmodSync(join(dir, 'keep'), 0o777);
    expect(watch.quiet()).toBe(false);
    arm(names);
    renameSync(join(dir, 'keep'), join(dir, 'kept'));
    expect(watch.quiet()).toBe(false);
  });

  test('many events about other entries are read past, over several reads of the queue', () => {
    expect(arm({ [dir]: ['wanted'] })).toBe(true);
    // About 40 bytes an event: 3,000 files are three reads of the 64 KiB buffer.
    for (let i = 0; i < 3000; i++) writeFileSync(join(dir, `noise-${i}`), '');
    expect(watch.quiet()).toBe(true);
    writeFileSync(join(dir, 'wanted'), '');
    expect(watch.quiet()).toBe(false);
  });

  test('a file is watched as itself: a chmod through a hard link in another folder shows', () => {
    const file = join(dir, 'uv');
    writeFileSync(file, '#!/bin/sh\n', { mode: 0o755 });
    const elsewhere = mkdtempSync(join(tmpdir(), 'disk-watch-other-'));
    try {
      linkSync(file, join(elsewhere, 'same-inode'));
      expect(arm({ [dir]: ['uv'], [file]: null })).toBe(true);
      chmodSync(join(elsewhere, 'same-inode'), 0o777);
      expect(watch.quiet()).toBe(false);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('a missing path is watched through the nearest folder there: its creation shows', () => {
    expect(arm({ [join(dir, 'a/b/c')]: null })).toBe(true);
    mkdirSync(join(dir, 'a'));
    expect(watch.quiet()).toBe(false);
  });

  test('a folder watched for a name through a link is watched where the link leads (a link has no entries)', () => {
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect(arm({ [join(dir, 'link')]: ['uv'] })).toBe(true);
    mkdirSync(join(dir, 'real/uv'));
    expect(watch.quiet()).toBe(false);
  });

  test('a link watched as itself is not followed: a change where it leads is not its change', () => {
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect(arm({ [join(dir, 'link')]: null })).toBe(true);
    writeFileSync(join(dir, 'real/other'), '');
    expect(watch.quiet()).toBe(true);
  });

  test('a name in a link to nothing cannot be watched: arm refuses, so the caller stats', () => {
    symlinkSync(join(dir, 'not-yet'), join(dir, 'link'));
    expect(arm({ [join(dir, 'link/uv')]: null })).toBe(false);
  });

  test.skipIf(!canMount)('a bind mount over a watched folder shows, though it is no inotify event', () => {
    const over = mkdtempSync(join(tmpdir(), 'disk-watch-over-'));
    mkdirSync(join(dir, 'sub'));
    try {
      expect(arm({ [join(dir, 'sub')]: null })).toBe(true);
      expect(Bun.spawnSync(['mount', '--bind', over, join(dir, 'sub')]).exitCode).toBe(0);
      expect(watch.quiet()).toBe(false);
    } finally {
      Bun.spawnSync(['umount', join(dir, 'sub')]);
      rmSync(over, { recursive: true, force: true });
    }
  });

  test('a filesystem whose changes may come from elsewhere is not watched: the caller stats instead', () => {
    expect(arm({ '/proc/self': null })).toBe(false);
    expect(watch.quiet()).toBe(false);
  });

  test('no descriptor is left behind, however often it is armed and changed', () => {
    const before = openFds();
    for (let i = 0; i < 300; i++) {
      arm({ [dir]: null });
      writeFileSync(join(dir, 'f'), String(i));
      expect(watch.quiet()).toBe(false);
    }
    arm({ [dir]: null });
    expect(openFds()).toBeLessThanOrEqual(before + 2); // the inotify queue and the mount table
    watch.close();
    expect(openFds()).toBe(before);
  });
});
