/**
 * Detection: status reads files, never starts Python, and asks uv for its version once per
 * uv build (cached on disk across processes); an install that cannot run is reported as not
 * installed, with the reason, and the next ensure repairs it with --force.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmod, readdir, readFile, rename, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInstall, getInstallStatus } from '../../actors/check.ts';
import { createInstaller, type InstallerEvent } from '../../installer/installer.ts';
import { layoutOf } from '../../actors/layout.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { STANDIN_SKY_VERSION } from '../../demo/standin-uv.ts';
import { runCli, tempHome } from '../e2e/cli.ts';

let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror();
});
afterAll(async () => {
  await mirror.close();
});

function envFor(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    CARAPACE_HOME: home,
    CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
    CARAPACE_UV_SHA256: mirror.sha256(),
    ...extra,
  };
}

/** A home with uv and SkyPilot installed by the real installer from the mirror. */
async function installedHome(extra: Record<string, string> = {}, subfolder?: string) {
  const base = await tempHome('carapace-check-');
  const home = subfolder ? join(base, subfolder) : base;
  const settings = settingsFromEnv(envFor(home, extra));
  const output = await createInstaller({ settings }).ensureSkypilot();
  expect(output.ok).toBe(true);
  return { home, settings, layout: layoutOf(home) };
}

async function uvRuns(log: string): Promise<string[]> {
  return (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => l.replace(/^\d+ /, ''));
}

/** The managed Python the stand-in installed (python/cpython-…/bin/python3.12). */
async function managedPython(home: string): Promise<string> {
  const [dir] = (await readdir(join(home, 'python'))).filter((n) => n.startsWith('cpython-'));
  return join(home, 'python', dir!, 'bin', 'python3.12');
}

async function repairWithForce(home: string, settings: ReturnType<typeof settingsFromEnv>) {
  const installer = createInstaller({ settings });
  const messages: string[] = [];
  installer.subscribe((e: InstallerEvent) => e.type === 'install-progress' && messages.push(e.progress.message));
  const output = await installer.ensureSkypilot();
  expect(output).toMatchObject({ ok: true, status: { sky_installed: true, sky_version: STANDIN_SKY_VERSION } });
  // A repair builds a new environment beside the broken one (actors/generations.ts), so no --force.
  expect(messages.some((m) => /^repairing into .+\/tools\/generations\/[0-9a-z]+-\d+: uv tool install --python 3.12 --with pip skypilot-nightly\[aws\]$/.test(m))).toBe(true);
  expect(await getInstallStatus(settings)).toEqual({
    uv_installed: true,
    uv_version: '0.10.2',
    sky_installed: true,
    sky_version: STANDIN_SKY_VERSION,
    carapace_home: home,
  });
}

describe('fast detection', () => {
  test('status reads the version from the tool environment and never starts Python', async () => {
    const { home, settings } = await installedHome();
    // A Python that leaves a mark if anything runs it.
    const python = await managedPython(home);
    const mark = join(home, '..', 'python-ran');
    await rm(python);
    await writeFile(python, `#!/bin/sh\ntouch '${mark}'\nexit 1\n`);
    await chmod(python, 0o755);
    const status = await getInstallStatus(settings);
    expect(status).toMatchObject({ sky_installed: true, sky_version: STANDIN_SKY_VERSION });
    const cli = await runCli(['status', '--json'], envFor(home));
    expect(JSON.parse(cli.stdout)).toMatchObject({ sky_installed: true, sky_version: STANDIN_SKY_VERSION });
    expect(await readFile(mark).then(() => true, () => false)).toBe(false);
  });

  test("a fresh status process does not run uv: the install recorded uv's version on disk", async () => {
    const { home } = await installedHome();
    const log = join(home, '..', 'uv.log');
    const env = envFor(home, { STANDIN_UV_LOG: log });
    for (let i = 0; i < 3; i++) {
      const run = await runCli(['status', '--json'], env);
      expect(JSON.parse(run.stdout)).toMatchObject({ uv_installed: true, uv_version: '0.10.2' });
    }
    expect(await uvRuns(log)).toEqual([]);
  });

  test('the cache is keyed by the uv file: a replaced uv is asked once, then cached again', async () => {
    const { home, layout } = await installedHome();
    const log = join(home, '..', 'uv.log');
    const env = envFor(home, { STANDIN_UV_LOG: log });
    const later = new Date(Date.now() + 5_000);
    await utimes(layout.uv, later, later);
    await runCli(['status', '--json'], env);
    await runCli(['status', '--json'], env);
    expect(await uvRuns(log)).toEqual(['--version']);
  });

  test('a cache entry for another build of uv is not trusted', async () => {
    const { home, layout } = await installedHome();
    const cacheFile = join(layout.cacheDir, 'uv-version.json');
    const entries = JSON.parse(await readFile(cacheFile, 'utf8'));
    entries[layout.uv].version = '9.9.9';
    entries[layout.uv].key = 'some-other-build';
    await writeFile(cacheFile, JSON.stringify(entries));
    const run = await runCli(['status', '--json'], envFor(home));
    expect(JSON.parse(run.stdout).uv_version).toBe('0.10.2');
  });
});

describe('installed means verified', () => {
  test("the environment's Python gone: not installed, with the reason; the next ensure rebuilds it", async () => {
    const { home, settings } = await installedHome();
    await rm(join(home, 'python'), { recursive: true, force: true });
    const status = await getInstallStatus(settings);
    expect(status.sky_installed).toBe(false);
    expect(status.sky_version).toBeNull();
    expect(status.sky_problem).toMatch(/interpreter .* is missing/);
    const cli = await runCli(['status', '--json'], envFor(home));
    expect(JSON.parse(cli.stdout)).toMatchObject({ sky_installed: false, sky_problem: status.sky_problem });
    const text = await runCli(['status'], envFor(home));
    expect(text.stdout).toContain('not usable');
    await repairWithForce(home, settings);
  });

  test('an environment without pip fails verify, is reported by status without starting Python, and repaired', async () => {
    const home = await tempHome('carapace-check-');
    const noPip = await createInstaller({ settings: settingsFromEnv(envFor(home, { STANDIN_UV_NO_PIP: '1' })) }).ensureSkypilot();
    expect(noPip).toMatchObject({ ok: false, error: { code: 'verify_failed', phase: 'verifying' } });
    const settings = settingsFromEnv(envFor(home));
    // A build without pip is never made current.
    expect(await getInstallStatus(settings)).toMatchObject({ sky_installed: false });
    // An environment that loses pip later (a damaged install) is seen by status.
    expect((await createInstaller({ settings }).ensureSkypilot()).ok).toBe(true);
    const sitePackages = join(home, 'tools/environments/skypilot-nightly/lib/python3.12/site-packages');
    for (const name of await readdir(sitePackages)) {
      if (name === 'pip' || /^pip-.*\.dist-info$/.test(name)) await rm(join(sitePackages, name), { recursive: true });
    }
    // A Python that leaves a mark if anything runs it: status reads pip's files instead.
    const python = await managedPython(home);
    const kept = `${python}.kept`;
    const mark = join(home, '..', 'python-ran');
    await rename(python, kept);
    await writeFile(python, `#!/bin/sh\ntouch '${mark}'\nexit 1\n`);
    await chmod(python, 0o755);
    const status = await getInstallStatus(settings);
    expect(status).toMatchObject({ sky_installed: false, sky_version: null });
    expect(status.sky_problem).toMatch(/no pip in .*skypilot-nightly/);
    expect(JSON.parse((await runCli(['status', '--json'], envFor(home))).stdout)).toMatchObject({ sky_problem: status.sky_problem });
    expect(await readFile(mark).then(() => true, () => false)).toBe(false);
    await rename(kept, python);
    await repairWithForce(home, settings);
  });

  test('a dangling sky link: not installed, with the reason, and repaired', async () => {
    const { home, settings, layout } = await installedHome();
    await unlink(layout.sky);
    await symlink(join(layout.toolDir, 'skypilot-nightly', 'bin', 'no-such-sky'), layout.sky);
    const check = await checkInstall(settings);
    expect(check.status.sky_installed).toBe(false);
    expect(check.sky_problem).toContain('dangling link');
    await repairWithForce(home, settings);
  });

  test('an environment without its receipt (an interrupted install) is not installed, and repaired', async () => {
    const { home, settings, layout } = await installedHome();
    await rm(join(layout.toolDir, 'skypilot-nightly', 'uv-receipt.toml'));
    const check = await checkInstall(settings);
    expect(check.status.sky_installed).toBe(false);
    expect(check.sky_problem).toContain('interrupted');
    await repairWithForce(home, settings);
  });

  test("a home with a space and a quote in its path: uv's /bin/sh trampoline is read, and a lost Python still seen", async () => {
    const { home, settings, layout } = await installedHome({}, "Jo's Mac HD");
    const trampoline = `#!/bin/sh\n'''exec' '`;
    expect(await readFile(join(layout.toolDir, 'skypilot-nightly', 'bin', 'sky'), 'utf8')).toStartWith(trampoline);
    expect(await getInstallStatus(settings)).toMatchObject({ sky_installed: true, sky_version: STANDIN_SKY_VERSION });
    const cli = await runCli(['status', '--json'], envFor(home));
    expect(JSON.parse(cli.stdout)).toMatchObject({ sky_installed: true, sky_version: STANDIN_SKY_VERSION, carapace_home: home });
    await rm(join(home, 'python'), { recursive: true, force: true });
    const status = await getInstallStatus(settings);
    // The shebang names the generation the environment was built in (actors/generations.ts).
    const generation = (await readdir(layout.generationsDir))[0];
    expect(status.sky_problem).toBe(`sky cannot start: its interpreter ${join(layout.generationsDir, generation!, 'skypilot-nightly', 'bin', 'python')} is missing`);
    await repairWithForce(home, settings);
  });

  test('a sky that is not executable is not installed, and repaired', async () => {
    const { home, settings, layout } = await installedHome();
    await chmod(join(layout.toolDir, 'skypilot-nightly', 'bin', 'sky'), 0o644);
    const check = await checkInstall(settings);
    expect(check.status.sky_installed).toBe(false);
    expect(check.sky_problem).toBe(`sky cannot start: ${layout.sky} is not executable`);
    await repairWithForce(home, settings);
  });

  test('a link into an environment that is gone is a problem; no link and no environment is not', async () => {
    const { settings, layout } = await installedHome();
    await rm(join(layout.toolDir, 'skypilot-nightly'), { recursive: true });
    expect((await checkInstall(settings)).sky_problem).toBe(
      `${layout.sky} points to a missing environment (../environments/skypilot-nightly/bin/sky)`,
    );
    await unlink(layout.sky);
    expect((await checkInstall(settings)).sky_problem).toBeNull();
  });

  test('nothing installed is not a problem, just not installed', async () => {
    const home = await tempHome('carapace-check-');
    const status = await getInstallStatus(settingsFromEnv(envFor(home)));
    expect(status).toEqual({ uv_installed: false, uv_version: null, sky_installed: false, sky_version: null, carapace_home: home });
  });
});
