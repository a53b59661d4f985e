import { describe, expect, test } from 'bun:test';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installSkypilot, uvInstallArgs } from '../../actors/install-skypilot.ts';
import type { ProgressReport } from '../../machines/install.ts';
import { homeWithUv } from './standin.ts';

const deps = { fetch, now: Date.now };

describe('install SkyPilot actor', () => {
  test('runs uv tool install --python --with pip <spec>, never --force: each build starts in an empty folder', async () => {
    const { settings } = await homeWithUv();
    expect(uvInstallArgs({ settings })).toEqual(['tool', 'install', '--python', '3.12', '--with', 'pip', 'skypilot-nightly[aws]']);
  });

  test('installs into the managed tool folders and turns each stderr line into progress', async () => {
    const { settings, layout } = await homeWithUv({ STANDIN_UV_LOG: '/dev/null' });
    const reports: ProgressReport[] = [];
    const staged = await installSkypilot(
      { settings, deps, uv_path: layout.uv, force: false, report: (p) => reports.push(p) },
      new AbortController().signal,
    );
    // Built in a generation of its own; nothing current is touched until it is activated.
    expect(staged.env_dir).toBe(join(layout.generationsDir, staged.generation, 'skypilot-nightly'));
    expect(staged.sky_path).toBe(join(layout.generationsDir, staged.generation, 'bin', 'sky'));
    expect(await lstat(layout.toolDir).catch(() => null)).toBeNull();
    expect(await lstat(layout.sky).catch(() => null)).toBeNull();
    const receipt = await readFile(join(staged.env_dir, 'uv-receipt.toml'), 'utf8');
    expect(receipt).toContain(`install-path = "${staged.sky_path}"`);
    expect(receipt).toContain('python = "3.12"');
    const messages = reports.map((r) => r.message);
    expect(messages).toContain('Installed 1 executable: sky');
    expect(messages.some((m) => /^Resolved \d+ packages/.test(m))).toBe(true);
    expect(reports.every((r) => r.percent === null)).toBe(true);
  });

  test('while uv runs, a sign of life each second: rising elapsed seconds and the bytes written under the cache', async () => {
    // The stand-in unpacks a 512 kB wheel into uv's cache, then takes 5 s before installing it.
    const { settings, layout } = await homeWithUv({ STANDIN_UV_DELAY: '5', STANDIN_UV_WHEEL_KB: '512' });
    const reports: ProgressReport[] = [];
    await installSkypilot({ settings, deps, uv_path: layout.uv, force: false, report: (p) => reports.push(p) }, new AbortController().signal);
    const beats = reports.filter((r) => r.elapsed_seconds !== undefined);
    // About five; two is the least a 5 s wait may give with beats promised at most 2 s apart.
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.every((b) => b.message === 'uv tool install running' && b.percent === null)).toBe(true);
    for (let i = 1; i < beats.length; i++) expect(beats[i]!.elapsed_seconds!).toBeGreaterThanOrEqual(beats[i - 1]!.elapsed_seconds!);
    expect(beats.at(-1)!.elapsed_seconds!).toBeGreaterThan(beats[0]!.elapsed_seconds!);
    expect(beats.at(-1)!.bytes_done!).toBeGreaterThanOrEqual(512 * 1024);
    // Nothing speaks for the phase once uv is done.
    const count = reports.length;
    await Bun.sleep(1_500);
    expect(reports.length).toBe(count);
  }, 30_000);

  test('a failing uv is uv_install_failed with the end of its stderr as detail', async () => {
    const { settings, layout } = await homeWithUv({ CARAPACE_SKYPILOT_SPEC: 'no-such-package' });
    const error = await installSkypilot(
      { settings, deps, uv_path: layout.uv, force: false, report: () => {} },
      new AbortController().signal,
    ).catch((e) => e);
    expect(error).toMatchObject({ code: 'uv_install_failed' });
    expect(error.message).toContain('exited with 1');
    expect(error.detail).toContain('No solution found');
    // The failed build is gone; nothing of it can become current.
    expect(await readdir(layout.generationsDir)).toEqual([]);
  });

  test('the watchdog ends a hung uv with code timeout', async () => {
    const { settings, layout } = await homeWithUv({ STANDIN_UV_DELAY: '30', CARAPACE_INSTALL_TIMEOUT: '0.5' });
    const started = Date.now();
    const error = await installSkypilot(
      { settings, deps, uv_path: layout.uv, force: false, report: () => {} },
      new AbortController().signal,
    ).catch((e) => e);
    expect(error).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('an abort cancels uv with code cancelled', async () => {
    const { settings, layout } = await homeWithUv({ STANDIN_UV_DELAY: '30' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const error = await installSkypilot(
      { settings, deps, uv_path: layout.uv, force: false, report: () => {} },
      controller.signal,
    ).catch((e) => e);
    expect(error).toMatchObject({ code: 'cancelled' });
  });
});
