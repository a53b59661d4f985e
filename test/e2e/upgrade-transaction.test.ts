/**
 * Upgrades and repairs are transactions (issue 12 item 4): the new SkyPilot is built beside
 * the working one and becomes current only once verified, so a failing uv or a new version
 * that cannot start leaves the old one current and runnable; `rollback` goes back; an old
 * layout (uv writing straight into tools/environments) is migrated and stays runnable. The
 * stand-in uv rebuilds in place on `tool upgrade` and `--force` as uv does, so these fail
 * on an in-place upgrade.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { execa } from 'execa';
import { lchown, lstat, mkdir, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { STANDIN_SKY_VERSION } from '../../demo/standin-uv.ts';
import { jsonLines, mirrorEnv, runCli, tempHome } from './cli.ts';

let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror();
});
afterAll(async () => {
  await mirror.close();
});

const NEXT = '1.0.0.dev20260301';
const LATER = '1.0.0.dev20260315';
const envFor = (home: string, extra: Record<string, string> = {}) => mirrorEnv(mirror, home, extra);

/** What `status` says and what `tools/bin/sky --version` really prints: they must agree. */
async function current(home: string): Promise<{ status: string | null; runs: string }> {
  const status = JSON.parse((await runCli(['status', '--json'], envFor(home))).stdout) as { sky_installed: boolean; sky_version: string | null };
  const sky = await execa(join(home, 'tools/bin/sky'), ['--version'], { reject: false });
  return { status: status.sky_installed ? status.sky_version : null, runs: sky.exitCode === 0 ? sky.stdout : `exit ${sky.exitCode}` };
}

const runsVersion = (version: string) => ({ status: version, runs: `skypilot, version ${version}` });

async function installed(): Promise<string> {
  const home = await tempHome('carapace-txn-');
  expect((await runCli(['install'], envFor(home))).exitCode).toBe(0);
  return home;
}

const generations = (home: string) => readdir(join(home, 'tools/generations')).catch(() => [] as string[]);

describe('upgrade as a transaction', () => {
  test('a uv that fails mid-upgrade leaves the previous version current and runnable, and nothing half-built', async () => {
    const home = await installed();
    const before = await generations(home);
    const run = await runCli(['upgrade', '--json'], envFor(home, { STANDIN_UPGRADE_TO: NEXT, STANDIN_UV_FAIL: '1' }));
    expect(run.exitCode).toBe(1);
    expect(jsonLines(run.stdout).result).toMatchObject({ ok: false, error: { code: 'uv_install_failed', phase: 'installing_skypilot' } });
    expect(await current(home)).toEqual(runsVersion(STANDIN_SKY_VERSION));
    expect(await generations(home)).toEqual(before);
  });

  test('a new version whose sky --version fails is never made current', async () => {
    const home = await installed();
    const run = await runCli(['upgrade', '--json'], envFor(home, { STANDIN_UPGRADE_TO: NEXT, STANDIN_UV_BROKEN_SKY: '1' }));
    expect(run.exitCode).toBe(1);
    expect(jsonLines(run.stdout).result).toMatchObject({ ok: false, error: { code: 'verify_failed', phase: 'verifying' } });
    expect(await current(home)).toEqual(runsVersion(STANDIN_SKY_VERSION));
    expect(await lstat(join(home, 'tools/previous')).catch(() => null)).toBeNull();
  });

  test('a successful upgrade switches, keeps the one before for rollback, and drops the one before that', async () => {
    const home = await installed();
    const sky = await readlink(join(home, 'tools/bin/sky'));
    const first = await runCli(['upgrade', '--json'], envFor(home, { STANDIN_UPGRADE_TO: NEXT }));
    expect(first.exitCode).toBe(0);
    const { progress } = jsonLines(first.stdout);
    // The local API server is stopped after the switch (its outcome, success or warning, is on the stream).
    expect(progress.some((p) => p.phase === 'verifying' && String(p.message).includes('sky api stop'))).toBe(true);
    expect(await current(home)).toEqual(runsVersion(NEXT));
    expect(await runCli(['upgrade'], envFor(home, { STANDIN_UPGRADE_TO: LATER }))).toMatchObject({ exitCode: 0 });
    expect(await current(home)).toEqual(runsVersion(LATER));
    // tools/bin/sky is the same stable link throughout; only tools/environments moved.
    expect(await readlink(join(home, 'tools/bin/sky'))).toBe(sky);
    expect(sky).toBe('../environments/skypilot-nightly/bin/sky');
    const gens = await generations(home);
    expect(gens.length).toBe(2);
    const [now, previous] = await Promise.all([readlink(join(home, 'tools/environments')), readlink(join(home, 'tools/previous'))]);
    expect(gens.sort()).toEqual([now, previous].map((t) => t.replace('generations/', '')).sort());
  });

  test('rollback makes the previous version current again, twice undoes once; with nothing previous it refuses', async () => {
    const home = await installed();
    const none = await runCli(['rollback', '--json'], envFor(home));
    expect(none.exitCode).toBe(1);
    expect(JSON.parse(none.stdout)).toMatchObject({ ok: false, error: { code: 'nothing_to_roll_back' } });
    expect(await current(home)).toEqual(runsVersion(STANDIN_SKY_VERSION));

    expect((await runCli(['upgrade'], envFor(home, { STANDIN_UPGRADE_TO: NEXT }))).exitCode).toBe(0);
    const back = await runCli(['rollback', '--json'], envFor(home));
    expect(back.exitCode).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ ok: true, sky_version: STANDIN_SKY_VERSION, replaced_version: NEXT });
    expect(await current(home)).toEqual(runsVersion(STANDIN_SKY_VERSION));
    const again = await runCli(['rollback'], envFor(home));
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain(`SkyPilot ${NEXT} is current again`);
    expect(await current(home)).toEqual(runsVersion(NEXT));
  });

  test('a broken environment is repaired beside itself: a failed repair changes nothing, a good one is kept for rollback', async () => {
    const home = await installed();
    // An environment without its receipt: an install cut short (tool-env.ts).
    const env = join(home, 'tools/environments/skypilot-nightly');
    await rm(join(env, 'uv-receipt.toml'));
    const failed = await runCli(['install', '--json'], envFor(home, { STANDIN_UV_FAIL: '1' }));
    expect(failed.exitCode).toBe(1);
    expect((await readdir(env)).length).toBeGreaterThan(0);
    const repaired = await runCli(['install', '--json'], envFor(home));
    expect(repaired.exitCode).toBe(0);
    // A repair replaced an environment a server may have loaded: `sky api stop` ran after the switch.
    expect(jsonLines(repaired.stdout).progress.some((p) => p.phase === 'verifying' && String(p.message).includes('sky api stop'))).toBe(true);
    expect(await current(home)).toEqual(runsVersion(STANDIN_SKY_VERSION));
    expect(await lstat(join(home, 'tools/previous')).then((s) => s.isSymbolicLink())).toBe(true);
  });
});

describe('the old layout', () => {
  test('an install uv made straight into tools/environments is migrated once, upgraded beside, and rolled back to', async () => {
    const home = await tempHome('carapace-txn-');
    expect((await runCli(['install'], envFor(home))).exitCode).toBe(0);
    // Rebuild the home the way the product used to: uv writing into tools/environments itself.
    await rm(join(home, 'tools'), { recursive: true });
    const uv = await execa(join(home, 'uv/bin/uv'), ['tool', 'install', '--python', '3.12', '--with', 'pip', 'skypilot-nightly[aws]'], {
      env: { PATH: process.env.PATH, UV_TOOL_DIR: join(home, 'tools/environments'), UV_TOOL_BIN_DIR: join(home, 'tools/bin'), UV_PYTHON_INSTALL_DIR: join(home, 'python') },
      reject: false,
    });
    expect(uv.exitCode).toBe(0);
    expect((await lstat(join(home, 'tools/environments'))).isDirectory()).toBe(true);
    expect(await current(home)).toEqual(runsVersion(STANDIN_SKY_VERSION));

    expect((await runCli(['upgrade'], envFor(home, { STANDIN_UPGRADE_TO: NEXT }))).exitCode).toBe(0);
    expect(await current(home)).toEqual(runsVersion(NEXT));
    expect(await readlink(join(home, 'tools/previous'))).toBe('generations/legacy');
    // Its scripts name tools/environments/... absolutely: they run again once it is current.
    expect((await runCli(['rollback'], envFor(home))).exitCode).toBe(0);
    expect(await current(home)).toEqual(runsVersion(STANDIN_SKY_VERSION));
  });
});

describe('generations and what is not the product', () => {
  test('folders in tools/generations that only look like generations survive upgrade, rollback and uninstall', async () => {
    const home = await installed();
    const gens = join(home, 'tools/generations');
    // Named like a build of a live pid (1) and of a dead one, with someone's files in them.
    for (const name of ['backup-1', 'old-999999']) {
      await mkdir(join(gens, name), { recursive: true });
      await writeFile(join(gens, name, 'notes'), 'mine\n');
    }
    await writeFile(join(gens, 'notes-2024'), 'mine\n');
    const kept = async () => {
      for (const path of ['backup-1/notes', 'old-999999/notes', 'notes-2024']) expect(await readFile(join(gens, path), 'utf8')).toBe('mine\n');
    };
    expect((await runCli(['upgrade'], envFor(home, { STANDIN_UPGRADE_TO: NEXT }))).exitCode).toBe(0);
    expect((await runCli(['upgrade'], envFor(home, { STANDIN_UPGRADE_TO: LATER }))).exitCode).toBe(0);
    await kept();
    expect((await runCli(['rollback'], envFor(home))).exitCode).toBe(0);
    await kept();
    expect((await runCli(['uninstall', '--all', '--logs'], envFor(home))).exitCode).toBe(0);
    await kept();
  }, 60_000);

  test('rollback to a previous environment another user controls is refused before anything switches', async () => {
    const home = await installed();
    expect((await runCli(['upgrade'], envFor(home, { STANDIN_UPGRADE_TO: NEXT }))).exitCode).toBe(0);
    const currentBefore = await readlink(join(home, 'tools/environments'));
    const previousPython = join(home, 'tools', await readlink(join(home, 'tools/previous')), 'skypilot-nightly/bin/python');
    await lchown(previousPython, 4242, 4242);
    const run = await runCli(['rollback', '--json'], envFor(home));
    expect(run.exitCode).toBe(1);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!).error.code).toBe('home_not_trusted');
    expect(await readlink(join(home, 'tools/environments'))).toBe(currentBefore);
    expect(await current(home)).toEqual(runsVersion(NEXT));
  }, 60_000);
});
