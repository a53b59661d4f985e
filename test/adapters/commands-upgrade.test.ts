/** `carapace-sky upgrade`: a new environment built beside the current one under the lock, uv too when the pinned version changed. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmod, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { jsonLines, mirrorEnv, runCli, tempHome, uvRuns } from '../e2e/cli.ts';

let mirror: Mirror;
let newer: Mirror;
beforeAll(async () => {
  [mirror, newer] = await Promise.all([startMirror(), startMirror({ version: '0.10.3' })]);
});
afterAll(async () => {
  await Promise.all([mirror.close(), newer.close()]);
});

const envFor = (home: string, extra: Record<string, string> = {}) => mirrorEnv(mirror, home, extra);

describe('carapace-sky upgrade', () => {
  test('builds the newest version beside the working one with progress, verifies, switches, and status shows it; no uv download', async () => {
    const home = await tempHome('carapace-upgrade-');
    expect((await runCli(['install'], envFor(home))).exitCode).toBe(0);
    const downloads = mirror.downloads();
    const run = await runCli(['upgrade', '--json'], envFor(home, { STANDIN_UPGRADE_TO: '1.0.0.dev20260301' }));
    expect(run.exitCode).toBe(0);
    const { progress, result } = jsonLines(run.stdout);
    expect(result).toMatchObject({ ok: true, sky_path: join(home, 'tools/bin/sky'), status: { sky_version: '1.0.0.dev20260301' } });
    expect([...new Set(progress.map((p) => p.phase))]).toEqual(['checking', 'installing_skypilot', 'verifying', 'complete']);
    expect(progress.at(-1)).toMatchObject({ phase: 'complete', message: 'SkyPilot ready', sky_version: '1.0.0.dev20260301' });
    expect(progress.map((p) => p.message)).toContain('+ skypilot-nightly==1.0.0.dev20260301');
    expect(mirror.downloads()).toBe(downloads);
    // Never uv's in-place upgrade: a failure there would break the working install.
    expect(await uvRuns(home)).not.toContain('tool upgrade');
    expect(await readlink(join(home, 'tools/previous'))).toMatch(/^generations\//);
    const status = JSON.parse((await runCli(['status', '--json'], envFor(home))).stdout);
    expect(status).toMatchObject({ sky_installed: true, sky_version: '1.0.0.dev20260301' });
  });

  test('replaces uv first when the pinned version changed', async () => {
    const home = await tempHome('carapace-upgrade-');
    expect((await runCli(['install'], envFor(home))).exitCode).toBe(0);
    const env = envFor(home, { CARAPACE_UV_VERSION: '0.10.3', CARAPACE_UV_DOWNLOAD_BASE: newer.base, CARAPACE_UV_SHA256: newer.sha256() });
    const run = await runCli(['upgrade', '--json'], env);
    expect(run.exitCode).toBe(0);
    const { progress } = jsonLines(run.stdout);
    expect(progress.map((p) => p.phase)).toContain('downloading_uv');
    expect(newer.downloads()).toBe(1);
    expect(JSON.parse((await runCli(['status', '--json'], env)).stdout)).toMatchObject({ uv_version: '0.10.3', sky_installed: true });
  });

  test('with nothing installed, upgrade installs', async () => {
    const home = await tempHome('carapace-upgrade-');
    const run = await runCli(['upgrade', '--json'], envFor(home));
    expect(run.exitCode).toBe(0);
    expect(jsonLines(run.stdout).result).toMatchObject({ ok: true });
    expect(await uvRuns(home)).toContain('tool install');
  });

  test('a failing uv upgrade exits 1 with uv_install_failed, and the error names the kept log', async () => {
    const home = await tempHome('carapace-upgrade-');
    expect((await runCli(['install'], envFor(home))).exitCode).toBe(0);
    // A uv that knows its version but fails every tool command, as on a broken index.
    const uv = join(home, 'uv/bin/uv');
    await writeFile(uv, `#!/bin/sh\nif [ "$1" = --version ]; then echo 'uv 0.10.2 (0a1b2c3d4 2026-02-14)'; exit 0; fi\necho 'error: Failed to fetch: https://user:s3cret-t0ken@pypi.example/simple/ (token=abcdef123456)' >&2\nexit 2\n`);
    await chmod(uv, 0o755);
    const run = await runCli(['upgrade', '--json'], envFor(home));
    expect(run.exitCode).toBe(1);
    const { result } = jsonLines(run.stdout);
    expect(result).toMatchObject({ ok: false, error: { code: 'uv_install_failed', phase: 'installing_skypilot' } });
    const log = /log: (\S+)/.exec(result.error.detail)?.[1];
    expect(log).toStartWith(join(home, 'logs', 'upgrade-'));
    const text = await readFile(log!, 'utf8');
    expect(text).toContain('Failed to fetch');
    // Credentials in uv's output are redacted in the log and in the error.
    expect(text).not.toContain('s3cret-t0ken');
    expect(run.stdout).not.toContain('s3cret-t0ken');
    expect(text).toContain('https://***@pypi.example/simple/');
  });
});
