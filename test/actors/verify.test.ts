import { describe, expect, test } from 'bun:test';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { installSkypilot } from '../../actors/install-skypilot.ts';
import { parseSkyVersion, verifySky } from '../../actors/verify.ts';
import { STANDIN_SKY_VERSION } from '../../demo/standin-uv.ts';
import { homeWithUv } from './standin.ts';

const deps = { fetch, now: Date.now };
const signal = () => new AbortController().signal;

describe('verify actor', () => {
  test('parses `skypilot, version X`', () => {
    expect(parseSkyVersion('skypilot, version 1.0.0.dev20260214\n')).toBe('1.0.0.dev20260214');
    expect(parseSkyVersion('Usage: sky [OPTIONS]')).toBeNull();
  });

  test('runs the installed sky --version', async () => {
    const { settings, layout } = await homeWithUv();
    const staged = await installSkypilot({ settings, deps, uv_path: layout.uv, force: false, report: () => {} }, signal());
    expect(await verifySky({ settings, deps, report: () => {}, sky_path: staged.sky_path, env_dir: staged.env_dir }, signal())).toEqual({
      sky_path: staged.sky_path,
      sky_version: STANDIN_SKY_VERSION,
    });
  });

  test('a sky whose Python is gone is verify_failed', async () => {
    const { settings, layout } = await homeWithUv();
    const staged = await installSkypilot({ settings, deps, uv_path: layout.uv, force: false, report: () => {} }, signal());
    await rm(layout.pythonDir, { recursive: true });
    const error = await verifySky({ settings, deps, report: () => {}, sky_path: staged.sky_path }, signal()).catch((e) => e);
    expect(error).toMatchObject({ code: 'verify_failed' });
  });

  test('a sky that prints no version is verify_failed with its output as detail', async () => {
    const { settings, layout } = await homeWithUv();
    await mkdir(layout.toolBinDir, { recursive: true });
    await writeFile(layout.sky, '#!/bin/sh\necho "Traceback: ImportError: no module named sky" >&2\nexit 1\n');
    await chmod(layout.sky, 0o755);
    const error = await verifySky({ settings, deps, report: () => {} }, signal()).catch((e) => e);
    expect(error).toMatchObject({ code: 'verify_failed' });
    expect(error.detail).toContain('ImportError');
  });
});
