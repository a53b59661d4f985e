/** `carapace-sky uninstall [--all]`: removes what the product installed; refuses during an install. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { lstat, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { exists, mirrorEnv, runCli, tempHome } from '../e2e/cli.ts';

let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror();
});
afterAll(async () => {
  await mirror.close();
});

const present = (p: string) => lstat(p).then(() => true, () => false);

const envFor = (home: string) => mirrorEnv(mirror, home);

async function installed(): Promise<string> {
  const home = await tempHome('carapace-uninstall-');
  expect((await runCli(['install'], envFor(home))).exitCode).toBe(0);
  return home;
}

describe('carapace-sky uninstall', () => {
  test('removes the tool environment and the sky link, keeps uv and the Pythons', async () => {
    const home = await installed();
    const run = await runCli(['uninstall', '--json'], envFor(home));
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout);
    const [generation] = await readdir(join(home, 'tools/generations')).catch(() => [] as string[]);
    expect(generation).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.removed).toEqual(
      expect.arrayContaining([join(home, 'tools/bin/sky'), join(home, 'tools/environments/skypilot-nightly'), join(home, 'tools/environments')]),
    );
    expect(await present(join(home, 'tools/bin/sky'))).toBe(false);
    expect(await exists(join(home, 'tools/environments/skypilot-nightly'))).toBe(false);
    expect(await exists(join(home, 'uv/bin/uv'))).toBe(true);
    expect((await readdir(join(home, 'python'))).length).toBeGreaterThan(0);
    expect(JSON.parse((await runCli(['status', '--json'], envFor(home))).stdout)).toMatchObject({
      uv_installed: true,
      sky_installed: false,
    });
    // Nothing is broken afterwards: install puts SkyPilot back without downloading uv.
    const downloads = mirror.downloads();
    expect((await runCli(['install'], envFor(home))).exitCode).toBe(0);
    expect(mirror.downloads()).toBe(downloads);
  });

  test('--all also removes the managed uv, the Pythons, staging and cache; logs stay', async () => {
    const home = await installed();
    const run = await runCli(['uninstall', '--all'], envFor(home));
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('removed SkyPilot, uv and the managed Pythons');
    for (const gone of ['uv', 'python', 'tools', 'staging', 'cache']) expect(await exists(join(home, gone))).toBe(false);
    expect((await readdir(join(home, 'logs'))).some((n) => n.startsWith('uninstall-'))).toBe(true);
    expect(await exists(join(home, 'install.lock'))).toBe(false);
    expect(JSON.parse((await runCli(['status', '--json'], envFor(home))).stdout)).toMatchObject({
      uv_installed: false,
      sky_installed: false,
    });
  });

  test('refuses while another process holds the install lock, and removes nothing', async () => {
    const home = await installed();
    // This test process stands in for a running installer: its pid is alive on this host.
    const holder = { pid: process.pid, host: hostname(), boot: null, token: 't', started: new Date().toISOString(), purpose: 'install' };
    await writeFile(join(home, 'install.lock'), JSON.stringify(holder));
    const run = await runCli(['uninstall', '--all', '--json'], envFor(home));
    expect(run.exitCode).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'locked', message: `an install is running (pid ${process.pid})` } });
    expect(await exists(join(home, 'uv/bin/uv'))).toBe(true);
    expect(await present(join(home, 'tools/bin/sky'))).toBe(true);
  });

  test('a home that does not exist is nothing to do, and is not created', async () => {
    const home = await tempHome('carapace-uninstall-');
    const run = await runCli(['uninstall'], envFor(home));
    expect(run.exitCode).toBe(0);
    expect(await exists(home)).toBe(false);
  });
});
