/** Ctrl-C during a human-facing `carapace-sky install` says "Interrupted", not an error block. */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { execa } from 'execa';
import { startMirror, streamBytes, type Mirror } from '../../demo/mirror.ts';
import { CLI, mirrorEnv, tempHome } from './cli.ts';

let mirror: Mirror;
beforeAll(async () => {
  // A trickle, so the interrupt lands mid-download.
  mirror = await startMirror({
    padBytes: 512 * 1024,
    handler: (req, ctx) =>
      ctx.path.endsWith('.tar.gz') && req.method === 'GET'
        ? new Response(streamBytes(ctx.archive, { chunk: 4096, delayMs: 20 }), { headers: { 'content-length': String(ctx.archive.length) } })
        : undefined,
  });
});
afterAll(async () => {
  await mirror.close();
});

test('SIGINT mid-download prints "Interrupted" on stderr and no hint', async () => {
  const home = await tempHome('carapace-interrupt-');
  const child = execa(CLI, ['install'], { env: { ...process.env, CI: '1', ...mirrorEnv(mirror, home) }, reject: false });
  await new Promise<void>((resolve) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      // Plain output prints a line per tenth of the download: the first one means bytes flow.
      if (/\d+%/.test(seen)) resolve();
    });
  });
  child.kill('SIGINT');
  const exit = await child;
  expect(exit.exitCode).not.toBe(0);
  expect(String(exit.stderr)).toBe('Interrupted');
  expect(String(exit.stdout)).not.toContain('SkyPilot ready');
}, 30_000);
