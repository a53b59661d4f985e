import { describe, expect, test } from 'bun:test';
import { chmod, cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installSkypilot } from '../../actors/install-skypilot.ts';
import { parsePipVersion, parseSkyVersion, verifySky } from '../../actors/verify.ts';
import { STANDIN_SKY_VERSION } from '../../demo/standin-uv.ts';
import { homeWithUv, installCurrent } from './standin.ts';

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

  test('parses `pip X from ...`', () => {
    expect(parsePipVersion('pip 25.1.1 from /h/tools/environments/skypilot-nightly/lib/python3.12/site-packages/pip (python 3.12)\n')).toBe('25.1.1');
    expect(parsePipVersion('/h/bin/python: No module named pip\n')).toBeNull();
  });

  test('an environment without pip is verify_failed, naming pip and its output', async () => {
    const { settings, layout } = await homeWithUv({ STANDIN_UV_NO_PIP: '1' });
    const staged = await installSkypilot({ settings, deps, uv_path: layout.uv, force: false, report: () => {} }, signal());
    const error = await verifySky({ settings, deps, report: () => {}, sky_path: staged.sky_path, env_dir: staged.env_dir }, signal()).catch((e) => e);
    expect(error).toMatchObject({ code: 'verify_failed' });
    expect(error.message).toContain('pip');
    expect(error.detail).toContain('No module named pip');
  });

  test('verifies the environment and sky it is given, not the current ones', async () => {
    const { settings, layout } = await homeWithUv();
    await installCurrent(settings, layout);
    // A second environment beside the current one, as an upgrade builds it; the current loses pip.
    const current = join(layout.toolDir, 'skypilot-nightly');
    const next = join(layout.toolDir, '..', 'next');
    await cp(current, next, { recursive: true, verbatimSymlinks: true });
    await rm(join(current, 'lib/python3.12/site-packages/pip-25.1.1.dist-info'), { recursive: true });
    const sky = join(next, 'bin', 'sky-next');
    await writeFile(sky, `#!${join(next, 'bin/python')}\n# standin-sky-version: 2.0.0\n`);
    await chmod(sky, 0o755);
    expect(await verifySky({ settings, deps, report: () => {}, env_dir: next, sky_path: sky }, signal())).toEqual({ sky_path: sky, sky_version: '2.0.0' });
    expect(await verifySky({ settings, deps, report: () => {} }, signal()).catch((e) => e)).toMatchObject({ code: 'verify_failed' });
  });
});
