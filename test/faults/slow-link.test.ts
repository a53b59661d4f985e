/**
 * Slow links end: a hand-written server that sends a real Content-Length and then drips a
 * byte at a time never trips the stall timeout (each byte resets it), so only curl's
 * low-speed rule (CARAPACE_LOW_SPEED_LIMIT over CARAPACE_LOW_SPEED_TIME) can end it. Through
 * the real installer, so the lock it held is shown released and the next install can run.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { downloadUv } from '../../actors/download-uv.ts';
import { layoutOf } from '../../actors/layout.ts';
import { createInstaller } from '../../installer/installer.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import { startMirror, streamBytes, type Mirror } from '../../demo/mirror.ts';
import { FAST_BACKOFF, leftovers, removeHome, tempHome, VERSION } from './harness.ts';

let dripping: Mirror;
const homes: string[] = [];

beforeAll(async () => {
  dripping = await startMirror({
    version: VERSION,
    padBytes: 100_000,
    handler: (_req, ctx) =>
      ctx.path.endsWith('.tar.gz')
        ? new Response(streamBytes(ctx.archive, { chunk: 1, delayMs: 100 }), {
            headers: { 'content-length': String(ctx.archive.byteLength) },
          })
        : undefined,
  });
});

afterAll(async () => {
  await dripping.close();
  for (const home of homes) await removeHome(home);
});

async function home(): Promise<string> {
  const path = await tempHome('slow-home-');
  homes.push(path);
  return path;
}

const SLOW = { CARAPACE_LOW_SPEED_LIMIT: '1024', CARAPACE_LOW_SPEED_TIME: '1', CARAPACE_STALL_TIMEOUT: '30' };

test('a dripping server ends as timeout, retried like other timeouts, and the lock is released', async () => {
  const carapace = await home();
  const settings = settingsFromEnv({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    CARAPACE_HOME: carapace,
    CARAPACE_UV_VERSION: VERSION,
    CARAPACE_UV_DOWNLOAD_BASE: dripping.base,
    CARAPACE_DOWNLOAD_RETRIES: '2',
    ...SLOW,
  });
  const installer = createInstaller({
    settings,
    actors: { downloadUv: (input, signal) => downloadUv({ ...input, backoff: FAST_BACKOFF }, signal) },
  });
  const before = dripping.downloads();
  const result = await installer.ensureSkypilot();
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error.code).toBe('timeout');
  expect(result.error.message).toMatch(/bytes\/s over 1 s, below the 1024 bytes\/s allowed, after \d+ of \d+ bytes \(gave up after 2 attempts\)/);
  expect(result.error.hint).toContain('CARAPACE_LOW_SPEED_LIMIT');
  expect(dripping.downloads() - before).toBe(2);
  expect(existsSync(layoutOf(carapace).lockFile)).toBe(false);
  expect(await leftovers(carapace)).toEqual([]);
  // The next attempt takes the lock and runs (and meets the same slow server), not `locked`.
  const again = await installer.ensureSkypilot();
  expect(again.ok ? 'ok' : again.error.code).toBe('timeout');
  expect(dripping.downloads() - before).toBe(4);
}, 30_000);
