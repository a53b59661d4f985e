/**
 * Crash safety of `upgrade` (issue 12): SIGKILL of the whole process group at 20 moments a
 * seeded PRNG picks, spread over checking, uv's build of the new environment, its
 * verification and the switch. After every kill the install that worked before (or, when
 * the switch had happened, the new one) is current and runnable, and `status` says exactly
 * what `tools/bin/sky --version` prints; the next `upgrade` completes. The stand-in uv
 * rebuilds in place on `tool upgrade` as uv does, so an in-place upgrade fails this test.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { execa } from 'execa';
import { access, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { STANDIN_SKY_VERSION } from '../../demo/standin-uv.ts';
import { jsonLines, mirrorEnv, runCli, tempHome } from './cli.ts';
import { prng, runAndKill } from './kill.ts';

const SEED = Number(process.env.CRASH_SEED ?? 20261130);
const KILLS = 20;
const DELAY = 0.3;

let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror();
});
afterAll(async () => {
  await mirror.close();
});

const exists = (p: string) => access(p).then(() => true, () => false);

/** What status claims and what the stable sky really runs; both must name one version. */
async function currentVersion(home: string, env: Record<string, string>): Promise<string> {
  const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { sky_installed: boolean; sky_version: string | null };
  const sky = await execa(join(home, 'tools/bin/sky'), ['--version'], { reject: false });
  expect({ installed: status.sky_installed, exit: sky.exitCode, out: sky.stdout }).toEqual({
    installed: true,
    exit: 0,
    out: `skypilot, version ${status.sky_version}`,
  });
  return status.sky_version!;
}

/** Generations a link names: the only ones a finished attempt keeps. */
async function linked(home: string): Promise<string[]> {
  const links = ['tools/environments', 'tools/previous'].map((l) => readlink(join(home, l)).then((t) => t.replace('generations/', ''), () => null));
  return (await Promise.all(links)).filter((t): t is string => t !== null);
}

describe('upgrade crash recovery', () => {
  test(`SIGKILL during upgrade at ${KILLS} seeded moments (seed ${SEED}): a working version stays current, upgrade recovers`, async () => {
    const random = prng(SEED);
    const home = await tempHome('carapace-upgrade-crash-');
    expect((await runCli(['install'], mirrorEnv(mirror, home))).exitCode).toBe(0);
    let version = STANDIN_SKY_VERSION;
    const landed: Record<string, number> = {};
    let killedCount = 0;
    for (let round = 0; round < KILLS; round++) {
      const target = `1.0.0.dev202604${String(round + 10).padStart(2, '0')}`;
      const env = mirrorEnv(mirror, home, { STANDIN_UPGRADE_TO: target, STANDIN_UV_DELAY: String(DELAY) });
      // An upgrade prints about 20 lines: up to uv's "Prepared" (5), then the build holds for
      // DELAY; a burst of uv's lines to "Installed 1 executable" (17); then the verification,
      // the switch and the API server stop (18 to 20). Moments are spread over all three.
      const pick = random();
      const lines = pick < 0.35 ? Math.floor(random() * 5) : pick < 0.6 ? 6 + Math.floor(random() * 8) : 14 + Math.floor(random() * 6);
      const extraMs = Math.floor(random() * (pick < 0.35 ? 150 : 20));
      const run = await runAndKill(['upgrade', '--json'], env, lines, extraMs);
      const where = run.killed ? run.lastPhase : 'finished';
      landed[where] = (landed[where] ?? 0) + 1;
      if (run.killed) killedCount++;

      const after = await currentVersion(home, env);
      expect({ round, after: [version, target].includes(after) }).toEqual({ round, after: true });

      const recover = await runCli(['upgrade', '--json'], env, 120_000);
      expect({ round, exit: recover.exitCode, stderr: recover.stderr }).toEqual({ round, exit: 0, stderr: '' });
      expect(jsonLines(recover.stdout).result).toMatchObject({ ok: true, sky_path: join(home, 'tools/bin/sky') });
      version = await currentVersion(home, env);
      expect({ round, version }).toEqual({ round, version: target });
      expect(await readdir(join(home, 'staging'))).toEqual([]);
      expect(await exists(join(home, 'install.lock'))).toBe(false);
      for (const dir of ['', 'tools', 'tools/bin']) expect((await readdir(join(home, dir))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    }
    // A killed attempt's uv runs on in its own process group and may still be writing into its
    // generation; once it has finished, the next attempt leaves only what the links name.
    await Bun.sleep(DELAY * 1000 + 500);
    expect((await runCli(['upgrade'], mirrorEnv(mirror, home, { STANDIN_UPGRADE_TO: '1.0.0.dev20260501' }))).exitCode).toBe(0);
    expect((await readdir(join(home, 'tools/generations'))).sort()).toEqual((await linked(home)).sort());
    console.log(`upgrade crash test (seed ${SEED}): kills landed in`, landed);
    expect(killedCount).toBeGreaterThanOrEqual(KILLS / 2);
    expect(Object.keys(landed).filter((k) => k !== 'finished').length).toBeGreaterThanOrEqual(2);
  }, 170_000);
});
