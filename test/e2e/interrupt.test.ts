/**
 * Ctrl-C (SIGINT) or SIGTERM during `carapace-sky install`: the process ends only after the
 * attempt has cleaned up after itself, so nothing half-downloaded and no lock is left.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startMirror, streamBytes, type Mirror } from '../../demo/mirror.ts';
import { CLI, exists, jsonLines, mirrorEnv, tempHome } from './cli.ts';

let mirror: Mirror;
beforeAll(async () => {
  // A trickle, so the interrupt lands mid-download with staged files open.
  mirror = await startMirror({
    padBytes: 512 * 1024,
    handler: (req, ctx) =>
      ctx.path.endsWith('.tar.gz') && req.method === 'GET'
        ? new Response(streamBytes(ctx.archive, { chunk: 4096, delayMs: 20 }), {
            headers: { 'content-length': String(ctx.archive.length) },
          })
        : undefined,
  });
});
afterAll(async () => {
  await mirror.close();
});

test.each(['SIGINT', 'SIGTERM'] as const)('%s mid-download ends as cancelled with staging and lock cleaned up', async (signal) => {
  const home = await tempHome('carapace-interrupt-');
  const child = execa(CLI, ['install', '--json'], { env: { ...process.env, CI: '1', ...mirrorEnv(mirror, home) }, reject: false });
  await new Promise<void>((resolve) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (/"bytes_done":[1-9]/.test(seen)) resolve();
    });
  });
  expect(await readdir(join(home, 'staging'))).not.toEqual([]);
  child.kill(signal);
  const exit = await child;
  expect(exit.exitCode).toBe(1);
  expect(jsonLines(String(exit.stdout)).result).toMatchObject({ ok: false, error: { code: 'cancelled', phase: 'downloading_uv' } });
  expect(await readdir(join(home, 'staging'))).toEqual([]);
  expect(await exists(join(home, 'install.lock'))).toBe(false);
  expect(await exists(join(home, 'logs', 'last-attempt.json'))).toBe(true);
  expect(await exists(join(home, 'uv/bin/uv'))).toBe(false);
});
