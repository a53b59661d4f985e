/**
 * Memory stays bounded by design (issue 10 item 7): a gzip bomb with a valid digest, every
 * entry under the per-entry limit, is inflated only as fast as it is consumed and refused past
 * the total bound, in a download process whose peak RSS stays under 100 MB.
 */
import { afterAll, expect, test } from 'bun:test';
import { execa } from 'execa';
import { gzipSync } from 'node:zlib';
import { hostTriple } from '../../demo/release.ts';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { gzipBomb } from './archives.ts';
import { leftovers, removeHome, runDownload, serveArchive, tempHome, VERSION } from './harness.ts';

const MB = 1024 * 1024;
const homes: string[] = [];
const mirrors: Mirror[] = [];

afterAll(async () => {
  for (const mirror of mirrors) await mirror.close();
  for (const home of homes) await removeHome(home);
});

test.each([
  ['entries it skips', {}],
  ['a 200 MB uv it writes to disk first', { uvBytes: 200 * MB }],
])('a gzip bomb (30 GB from 30 MB, %s) is archive_invalid with peak RSS under 100 MB', async (_, extra) => {
  const bomb = gzipBomb(hostTriple(), VERSION, { entryBytes: 128 * MB, count: 240, ...extra });
  expect(bomb.byteLength).toBeLessThan(40 * MB);
  const mirror = await startMirror({ version: VERSION, handler: serveArchive(bomb) });
  mirrors.push(mirror);
  const home = await tempHome('fault-bomb-');
  homes.push(home);
  const env = { CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: mirror.base };
  // Through sh, so the child is forked from a small process: Linux carries the forker's RSS
  // high-water mark into ru_maxrss (not into VmHWM, but the child should owe us nothing).
  const child = await execa('sh', ['-c', '"$@" & wait $!', 'sh', process.execPath, `${import.meta.dir}/download-child.ts`, JSON.stringify(env)]);
  const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
    ok: boolean;
    error: { code: string; message: string } | null;
    peak_rss_kb: number;
  };
  expect(result.ok).toBe(false);
  expect(result.error).toMatchObject({ code: 'archive_invalid' });
  expect(result.error?.message).toContain('unpacks to more than');
  expect(result.peak_rss_kb).toBeGreaterThan(0);
  expect(result.peak_rss_kb).toBeLessThan(100 * 1024);
  expect(await leftovers(home)).toEqual([]);
}, 120_000);

test('gzip inside gzip is archive_invalid: the tar parser never inflates anything itself', async () => {
  const inner = gzipBomb(hostTriple(), VERSION, { entryBytes: MB, count: 1 });
  const archive = new Uint8Array(gzipSync(inner));
  const mirror = await startMirror({ version: VERSION, handler: serveArchive(archive) });
  mirrors.push(mirror);
  const home = await tempHome('fault-nested-');
  homes.push(home);
  const run = await runDownload({ CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
  expect(run.error).toMatchObject({ code: 'archive_invalid', message: 'the uv archive is gzip inside gzip, not a tar archive' });
  expect(await leftovers(home)).toEqual([]);
});
