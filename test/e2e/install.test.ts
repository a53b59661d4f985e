/**
 * The steel thread end to end: the real CLI process installs from a loopback mirror that
 * serves a stand-in uv release, and the result is read back with `status --json`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { buildUvArchive, hostTriple, sidecarText } from '../../demo/release.ts';
import { STANDIN_SKY_VERSION } from '../../demo/standin-uv.ts';
import { exists, jsonLines, mirrorEnv, runCli, tempHome, uvRuns } from './cli.ts';

let mirror: Mirror;

beforeAll(async () => {
  mirror = await startMirror();
});
afterAll(async () => {
  await mirror.close();
});

const envFor = (home: string, extra: Record<string, string> = {}) => mirrorEnv(mirror, home, extra);

describe('carapace-sky install (end to end)', () => {
  test('a fresh install downloads uv, installs SkyPilot, verifies it, and status reports it', async () => {
    const home = await tempHome();
    const before = mirror.downloads();
    const run = await runCli(['install', '--json'], envFor(home));
    expect(run.exitCode).toBe(0);
    const { progress, result } = jsonLines(run.stdout);
    expect(result).toMatchObject({ ok: true, sky_path: join(home, 'tools/bin/sky') });
    expect(mirror.downloads()).toBe(before + 1);
    const phases = [...new Set(progress.map((p) => p.phase))];
    expect(phases).toEqual(['checking', 'downloading_uv', 'installing_skypilot', 'verifying', 'complete']);
    expect(progress.filter((p) => p.phase === 'complete')).toEqual([
      { phase: 'complete', message: 'SkyPilot ready', percent: null, sky_version: expect.any(String), sky_path: join(home, 'tools/bin/sky') },
    ]);
    for (const p of progress) expect(Object.keys(p)).toEqual(expect.arrayContaining(['phase', 'message', 'percent']));
    const download = progress.filter((p) => p.phase === 'downloading_uv' && p.percent !== null);
    expect(download.at(-1)?.percent).toBe(100);
    expect(progress.some((p) => p.message === 'Installed 1 executable: sky')).toBe(true);

    const status = await runCli(['status', '--json'], envFor(home));
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({
      uv_installed: true,
      uv_version: '0.10.2',
      sky_installed: true,
      sky_version: STANDIN_SKY_VERSION,
      carapace_home: home,
    });
    const which = await runCli(['which'], envFor(home));
    expect(which.stdout.trim()).toBe(join(home, 'tools/bin/sky'));
    const sky = await execa(join(home, 'tools/bin/sky'), ['--version']);
    expect(sky.stdout).toBe(`skypilot, version ${STANDIN_SKY_VERSION}`);
    expect(await readdir(join(home, 'staging'))).toEqual([]);

    // Second run: checking → complete, no download, no uv run.
    const again = await runCli(['install', '--json'], envFor(home));
    expect(again.exitCode).toBe(0);
    const second = jsonLines(again.stdout);
    expect(second.result.ok).toBe(true);
    expect([...new Set(second.progress.map((p) => p.phase))]).toEqual(['checking', 'complete']);
    expect(mirror.downloads()).toBe(before + 1);
    expect((await uvRuns(home)).filter((run) => run === 'tool install')).toHaveLength(1);
  });

  test('uv present and sky missing: installs SkyPilot without downloading uv', async () => {
    const home = await tempHome();
    expect((await runCli(['install', '--json'], envFor(home))).exitCode).toBe(0);
    await rm(join(home, 'tools'), { recursive: true, force: true });
    const before = mirror.downloads();
    const run = await runCli(['install', '--json'], envFor(home));
    expect(run.exitCode).toBe(0);
    const { progress, result } = jsonLines(run.stdout);
    expect(result.ok).toBe(true);
    expect([...new Set(progress.map((p) => p.phase))]).toEqual(['checking', 'installing_skypilot', 'verifying', 'complete']);
    expect(mirror.downloads()).toBe(before);
  });

  test('a broken tool environment (its Python gone) is not reported installed, and install repairs it', async () => {
    const home = await tempHome();
    expect((await runCli(['install', '--json'], envFor(home))).exitCode).toBe(0);
    await rm(join(home, 'python'), { recursive: true, force: true });
    const status = JSON.parse((await runCli(['status', '--json'], envFor(home))).stdout);
    expect(status).toMatchObject({ uv_installed: true, sky_installed: false });
    const run = await runCli(['install', '--json'], envFor(home));
    expect(jsonLines(run.stdout).result.ok).toBe(true);
    expect(JSON.parse((await runCli(['status', '--json'], envFor(home))).stdout).sky_installed).toBe(true);
  });

  test('a changed CARAPACE_SKYPILOT_SPEC or CARAPACE_PYTHON reinstalls instead of being ignored', async () => {
    const home = await tempHome();
    expect((await runCli(['install', '--json'], envFor(home))).exitCode).toBe(0);
    const receipt = join(home, 'tools/environments/skypilot-nightly/uv-receipt.toml');

    const gcp = await runCli(['install', '--json'], envFor(home, { CARAPACE_SKYPILOT_SPEC: 'skypilot-nightly[aws,gcp]' }));
    expect(jsonLines(gcp.stdout).result.ok).toBe(true);
    expect([...new Set(jsonLines(gcp.stdout).progress.map((p) => p.phase))]).toContain('installing_skypilot');
    expect(await readFile(receipt, 'utf8')).toContain('extras = ["aws", "gcp"]');

    const py311 = await runCli(['install', '--json'], envFor(home, { CARAPACE_SKYPILOT_SPEC: 'skypilot-nightly[aws,gcp]', CARAPACE_PYTHON: '3.11' }));
    expect(jsonLines(py311.stdout).result.ok).toBe(true);
    expect(await readFile(receipt, 'utf8')).toContain('python = "3.11"');

    // Asking again for what is there is checking → complete.
    const same = await runCli(['install', '--json'], envFor(home, { CARAPACE_SKYPILOT_SPEC: 'skypilot-nightly[gcp,aws]', CARAPACE_PYTHON: '3.11' }));
    expect([...new Set(jsonLines(same.stdout).progress.map((p) => p.phase))]).toEqual(['checking', 'complete']);
  });

  test('a digest mismatch fails with checksum_mismatch and leaves no uv behind', async () => {
    const home = await tempHome();
    const wrong = createHash('sha256').update('not the archive').digest('hex');
    const run = await runCli(['install', '--json'], envFor(home, { CARAPACE_UV_SHA256: wrong }));
    expect(run.exitCode).toBe(1);
    const { result, progress } = jsonLines(run.stdout);
    expect(result).toMatchObject({ ok: false, error: { code: 'checksum_mismatch', phase: 'downloading_uv' } });
    expect(result.error.hint).toBeTruthy();
    // The progress ends with the same error, and the log the user is told to read.
    expect(progress.filter((p) => p.phase === 'error' || p.phase === 'complete')).toEqual([progress.at(-1)!]);
    expect(progress.at(-1)).toMatchObject({ phase: 'error', message: result.error.message, error: { ...result.error, log_path: expect.stringContaining(join(home, 'logs')) } });
    expect(result.error.detail).toContain(wrong);
    expect(await exists(join(home, 'uv/bin/uv'))).toBe(false);
    expect(await readdir(join(home, 'staging'))).toEqual([]);
  });

  test('a stray sky link left by something else is replaced rather than failing', async () => {
    const home = await tempHome();
    await mkdir(join(home, 'tools/bin'), { recursive: true });
    await symlink('/nonexistent/sky', join(home, 'tools/bin/sky'));
    const run = await runCli(['install', '--json'], envFor(home));
    expect(jsonLines(run.stdout).result.ok).toBe(true);
  });

  test('human output: plain lines when not on a terminal, the error with its hint on stderr', async () => {
    const home = await tempHome();
    const wrong = '0'.repeat(64);
    const run = await runCli(['install'], envFor(home, { CARAPACE_UV_SHA256: wrong }));
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('==> Downloading uv');
    expect(run.stderr).toContain('error[checksum_mismatch] during downloading_uv');
    expect(run.stderr).toContain('hint: ');
  });
});

describe('broken archives from a mirror (end to end)', () => {
  test('an archive that is not a tar.gz, with a matching sidecar, ends in archive_invalid and no uv', async () => {
    const garbage = new TextEncoder().encode('this is not a gzip stream '.repeat(100));
    const digest = createHash('sha256').update(garbage).digest('hex');
    const broken = await startMirror({
      version: '0.10.3',
      handler: (req) => {
        const path = new URL(req.url).pathname;
        if (path.endsWith('.sha256')) return new Response(`${digest}  ${path.split('/').pop()!.replace(/\.sha256$/, '')}\n`);
        if (path.endsWith('.tar.gz')) return new Response(garbage, { headers: { 'content-length': String(garbage.length) } });
        return undefined;
      },
    });
    try {
      const home = await tempHome();
      const run = await runCli(['install', '--json'], {
        CARAPACE_HOME: home,
        CARAPACE_UV_VERSION: '0.10.3',
        CARAPACE_UV_DOWNLOAD_BASE: broken.base,
      });
      expect(run.exitCode).toBe(1);
      const { result } = jsonLines(run.stdout);
      expect(result).toMatchObject({ ok: false, error: { code: 'archive_invalid', phase: 'downloading_uv' } });
      expect(await exists(join(home, 'uv/bin/uv'))).toBe(false);
      expect(await exists(join(home, 'uv/bin/uvx'))).toBe(false);
      expect(await readdir(join(home, 'staging'))).toEqual([]);
    } finally {
      await broken.close();
    }
  });

  test('without an explicit digest, the sidecar is trusted for versions outside the built-in table', async () => {
    const other = await startMirror({ version: '0.10.3' });
    try {
      const home = await tempHome();
      const run = await runCli(['install', '--json'], {
        CARAPACE_HOME: home,
        CARAPACE_UV_VERSION: '0.10.3',
        CARAPACE_UV_DOWNLOAD_BASE: other.base,
      });
      expect(jsonLines(run.stdout).result).toMatchObject({ ok: true });
      expect(other.requests.some((r) => r.path.endsWith('.sha256'))).toBe(true);
    } finally {
      await other.close();
    }
  });

  test('the built-in digest table beats the sidecar: a stand-in posing as 0.10.2 is refused', async () => {
    const home = await tempHome();
    const run = await runCli(['install', '--json'], { CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
    expect(jsonLines(run.stdout).result).toMatchObject({ ok: false, error: { code: 'checksum_mismatch' } });
    expect(await exists(join(home, 'uv/bin/uv'))).toBe(false);
  });
});

describe('a file:// mirror (an air-gapped copy on disk)', () => {
  test('installs from it; a base without the files says which file is missing, and the next base is tried', async () => {
    const root = join(await tempHome('carapace-filemirror-'), '..', 'mirror');
    await mkdir(join(root, '0.10.5'), { recursive: true });
    const archive = await buildUvArchive({ version: '0.10.5', triple: hostTriple(), outDir: join(root, '0.10.5') });
    await writeFile(`${archive.path}.sha256`, sidecarText(archive.sha256, archive.name));
    const env = (bases: string) => ({ CARAPACE_HOME: '', CARAPACE_UV_VERSION: '0.10.5', CARAPACE_UV_DOWNLOAD_BASE: bases });

    const missing = await runCli(['install', '--json'], { ...env('file:///nonexistent/uv'), CARAPACE_HOME: await tempHome() });
    // 0.10.5 is not in the built-in table, so the sidecar is looked for first; with the
    // archive missing too, the release is what is missing (not a digest).
    expect(jsonLines(missing.stdout).result).toMatchObject({
      ok: false,
      error: { code: 'http_status', detail: expect.stringContaining('/nonexistent/uv/0.10.5/uv-') },
    });
    expect(jsonLines(missing.stdout).result.error.message).toMatch(/^uv 0\.10\.5 for .* is not at file:\/\/\/nonexistent\/uv: .* does not exist$/);

    const run = await runCli(['install', '--json'], { ...env(`file:///nonexistent/uv,file://${root}`), CARAPACE_HOME: await tempHome() });
    const { progress, result } = jsonLines(run.stdout);
    expect(result).toMatchObject({ ok: true, status: { uv_version: '0.10.5' } });
    expect(progress.some((p) => String(p.message).includes('trying the next source'))).toBe(true);
  });
});

