/**
 * Cancel and the watchdog through the real installer: `install.cancel` and a caller's abort
 * signal both end in `cancelled` with staging removed, and a running `uv tool install` (the
 * stand-in, held by STANDIN_UV_DELAY) loses its whole process group to a cancel or to
 * CARAPACE_INSTALL_TIMEOUT.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { liveInGroup } from '../process-group.ts';
import { readdir, readFile } from 'node:fs/promises';
import { downloadUv } from '../../actors/download-uv.ts';
import { createInstaller, type Installer } from '../../installer/installer.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import type { InstallProgress } from '../../machines/types.ts';
import { startMirror, streamBytes, type Mirror } from '../../demo/mirror.ts';
import { FAST_BACKOFF, leftovers, removeHome, tempHome, VERSION } from './harness.ts';

let stalling: Mirror;
let healthy: Mirror;
const homes: string[] = [];

beforeAll(async () => {
  // The archive stops after 64 KiB and hangs, so a cancel always lands mid-download.
  stalling = await startMirror({
    version: VERSION,
    padBytes: 300_000,
    handler: (_req, ctx) =>
      ctx.path.endsWith('.tar.gz')
        ? new Response(streamBytes(ctx.archive, { stallAfter: 64 * 1024 }), {
            headers: { 'content-length': String(ctx.archive.byteLength) },
          })
        : undefined,
  });
  healthy = await startMirror({ version: VERSION });
});

afterAll(async () => {
  await stalling.close();
  await healthy.close();
  for (const home of homes) await removeHome(home);
});

async function installerFor(mirror: Mirror, env: Record<string, string> = {}) {
  const home = await tempHome('cancel-home-');
  homes.push(home);
  const log = `${home}.uv.log`;
  const settings = settingsFromEnv({
    STANDIN_UV_LOG: log,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    CARAPACE_HOME: home,
    CARAPACE_UV_VERSION: VERSION,
    CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
    ...env,
  });
  const installer = createInstaller({
    settings,
    actors: { downloadUv: (input, signal) => downloadUv({ ...input, backoff: FAST_BACKOFF }, signal) },
  });
  return { installer, home, log };
}

function progressWhere(installer: Installer, ok: (p: InstallProgress) => boolean): Promise<InstallProgress> {
  return new Promise((resolve) => {
    const stop = installer.subscribe((event) => {
      if (event.type === 'install-progress' && ok(event.progress)) {
        stop();
        resolve(event.progress);
      }
    });
  });
}

async function until<T>(probe: () => Promise<T | null> | T | null, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** SIGKILL is delivered asynchronously: a member may take a moment to stop after the attempt reports. */
async function groupEnds(pgid: number): Promise<number[]> {
  await until(async () => ((await liveInGroup(pgid)).length === 0 ? true : null), `process group ${pgid} to end`, 10_000).catch(
    () => {},
  );
  return liveInGroup(pgid);
}

async function uvInstallPid(log: string): Promise<number> {
  return until(async () => {
    const text = await readFile(log, 'utf8').catch(() => '');
    const line = text.split('\n').find((l) => l.endsWith(' tool install'));
    return line ? Number(line.split(' ')[0]) : null;
  }, 'uv tool install to start');
}

describe('cancel during the download', () => {
  test('install.cancel ends in cancelled, and staging is gone when the attempt reports', async () => {
    const { installer, home } = await installerFor(stalling);
    const started = progressWhere(installer, (p) => (p.bytes_done ?? 0) > 0);
    const result = installer.ensureSkypilot();
    await started;
    expect((await readdir(`${home}/staging`)).length).toBe(1);
    installer.cancel('the user pressed Stop');
    const output = await result;
    expect(output.ok).toBe(false);
    if (!output.ok) expect(output.error).toMatchObject({ code: 'cancelled', phase: 'downloading_uv', message: 'the user pressed Stop' });
    expect(await leftovers(home)).toEqual([]);
  });

  test("the last caller's abort signal cancels the attempt and its cleanup follows", async () => {
    const { installer, home } = await installerFor(stalling);
    const started = progressWhere(installer, (p) => (p.bytes_done ?? 0) > 0);
    const controller = new AbortController();
    const result = installer.ensureSkypilot({ signal: controller.signal });
    await started;
    controller.abort();
    const output = await result;
    expect(output.ok ? null : output.error.code).toBe('cancelled');
    await until(() => (installer.phase() === null ? true : null), 'the attempt to end');
    expect(await leftovers(home)).toEqual([]);
  });
});

describe('uv tool install', () => {
  test('a cancel kills its whole process group', async () => {
    const { installer, log } = await installerFor(healthy, { STANDIN_UV_DELAY: '60' });
    const result = installer.ensureSkypilot();
    const pid = await uvInstallPid(log);
    expect(await liveInGroup(pid)).toContain(pid);
    installer.cancel();
    const output = await result;
    expect(output.ok ? null : output.error).toMatchObject({ code: 'cancelled', phase: 'installing_skypilot' });
    expect(await groupEnds(pid)).toEqual([]);
  });

  test('CARAPACE_INSTALL_TIMEOUT stops it with timeout and kills its process group', async () => {
    const { installer, log } = await installerFor(healthy, { STANDIN_UV_DELAY: '60', CARAPACE_INSTALL_TIMEOUT: '1' });
    const result = installer.ensureSkypilot();
    const pid = await uvInstallPid(log);
    const output = await result;
    expect(output.ok ? null : output.error).toMatchObject({ code: 'timeout', phase: 'installing_skypilot' });
    expect(output.ok ? '' : output.error.message).toBe('uv tool install did not finish within 1 s');
    expect(await groupEnds(pid)).toEqual([]);
  });
});
