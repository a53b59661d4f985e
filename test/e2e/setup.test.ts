/**
 * bin/setup end to end: the bash entry point installs through the real CLI from a loopback
 * mirror, and a second run finds everything in place without a single request.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { STANDIN_SKY_VERSION } from '../../demo/standin-uv.ts';
import { tempHome } from './cli.ts';

const SETUP = resolve(import.meta.dir, '../../bin/setup');
let mirror: Mirror;

beforeAll(async () => {
  mirror = await startMirror();
});
afterAll(async () => {
  await mirror.close();
});

async function setup(env: Record<string, string>, args: string[] = []) {
  const run = await execa(SETUP, args, { env: { ...process.env, CI: '1', ...env }, reject: false, timeout: 120_000, stdin: 'ignore' });
  return { exitCode: run.exitCode ?? -1, stdout: String(run.stdout), stderr: String(run.stderr) };
}

describe('bin/setup', () => {
  test('installs through carapace-sky once, then says already installed without touching the mirror', async () => {
    const home = await tempHome('carapace-setup-');
    const env = { CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: mirror.base, CARAPACE_UV_SHA256: mirror.sha256() };

    const first = await setup(env);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain(`setup: installing uv (and SkyPilot with it) into ${home}`);
    // The installer's own progress lines: proof the install went through carapace-sky.
    expect(first.stdout).toContain('==> Downloading uv');
    expect(first.stdout).toContain(`setup: SkyPilot already installed (${STANDIN_SKY_VERSION}) in ${home}`);
    expect(first.stdout).toContain(`setup: sky is ${join(home, 'tools/bin/sky')}`);
    expect(mirror.downloads()).toBeGreaterThanOrEqual(1);
    const receipt = await readFile(join(home, 'tools/environments/skypilot-nightly/uv-receipt.toml'), 'utf8');
    expect(receipt).toContain('skypilot-nightly');

    const requestsBefore = mirror.requests.length;
    const second = await setup(env);
    expect(second.exitCode).toBe(0);
    expect(second.stdout.trim().split('\n')).toEqual([
      `setup: uv already installed (0.10.2) in ${home}`,
      `setup: SkyPilot already installed (${STANDIN_SKY_VERSION}) in ${home}`,
      `setup: sky is ${join(home, 'tools/bin/sky')}`,
    ]);
    expect(mirror.requests.length).toBe(requestsBefore);
  }, 180_000);

  test('--home reaches the installer, and a failed install fails setup with the installer saying why', async () => {
    const home = await tempHome('carapace-setup-');
    // A digest that cannot match: the real installer must refuse the archive.
    const bad = await setup({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, CARAPACE_UV_SHA256: '0'.repeat(64) }, ['--home', home]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toContain(`setup: installing uv (and SkyPilot with it) into ${home}`);
    expect(bad.stderr).toContain('setup: carapace-sky install failed');
    expect(bad.stdout + bad.stderr).toMatch(/checksum/i);
  }, 180_000);

  test('unknown arguments are refused before anything runs', async () => {
    const refused = await setup({}, ['--frobnicate']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('unknown argument: --frobnicate');
    expect(refused.stdout).toBe('');
  });
});
