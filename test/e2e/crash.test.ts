/**
 * Crash recovery: the installer is killed with SIGKILL (its whole process group, as when the
 * app is force-quit or the OS kills it) at 20 moments picked by a seeded PRNG. After each kill
 * `status` may only claim SkyPilot when the managed `sky --version` really works, and the next
 * `install` completes and leaves no staging leftovers and no lock behind.
 *
 * Moments are "after the Nth progress line, then a random few milliseconds", so they spread
 * over every phase whatever the machine's speed, and the seed makes a failure reproducible.
 * uv runs in its own process group (actors/process.ts), so, as in real life, a killed
 * installer can leave an orphaned uv behind; recovery must cope with that too.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { execa } from 'execa';
import { access, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startMirror, streamBytes, type Mirror } from '../../demo/mirror.ts';
import { jsonLines, mirrorEnv, runCli, tempHome } from './cli.ts';
import { prng, runAndKill } from './kill.ts';

const SEED = Number(process.env.CRASH_SEED ?? 20261122);
const KILLS = 20;

let mirror: Mirror;
beforeAll(async () => {
  // A slow archive (about 0.3 s) so that kills land inside the download too.
  mirror = await startMirror({
    handler: (req, ctx) =>
      req.method === 'GET' && ctx.path.endsWith('.tar.gz')
        ? new Response(streamBytes(ctx.archive, { chunk: 512, delayMs: 25 }), {
            headers: { 'content-length': String(ctx.archive.length), 'content-type': 'application/gzip' },
          })
        : undefined,
  });
});
afterAll(async () => {
  await mirror.close();
});

const exists = (p: string) => access(p).then(() => true, () => false);

const envFor = (home: string, extra: Record<string, string> = {}) => mirrorEnv(mirror, home, extra);

/** `install --json`, killed with its process group after `lines` progress lines plus `extraMs`. */
const installAndKill = (env: Record<string, string>, lines: number, extraMs: number) => runAndKill(['install', '--json'], env, lines, extraMs);

/** `status` must not claim an install that does not work. */
async function assertStatusHonest(home: string, env: Record<string, string>) {
  const status = await runCli(['status', '--json'], env);
  expect(status.exitCode).toBe(0);
  const parsed = JSON.parse(status.stdout) as { sky_installed: boolean; sky_version: string | null };
  if (parsed.sky_installed) {
    const sky = await execa(join(home, 'tools/bin/sky'), ['--version'], { reject: false });
    expect({ exit: sky.exitCode, out: sky.stdout }).toEqual({ exit: 0, out: `skypilot, version ${parsed.sky_version}` });
  }
  return parsed.sky_installed;
}

describe('crash recovery', () => {
  test(`SIGKILL at ${KILLS} seeded moments (seed ${SEED}): status stays honest, install recovers, nothing left over`, async () => {
    const random = prng(SEED);
    const landed: Record<string, number> = {};
    let home = await tempHome('carapace-crash-');
    let killedCount = 0;
    for (let round = 0; round < KILLS; round++) {
      // Start from the situations a crash leaves: nothing, uv only, or a broken environment.
      const start = random();
      if (start < 0.4) home = await tempHome('carapace-crash-');
      else if (start < 0.7) await rm(join(home, 'tools'), { recursive: true, force: true });
      else await rm(join(home, 'python'), { recursive: true, force: true });
      const env = envFor(home, { STANDIN_UV_DELAY: '0.4' });

      // Most moments fall up to uv's "Prepared" line, after which the stand-in uv works for
      // 0.4 s; the rest in the burst of lines that ends the install and the verification.
      const late = random() < 0.3;
      const lines = late ? 8 + Math.floor(random() * 16) : Math.floor(random() * 8);
      const extraMs = Math.floor(random() * (late ? 30 : 120));
      const run = await installAndKill(env, lines, extraMs);
      const where = run.killed ? run.lastPhase : 'finished';
      landed[where] = (landed[where] ?? 0) + 1;
      if (run.killed) killedCount++;

      await assertStatusHonest(home, env);

      const recover = await runCli(['install', '--json'], env, 120_000);
      expect({ round, exit: recover.exitCode, stderr: recover.stderr }).toEqual({ round, exit: 0, stderr: '' });
      expect(jsonLines(recover.stdout).result).toMatchObject({ ok: true, sky_path: join(home, 'tools/bin/sky') });
      expect(await assertStatusHonest(home, env)).toBe(true);
      expect(await readdir(join(home, 'staging'))).toEqual([]);
      expect(await exists(join(home, 'install.lock'))).toBe(false);
      expect((await readdir(home)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    }
    console.log(`crash test (seed ${SEED}): kills landed in`, landed);
    // The moments must really interrupt installs, in more than one phase.
    expect(killedCount).toBeGreaterThanOrEqual(KILLS / 2);
    expect(Object.keys(landed).filter((k) => k !== 'finished').length).toBeGreaterThanOrEqual(2);
  }, 170_000);
});
