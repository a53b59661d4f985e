/**
 * Timeouts mean what they say: 0 is no limit for every timeout variable, and a value past
 * what a timer can hold (2^31-1 ms, about 24.8 days) is no limit too, where it used to fire
 * at once. Through the real download and, for the install and verify timeouts, the real
 * installer with the stand-in uv.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { downloadUv } from '../../actors/download-uv.ts';
import { createInstaller } from '../../installer/installer.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import { startMirror, streamBytes, type Mirror } from '../../demo/mirror.ts';
import { FAST_BACKOFF, removeHome, runDownload, tempHome, VERSION } from './harness.ts';

/** One second past the timer's cap, in seconds: 2147484 s is 2,147,484,000 ms > 2^31-1. */
const PAST_CAP = '2147484';

let mirror: Mirror;
let slow: Mirror;
const homes: string[] = [];

beforeAll(async () => {
  mirror = await startMirror({ version: VERSION });
  // Headers after 100 ms and the body in pieces 50 ms apart: a timer that fires at once
  // (setTimeout past its cap waits 1 ms) cannot lose this race on a fast loopback.
  slow = await startMirror({
    version: VERSION,
    padBytes: 100_000,
    handler: (_req, ctx) =>
      ctx.path.endsWith('.tar.gz')
        ? new Promise<Response>((resolve) =>
            setTimeout(
              () =>
                resolve(
                  new Response(streamBytes(ctx.archive, { chunk: 32 * 1024, delayMs: 50 }), {
                    headers: { 'content-length': String(ctx.archive.byteLength) },
                  }),
                ),
              100,
            ),
          )
        : undefined,
  });
});

afterAll(async () => {
  await mirror.close();
  await slow.close();
  for (const home of homes) await removeHome(home);
});

async function home(): Promise<string> {
  const path = await tempHome('timeout-home-');
  homes.push(path);
  return path;
}

test('connect and stall timeouts of 0 wait as long as it takes, not fail at once', async () => {
  const run = await runDownload({
    CARAPACE_HOME: await home(),
    CARAPACE_UV_DOWNLOAD_BASE: slow.base,
    CARAPACE_CONNECT_TIMEOUT: '0',
    CARAPACE_STALL_TIMEOUT: '0',
  });
  expect(run.error).toBeNull();
  expect(run.ok?.uv_version).toBe(VERSION);
});

test('connect, stall and low-speed times past the timer cap are no limit', async () => {
  const run = await runDownload({
    CARAPACE_HOME: await home(),
    CARAPACE_UV_DOWNLOAD_BASE: slow.base,
    CARAPACE_CONNECT_TIMEOUT: PAST_CAP,
    CARAPACE_STALL_TIMEOUT: PAST_CAP,
    CARAPACE_LOW_SPEED_TIME: PAST_CAP,
  });
  expect(run.error).toBeNull();
  expect(run.ok?.uv_version).toBe(VERSION);
});

test('install and verify timeouts past the timer cap let a whole install finish', async () => {
  const carapace = await home();
  const settings = settingsFromEnv({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    STANDIN_UV_LOG: `${carapace}.uv.log`,
    CARAPACE_HOME: carapace,
    CARAPACE_UV_VERSION: VERSION,
    CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
    CARAPACE_INSTALL_TIMEOUT: PAST_CAP,
    CARAPACE_VERIFY_TIMEOUT: PAST_CAP,
  });
  const installer = createInstaller({
    settings,
    actors: { downloadUv: (input, signal) => downloadUv({ ...input, backoff: FAST_BACKOFF }, signal) },
  });
  const result = await installer.ensureSkypilot();
  expect(result.ok ? 'ok' : result.error).toBe('ok');
}, 30_000);
