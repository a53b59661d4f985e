/**
 * CARAPACE_LOW_SPEED_LIMIT=0 or CARAPACE_LOW_SPEED_TIME=0 turns the low-speed rule off (the
 * product contract's "0 turns it off"): a server that sends steadily but below the default
 * 1024 bytes/s, which the rule would give up on within its 1 s window, is waited for to the end.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { startMirror, streamBytes, type Mirror } from '../../demo/mirror.ts';
import { removeHome, runDownload, tempHome, VERSION } from './harness.ts';

let steady: Mirror;
const homes: string[] = [];

beforeAll(async () => {
  steady = await startMirror({
    version: VERSION,
    // About 650 bytes/s: the ~7 KB archive takes some 11 s, well past a 1 s window.
    handler: (_req, ctx) =>
      ctx.path.endsWith('.tar.gz')
        ? new Response(streamBytes(ctx.archive, { chunk: 100, delayMs: 150 }), {
            headers: { 'content-length': String(ctx.archive.byteLength) },
          })
        : undefined,
  });
});

afterAll(async () => {
  await steady.close();
  for (const home of homes) await removeHome(home);
});

async function download(env: Record<string, string>) {
  const home = await tempHome('low-speed-off-');
  homes.push(home);
  return runDownload({ CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: steady.base, CARAPACE_DOWNLOAD_RETRIES: '0', ...env });
}

test('a limit or a window of 0 turns the low-speed rule off: a steady server below 1024 bytes/s completes', async () => {
  // Both at once: each alone takes the whole slow download.
  const [noLimit, noWindow] = await Promise.all([
    download({ CARAPACE_LOW_SPEED_LIMIT: '0', CARAPACE_LOW_SPEED_TIME: '1' }),
    download({ CARAPACE_LOW_SPEED_LIMIT: '1024', CARAPACE_LOW_SPEED_TIME: '0' }),
  ]);
  expect(noLimit.error).toBeNull();
  expect(noLimit.ok?.uv_version).toBe(VERSION);
  expect(noWindow.error).toBeNull();
  expect(noWindow.ok?.uv_version).toBe(VERSION);
}, 40_000);
