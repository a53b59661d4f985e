/**
 * The archive half of the fault suite: integrity (wrong or missing digest, corrupt gzip)
 * and safe extraction (paths that escape, links, devices, huge entries, no uv). Each case
 * asserts the exact code and that CARAPACE_HOME keeps no partial uv and no staging.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { hostTriple, sidecarText } from '../../demo/release.ts';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { releaseEntries, sha256, tarGz, type TarEntry } from './archives.ts';
import { leftovers, removeHome, runDownload, serveArchive, tempHome, VERSION, type RunResult } from './harness.ts';

const TRIPLE = hostTriple();
const TOP = `uv-${TRIPLE}`;
const homes: string[] = [];
const mirrors: Mirror[] = [];

afterAll(async () => {
  for (const mirror of mirrors) await mirror.close();
  for (const home of homes) await removeHome(home);
});

async function serve(archive: Uint8Array, opts: { sidecar?: string | null } = {}, env: Record<string, string> = {}) {
  const mirror = await startMirror({ version: VERSION, handler: serveArchive(archive, opts) });
  mirrors.push(mirror);
  const home = await tempHome();
  homes.push(home);
  const run = await runDownload({ CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: mirror.base, ...env });
  return { run, home, mirror };
}

async function expectRefused(run: RunResult, home: string, code: string, message?: RegExp) {
  expect(run.ok).toBeNull();
  expect(run.error?.code).toBe(code as never);
  if (message) expect(run.error?.message).toMatch(message);
  expect(await leftovers(home)).toEqual([]);
}

const good = () => releaseEntries(TRIPLE, VERSION);
const withExtra = (extra: TarEntry) => tarGz([...good(), extra]);

let goodArchive: Uint8Array;
beforeAll(() => {
  goodArchive = tarGz(good());
});

describe('integrity', () => {
  test('the hand-built release installs, so each fault below is the only thing wrong', async () => {
    const { run, home } = await serve(goodArchive);
    expect(run.error).toBeNull();
    expect(run.ok?.uv_version).toBe(VERSION);
    expect(await leftovers(home)).toEqual([`${home}/uv/bin/uv`, `${home}/uv/bin/uvx`]);
  });

  test('a sidecar with the wrong digest is checksum_mismatch', async () => {
    const wrong = sidecarText('0'.repeat(64), `${TOP}.tar.gz`);
    const { run, home } = await serve(goodArchive, { sidecar: wrong });
    await expectRefused(run, home, 'checksum_mismatch');
    expect(run.error?.detail).toContain(`expected ${'0'.repeat(64)}`);
    expect(run.error?.detail).toContain(`actual   ${sha256(goodArchive)}`);
  });

  test('a sidecar naming another file is checksum_unavailable', async () => {
    const { run, home } = await serve(goodArchive, { sidecar: sidecarText(sha256(goodArchive), 'uv-other.tar.gz') });
    await expectRefused(run, home, 'checksum_unavailable', /malformed/);
  });

  test('no sidecar and no other digest is checksum_unavailable, and the archive is never fetched', async () => {
    const { run, home, mirror } = await serve(goodArchive, { sidecar: null });
    await expectRefused(run, home, 'checksum_unavailable', /no trusted sha256/);
    expect(mirror.downloads()).toBe(0);
  });

  test('CARAPACE_UV_SHA256 beats the sidecar', async () => {
    const { run, home } = await serve(goodArchive, { sidecar: null }, { CARAPACE_UV_SHA256: sha256(goodArchive) });
    expect(run.error).toBeNull();
    expect(await leftovers(home)).toHaveLength(2);
  });

  test('corrupt gzip that matches its digest is archive_corrupt', async () => {
    const corrupt = goodArchive.slice();
    for (let i = 40; i < 80; i++) corrupt[i] = corrupt[i]! ^ 0x5a;
    const { run, home } = await serve(corrupt);
    await expectRefused(run, home, 'archive_corrupt');
  });

  test('gzip corrupted on the way (pinned digest) is checksum_mismatch, not a broken archive', async () => {
    const corrupt = goodArchive.slice();
    for (let i = 40; i < 80; i++) corrupt[i] = corrupt[i]! ^ 0x5a;
    const { run, home } = await serve(corrupt, {}, { CARAPACE_UV_SHA256: sha256(goodArchive) });
    await expectRefused(run, home, 'checksum_mismatch');
  });

  test('a body that is not gzip at all is archive_invalid: the wrong file, not a damaged one', async () => {
    const html = new TextEncoder().encode('<html>rate limited</html>\n');
    const { run, home } = await serve(html);
    await expectRefused(run, home, 'archive_invalid', /not gzip/);
  });

  test('a gzip stream cut short is archive_corrupt', async () => {
    const cut = goodArchive.subarray(0, goodArchive.byteLength - 30);
    const { run, home } = await serve(cut);
    await expectRefused(run, home, 'archive_corrupt');
  });
});

describe('safe extraction', () => {
  test('a `..` entry is archive_invalid', async () => {
    const { run, home } = await serve(withExtra({ path: `${TOP}/../../escape`, body: 'x' }));
    await expectRefused(run, home, 'archive_invalid', /leaves the archive/);
  });

  test('an absolute-path entry is archive_invalid', async () => {
    const { run, home } = await serve(withExtra({ path: '/tmp/carapace-fault-absolute', body: 'x' }));
    await expectRefused(run, home, 'archive_invalid', /absolute path/);
  });

  test('a symlink entry is archive_invalid, even one named uv', async () => {
    const top = good().slice(0, 1);
    const { run, home } = await serve(tarGz([...top, { path: `${TOP}/uv`, type: 'symlink', linkpath: '/bin/sh' }]));
    await expectRefused(run, home, 'archive_invalid', /SymbolicLink entry/);
  });

  test('a hard link entry is archive_invalid', async () => {
    const { run, home } = await serve(withExtra({ path: `${TOP}/uv2`, type: 'hardlink', linkpath: `${TOP}/uv` }));
    await expectRefused(run, home, 'archive_invalid', /Link entry/);
  });

  test('a device entry is archive_invalid', async () => {
    const { run, home } = await serve(withExtra({ path: `${TOP}/null`, type: 'chardev' }));
    await expectRefused(run, home, 'archive_invalid', /CharacterDevice entry/);
  });

  test('an archive without uv is archive_invalid', async () => {
    const { run, home } = await serve(tarGz(good().filter((e) => !e.path.endsWith('/uv'))));
    await expectRefused(run, home, 'archive_invalid', /does not contain uv/);
  });

  test('an entry larger than 256 MB is refused from its header, without reading the body', async () => {
    const huge = tarGz([...good(), { path: `${TOP}/huge`, size: 300 * 1024 * 1024 }], { truncateLast: true });
    expect(huge.byteLength).toBeLessThan(16 * 1024);
    const { run, home } = await serve(huge);
    await expectRefused(run, home, 'archive_invalid', /is 314572800 bytes \(limit 268435456\)/);
  });

  test('uv twice is archive_invalid', async () => {
    const { run, home } = await serve(withExtra({ path: `${TOP}/uv`, body: '#!/bin/sh\necho evil\n' }));
    await expectRefused(run, home, 'archive_invalid', /uv twice/);
  });

  test('a uv that does not run is archive_invalid', async () => {
    const entries = good().map((e) => (e.path.endsWith('/uv') ? { ...e, body: '#!/bin/sh\nexit 3\n' } : e));
    const { run, home } = await serve(tarGz(entries));
    await expectRefused(run, home, 'archive_invalid', /does not run/);
  });
});
