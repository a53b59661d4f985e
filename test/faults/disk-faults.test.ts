/**
 * Disk and permission faults: a full disk while uv is unpacked is `disk_full` naming the
 * path, an unwritable CARAPACE_HOME is `permission_denied`. The real cases run on small
 * tmpfs mounts (this needs root, which the project's test machine has); where mount is
 * not allowed, each test says so and checks the same mapping through an injected error.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ArchiveSink } from '../../actors/download/archive-sink.ts';
import { fsFailure } from '../../actors/download/fs-errors.ts';
import { getInstallStatus } from '../../actors/check.ts';
import { installSkypilot } from '../../actors/install-skypilot.ts';
import { createInstaller } from '../../installer/installer.ts';
import { layoutOf } from '../../actors/layout.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import { InstallError, uvInstallFailureCode } from '../../machines/errors.ts';
import { STANDIN_SKY_VERSION, standinUvScript } from '../../demo/standin-uv.ts';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { hostTriple } from '../../demo/release.ts';
import { releaseEntries, tarGz } from './archives.ts';
import { leftovers, runDownload, serveArchive, VERSION } from './harness.ts';

const TRIPLE = hostTriple();
let work: string;
const mounts: string[] = [];

/** Mounts a tmpfs; false (and a note on stderr) when this machine does not allow it. */
async function tmpfs(dir: string, options: string): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  const result = await execa('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { reject: false });
  if (result.exitCode !== 0) {
    console.warn(`disk-faults: cannot mount a tmpfs (${String(result.stderr || result.message || result.exitCode).trim()}); using the fallback`);
    return false;
  }
  mounts.push(dir);
  return true;
}

/** An archive whose uv is 2 MB of random bytes: more than a 1 MB disk holds. */
function bigUvArchive(): Uint8Array {
  const entries = releaseEntries(TRIPLE, VERSION).map((e) => (e.path.endsWith('/uv') ? { ...e, body: randomBytes(2 * 1024 * 1024) } : e));
  return tarGz(entries);
}

function fullDisk(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 }));
    },
  });
}

let mirror: Mirror;
let archive: Uint8Array;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'disk-faults-'));
  archive = bigUvArchive();
  mirror = await startMirror({ version: VERSION, handler: serveArchive(archive) });
});

afterAll(async () => {
  await mirror.close();
  for (const dir of mounts) await execa('umount', ['-l', dir], { reject: false });
  await rm(work, { recursive: true, force: true });
});

describe('disk_full', () => {
  test('ENOSPC while unpacking uv is disk_full naming the path, and staging is removed', async () => {
    const disk = join(work, 'full');
    if (await tmpfs(disk, 'size=1m')) {
      const home = join(disk, 'carapace');
      const run = await runDownload({ CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
      expect(run.error?.code).toBe('disk_full');
      expect(run.error?.message).toMatch(new RegExp(`^no space left on the device holding ${home}/staging/carapace-uv-\\w+/uv$`));
      expect(run.error?.hint).toContain('Free some disk space');
      expect(await leftovers(home)).toEqual([]);
      // Only the first source's attempt ran: a full disk is not a network problem to retry.
      expect(mirror.downloads()).toBe(1);
    } else {
      const stage = await mkdtemp(join(work, 'stage-'));
      const sink = new ArchiveSink(stage, { createOutput: fullDisk });
      const error = await sink.write(archive).then(
        () => sink.finish(),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InstallError);
      expect((error as InstallError).code).toBe('disk_full');
      expect((error as InstallError).message).toBe(`no space left on the device holding ${stage}/uv`);
    }
  });

  test('an injected ENOSPC stops the sink at the chunk that hit it, naming the file', async () => {
    const stage = await mkdtemp(join(work, 'stage-'));
    const sink = new ArchiveSink(stage, { createOutput: fullDisk });
    let thrown: unknown = null;
    for (let at = 0; at < archive.byteLength && thrown === null; at += 16 * 1024) {
      thrown = await sink.write(archive.subarray(at, at + 16 * 1024)).then(
        () => null,
        (e: unknown) => e,
      );
    }
    expect(thrown).toBeInstanceOf(InstallError);
    expect((thrown as InstallError).code).toBe('disk_full');
    expect((thrown as InstallError).message).toBe(`no space left on the device holding ${stage}/uv`);
    expect(sink.offset).toBeLessThan(archive.byteLength);
    await sink.dispose();
  });
});

describe('disk_full in uv tool install', () => {
  test('uv running out of space is disk_full with the free space where it wrote, not uv_install_failed', async () => {
    const home = join(work, 'uv-full', 'carapace');
    const layout = layoutOf(home);
    await mkdir(layout.uvBinDir, { recursive: true });
    await writeFile(layout.uv, standinUvScript({ version: VERSION }), { mode: 0o755 });
    // Only the tool folders are small: uv itself and its cache sit on the roomy disk.
    if (!(await tmpfs(join(home, 'tools'), 'size=256k'))) {
      expect(uvInstallFailureCode('  Caused by: failed to copy file from /a to /b: No space left on device (os error 28)')).toBe('disk_full');
      return;
    }
    const settings = settingsFromEnv({ PATH: process.env.PATH ?? '/usr/bin:/bin', CARAPACE_HOME: home, STANDIN_UV_WHEEL_KB: '1024' });
    const error = await installSkypilot(
      { settings, deps: { fetch, now: Date.now }, uv_path: layout.uv, force: false, report: () => {} },
      new AbortController().signal,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstallError);
    expect((error as InstallError).code).toBe('disk_full');
    expect((error as InstallError).message).toMatch(
      new RegExp(`^uv tool install ran out of disk space: 0\\.\\d MB free on the device holding ${layout.generationsDir}/[0-9a-z]+-\\d+/\\.tmp-skypilot-nightly-\\d+/\\S+$`),
    );
    expect((error as InstallError).hint).toContain('Free some disk space');
    expect((error as InstallError).detail).toContain('No space left on device (os error 28)');
  });
});

describe('disk_full during an upgrade', () => {
  test('a disk that fills while the new version is built leaves the previous one current and runnable', async () => {
    const home = join(work, 'upgrade-full', 'carapace');
    const layout = layoutOf(home);
    await mkdir(layout.uvBinDir, { recursive: true });
    await writeFile(layout.uv, standinUvScript({ version: VERSION }), { mode: 0o755 });
    const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', CARAPACE_HOME: home, CARAPACE_UV_VERSION: VERSION };
    const tiny = await tmpfs(join(home, 'tools'), 'size=256k,mode=0700');
    expect(await createInstaller({ settings: settingsFromEnv(base) }).ensureSkypilot()).toMatchObject({ ok: true });
    // Without a tmpfs, a wheel bigger than any real disk has free makes dd fail the same way.
    const wheel = tiny ? '1024' : '1000000000000';
    const upgraded = await createInstaller({
      settings: settingsFromEnv({ ...base, STANDIN_UPGRADE_TO: '1.0.0.dev20260301', STANDIN_UV_WHEEL_KB: wheel }),
    }).upgrade();
    expect(upgraded).toMatchObject({ ok: false, error: { code: 'disk_full', phase: 'installing_skypilot' } });
    const status = await getInstallStatus(settingsFromEnv(base));
    expect(status).toMatchObject({ sky_installed: true, sky_version: STANDIN_SKY_VERSION });
    const sky = await execa(layout.sky, ['--version'], { reject: false });
    expect(sky.stdout).toBe(`skypilot, version ${STANDIN_SKY_VERSION}`);
    expect((await readdir(layout.generationsDir)).length).toBe(1);
  });
});

describe('permission_denied', () => {
  test('an unwritable CARAPACE_HOME is permission_denied naming it, before any download', async () => {
    const parent = join(work, 'readonly');
    let how: string;
    if (await tmpfs(parent, 'ro,size=64k')) {
      how = 'read-only tmpfs';
    } else if (process.getuid?.() !== 0) {
      await mkdir(parent, { recursive: true });
      await chmod(parent, 0o500);
      how = 'a 0500 folder';
    } else {
      console.warn('disk-faults: root without mount cannot make an unwritable folder; checking the EACCES mapping only');
      const mapped = fsFailure(Object.assign(new Error('EACCES: permission denied, mkdir'), { code: 'EACCES' }), parent);
      expect(mapped).toMatchObject({ code: 'permission_denied', message: `cannot write ${parent}` });
      return;
    }
    const home = join(parent, 'carapace');
    const before = mirror.requests.length;
    const run = await runDownload({ CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
    expect(run.error?.code, how).toBe('permission_denied');
    expect(run.error?.message).toContain(home);
    expect(mirror.requests.length).toBe(before);
    expect(await readdir(parent)).toEqual([]);
  });
});
