/** `carapace-sky uninstall [--all]`: removes what the product installed; refuses during an install. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { execa } from 'execa';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
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

  test("a running local SkyPilot API server is stopped (sky api stop) before SkyPilot's files go", async () => {
    const home = await installed();
    const api = join(home, '..', 'api');
    await mkdir(api);
    const env = { ...envFor(home), STANDIN_SKY_API_DIR: api };
    // Any sky command that needs a server starts one, as SkyPilot does.
    expect((await execa(join(home, 'tools/bin/sky'), ['check', 'aws'], { env, reject: false })).exitCode).toBe(0);
    expect(await exists(join(api, 'server'))).toBe(true);
    expect((await runCli(['uninstall'], env)).exitCode).toBe(0);
    expect(await readFile(join(api, 'calls'), 'utf8')).toBe('api stop\n');
    expect(await exists(join(api, 'server'))).toBe(false);
  });

  test('a sky api stop that fails is a warning in the log, and the uninstall goes on', async () => {
    const home = await installed();
    const api = join(home, '..', 'api');
    await mkdir(api);
    const run = await runCli(['uninstall', '--json'], { ...envFor(home), STANDIN_SKY_API_DIR: api, STANDIN_SKY_API_STOP_FAIL: '1' });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
    expect(await present(join(home, 'tools/bin/sky'))).toBe(false);
    expect(await readFile(join(api, 'calls'), 'utf8')).toBe('api stop\n');
    const logs = (await readdir(join(home, 'logs'))).filter((n) => n.startsWith('uninstall-'));
    const log = await readFile(join(home, 'logs', logs[0]!), 'utf8');
    expect(log).toMatch(/warning: sky api stop exited with 1: .*STANDIN_SKY_API_STOP_FAIL/);
  });

  test('--all --logs also removes the product\'s logs and record, leaving a file someone else put in logs/', async () => {
    const home = await installed();
    const logs = join(home, 'logs');
    expect((await readdir(logs)).some((n) => n.startsWith('install-'))).toBe(true);
    await writeFile(join(logs, 'notes.txt'), 'mine\n');
    const run = await runCli(['uninstall', '--all', '--logs', '--json'], envFor(home));
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.summary).toContain('and the logs');
    expect(result.removed).toContain(join(logs, 'last-attempt.json'));
    expect(await readdir(logs)).toEqual(['notes.txt']);
    // Without a foreign file the folder goes too; so does the one this uninstall would have written.
    const clean = await installed();
    expect((await runCli(['uninstall', '--all', '--logs'], envFor(clean))).exitCode).toBe(0);
    expect(await exists(join(clean, 'logs'))).toBe(false);
  });

  test('--logs without --all is a bad command line (exit 2) and removes nothing', async () => {
    const home = await installed();
    const run = await runCli(['uninstall', '--logs'], envFor(home));
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('--logs is only valid with --all');
    expect(run.stderr).toContain('Usage: carapace-sky uninstall [--all [--logs]] [--json]');
    expect(await present(join(home, 'tools/bin/sky'))).toBe(true);
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
