/**
 * Ctrl-C (SIGINT), SIGTERM, a closed terminal (SIGHUP) or Ctrl-\ (SIGQUIT) during
 * `carapace-sky install`: the process ends only after the attempt has cleaned up after itself
 * (nothing half-downloaded, no lock, no uv process group left), says the install was
 * interrupted, and exits as death by that signal would in a shell (128 + N).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { liveInGroup } from '../process-group.ts';
import { execa } from 'execa';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMirror, streamBytes, type Mirror } from '../../demo/mirror.ts';
import { CLI, exists, jsonLines, mirrorEnv, tempHome } from './cli.ts';

const SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
  ['SIGQUIT', 131],
] as const;

let mirror: Mirror;
let quick: Mirror;
beforeAll(async () => {
  quick = await startMirror({});
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
  await quick.close();
});

function startInstall(home: string, from = mirror, extra: Record<string, string> = {}) {
  return execa(CLI, ['install', '--json'], { env: { ...process.env, CI: '1', ...mirrorEnv(from, home, extra) }, reject: false });
}

function outputMatching(child: ReturnType<typeof startInstall>, pattern: RegExp): Promise<void> {
  return new Promise<void>((resolve) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) resolve();
    });
  });
}

test.each(SIGNALS)('%s mid-download ends as cancelled, says interrupted, exits %d, staging and lock cleaned up', async (signal, code) => {
  const home = await tempHome('carapace-interrupt-');
  const child = startInstall(home);
  await outputMatching(child, /"bytes_done":[1-9]/);
  expect(await readdir(join(home, 'staging'))).not.toEqual([]);
  child.kill(signal);
  const exit = await child;
  expect(exit.exitCode).toBe(code);
  const { result } = jsonLines(String(exit.stdout));
  expect(result).toMatchObject({ ok: false, error: { code: 'cancelled', phase: 'downloading_uv' } });
  expect(result.error.message).toBe(`Interrupted by ${signal}: the install was stopped and cleaned up`);
  expect(await readdir(join(home, 'staging'))).toEqual([]);
  expect(await exists(join(home, 'install.lock'))).toBe(false);
  expect(await exists(join(home, 'logs', 'last-attempt.json'))).toBe(true);
  expect(await exists(join(home, 'uv/bin/uv'))).toBe(false);
});

test.each(SIGNALS)('%s during uv tool install ends uv\'s process group and releases the lock, exit %d', async (signal, code) => {
  const home = await tempHome('carapace-interrupt-uv-');
  const child = startInstall(home, quick, { STANDIN_UV_DELAY: '60' });
  await outputMatching(child, /Prepared \d+ packages/);
  const log = await readFile(join(home, '..', 'uv.log'), 'utf8');
  const uvPid = Number(log.split('\n').find((line) => line.endsWith(' tool install'))?.split(' ')[0]);
  expect(await liveInGroup(uvPid)).toContain(uvPid);
  child.kill(signal);
  const exit = await child;
  expect(exit.exitCode).toBe(code);
  const { result } = jsonLines(String(exit.stdout));
  expect(result).toMatchObject({ ok: false, error: { code: 'cancelled', phase: 'installing_skypilot' } });
  expect(result.error.message).toContain('Interrupted');
  // The CLI waits for the group's end before it exits; SIGKILL lands asynchronously, so allow it a moment.
  for (let i = 0; i < 40 && (await liveInGroup(uvPid)).length > 0; i++) await Bun.sleep(50);
  expect(await liveInGroup(uvPid)).toEqual([]);
  expect(await exists(join(home, 'install.lock'))).toBe(false);
  expect(await readdir(join(home, 'staging')).catch(() => [])).toEqual([]);
}, 20_000);

test('a second signal exits at once and still takes a uv that ignores SIGTERM with it', async () => {
  const home = await tempHome('carapace-interrupt-twice-');
  const child = startInstall(home, quick, { STANDIN_UV_DELAY: '60', STANDIN_UV_IGNORE_TERM: '1' });
  await outputMatching(child, /Prepared \d+ packages/);
  const log = await readFile(join(home, '..', 'uv.log'), 'utf8');
  const uvPid = Number(log.split('\n').find((line) => line.endsWith(' tool install'))?.split(' ')[0]);
  child.kill('SIGINT');
  // The first signal's SIGTERM is ignored; the second must not leave the group behind.
  await Bun.sleep(200);
  child.kill('SIGTERM');
  const exit = await child;
  expect(exit.exitCode).toBe(143);
  for (let i = 0; i < 40 && (await liveInGroup(uvPid)).length > 0; i++) await Bun.sleep(50);
  expect(await liveInGroup(uvPid)).toEqual([]);
}, 20_000);
