/**
 * The switch at the end of `verifying` (actors/activate.ts, actors/generations.ts) and the
 * local API server that follows it: a recording `sky` stands in for SkyPilot, so the test sees
 * exactly which `sky api stop` ran, and when.
 */
import { describe, expect, test } from 'bun:test';
import { chmod, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { activate } from '../../actors/activate.ts';
import { abandonedGenerations, activateGeneration, GENERATION_MARKER, migrateLayout, newGeneration, unmarkedGenerations } from '../../actors/generations.ts';
import { layoutOf, type Layout } from '../../actors/layout.ts';
import { rollbackSkypilot } from '../../installer/rollback.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import type { ProgressReport } from '../../machines/install.ts';
import { tempHome } from '../e2e/cli.ts';

const PKG = 'skypilot-nightly';

/** A generation whose `sky` records every call (`<version> <args>`) and fails `api stop` when asked. */
async function fakeGeneration(layout: Layout, version: string, now: number): Promise<{ generation: string; env_dir: string; sky_path: string }> {
  const generation = await newGeneration(layout, now);
  const dir = join(layout.generationsDir, generation);
  const env_dir = join(dir, PKG);
  await mkdir(join(env_dir, 'bin'), { recursive: true });
  await writeFile(join(env_dir, 'uv-receipt.toml'), '[tool]\n');
  await mkdir(join(dir, 'bin'), { recursive: true });
  const script = `#!/bin/sh\necho "${version} $*" >> '${join(layout.home, '..', 'sky-calls')}'\n[ "$1 $2" = 'api stop' ] && [ -n "\${FAIL_API_STOP-}" ] && { echo 'api server busy' >&2; exit 3; }\necho "skypilot, version ${version}"\n`;
  await writeFile(join(env_dir, 'bin', 'sky'), script);
  await chmod(join(env_dir, 'bin', 'sky'), 0o755);
  return { generation, env_dir, sky_path: join(env_dir, 'bin', 'sky') };
}

async function setup(env: Record<string, string> = {}) {
  const home = await tempHome('carapace-activate-');
  await mkdir(home, { recursive: true });
  const settings = settingsFromEnv({ PATH: process.env.PATH, CARAPACE_HOME: home, ...env });
  const layout = layoutOf(home);
  const reports: ProgressReport[] = [];
  const input = (staged: Awaited<ReturnType<typeof fakeGeneration>>) => ({ settings, deps: { fetch, now: Date.now }, report: (p: ProgressReport) => reports.push(p), staged });
  const calls = async () => (await readFile(join(home, '..', 'sky-calls'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { home, settings, layout, reports, input, calls };
}

const signal = () => new AbortController().signal;

describe('activate', () => {
  test('a first install becomes current without stopping anything; an upgrade stops the API server with the new sky', async () => {
    const { layout, input, calls, reports } = await setup();
    const one = await fakeGeneration(layout, '1', 1000);
    expect(await activate(input(one), signal())).toEqual({ sky_path: layout.sky, previous: null });
    expect(await calls()).toEqual([]);
    expect(await readlink(layout.sky)).toBe(`../environments/${PKG}/bin/sky`);

    const two = await fakeGeneration(layout, '2', 2000);
    expect(await activate(input(two), signal())).toEqual({ sky_path: layout.sky, previous: one.generation });
    expect(await calls()).toEqual(['2 api stop']);
    expect(reports.at(-1)?.message).toContain('stopped the local SkyPilot API server');
    expect(await readlink(layout.previousLink)).toBe(`generations/${one.generation}`);

    // A third: the first goes, the second is kept as previous.
    const three = await fakeGeneration(layout, '3', 3000);
    await activate(input(three), signal());
    expect((await readdir(layout.generationsDir)).sort()).toEqual([two.generation, three.generation].sort());
  });

  test('an API server that will not stop is a warning on the progress stream, not a failure', async () => {
    const { layout, input, reports } = await setup({ FAIL_API_STOP: '1' });
    await activate(input(await fakeGeneration(layout, '1', 1000)), signal());
    const out = await activate(input(await fakeGeneration(layout, '2', 2000)), signal());
    expect(out.sky_path).toBe(layout.sky);
    expect(reports.at(-1)?.message).toMatch(/^sky api stop exited with 3: api server busy; .*run `sky api stop`/);
  });

  test('rollback switches back and stops the API server with the sky it switched to', async () => {
    const { settings, layout, input, calls } = await setup();
    const one = await fakeGeneration(layout, '1', 1000);
    await activate(input(one), signal());
    await activate(input(await fakeGeneration(layout, '2', 2000)), signal());
    const before = (await calls()).length;
    const out = await rollbackSkypilot(settings);
    expect(out).toMatchObject({ ok: true, warning: null });
    expect(await readlink(layout.toolDir)).toBe(`generations/${one.generation}`);
    expect((await calls()).slice(before)).toEqual(['1 api stop']);
  });
});

describe('generations on disk', () => {
  test('an old tools/environments folder is moved to generations/legacy and linked back, once', async () => {
    const { layout } = await setup();
    await mkdir(join(layout.toolDir, PKG), { recursive: true });
    await writeFile(join(layout.toolDir, PKG, 'uv-receipt.toml'), '[tool]\n');
    await migrateLayout(layout);
    expect(await readlink(layout.toolDir)).toBe('generations/legacy');
    expect(await readFile(join(layout.toolDir, PKG, 'uv-receipt.toml'), 'utf8')).toBe('[tool]\n');
    await migrateLayout(layout);
    expect(await readlink(layout.toolDir)).toBe('generations/legacy');
  });

  test('a migration killed between its two steps is finished by the next run', async () => {
    const { layout } = await setup();
    await mkdir(join(layout.generationsDir, 'legacy', PKG), { recursive: true });
    await migrateLayout(layout);
    expect(await readlink(layout.toolDir)).toBe('generations/legacy');
  });

  test('half-built generations of dead builders are leftovers; current, previous and live builds are not', async () => {
    const { layout, input } = await setup();
    const one = await fakeGeneration(layout, '1', 1000);
    await activate(input(one), signal());
    const two = await fakeGeneration(layout, '2', 2000);
    await activateGeneration(layout, two.generation, PKG);
    const live = await fakeGeneration(layout, '3', 3000); // this process: still building
    // A build of the product's (its marker) killed halfway, and folders that only look like one.
    await mkdir(join(layout.generationsDir, 'zz-999999999'));
    await writeFile(join(layout.generationsDir, 'zz-999999999', GENERATION_MARKER), '999999999\n');
    await mkdir(join(layout.generationsDir, 'old-999999998'));
    await mkdir(join(layout.generationsDir, 'not-ours'));
    const gone = await abandonedGenerations(layout, (pid) => pid === process.pid);
    expect(gone).toEqual([join(layout.generationsDir, 'zz-999999999')]);
    expect(await unmarkedGenerations(layout, (pid) => pid === process.pid)).toEqual([join(layout.generationsDir, 'old-999999998')]);
    expect(await lstat(join(layout.generationsDir, live.generation)).then(() => true)).toBe(true);
  });
});

describe('a sky that is not ours', () => {
  test('a regular file at tools/bin/sky is never replaced: the switch refuses and nothing becomes current', async () => {
    const { layout, input } = await setup();
    await mkdir(layout.toolBinDir, { recursive: true });
    await writeFile(layout.sky, 'my own script\n');
    const error = await activate(input(await fakeGeneration(layout, '1', 1000)), signal()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'uv_install_failed' });
    expect(await readFile(layout.sky, 'utf8')).toBe('my own script\n');
    expect(await lstat(layout.toolDir).catch(() => null)).toBeNull();
  });
});

describe('rollback edge', () => {
  test('a previous link naming the current generation (an upgrade killed between its swaps) is nothing to roll back', async () => {
    const { settings, layout, input } = await setup();
    const one = await fakeGeneration(layout, '1', 1000);
    await activate(input(one), signal());
    await symlink(`generations/${one.generation}`, layout.previousLink);
    expect(await rollbackSkypilot(settings)).toMatchObject({ ok: false, error: { code: 'nothing_to_roll_back' } });
    expect(await readlink(layout.toolDir)).toBe(`generations/${one.generation}`);
  });
});
