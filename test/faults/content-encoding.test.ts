/**
 * Archives from object stores: a .tar.gz stored on S3/CloudFront with `Content-Encoding: gzip`
 * is sent with that header even to a client that asked for identity. The bytes on the wire
 * are the archive; hashing what fetch inflated failed three times with size_mismatch, where
 * curl saves the raw bytes and the digest matches. Served here by a real nginx.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildUvArchive, hostTriple, sidecarText } from '../../demo/release.ts';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { leftovers, removeHome, runDownload, tempHome, VERSION } from './harness.ts';
import { startNginx, type RealServer } from './servers.ts';

let root: string;
let nginx: RealServer;
const homes: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nginx-root-'));
  const dir = join(root, 'uv', VERSION);
  // Padding makes the archive big enough that an inflated body could not pass for it.
  const archive = await buildUvArchive({ version: VERSION, triple: hostTriple(), outDir: dir, padBytes: 200_000 });
  await writeFile(`${archive.path}.sha256`, sidecarText(archive.sha256, archive.name));
  nginx = await startNginx(root, ['location ~ \\.tar\\.gz$ { add_header Content-Encoding gzip; }']);
});

afterAll(async () => {
  await nginx.stop();
  await rm(root, { recursive: true, force: true });
  for (const home of homes) await removeHome(home);
});

test('an archive nginx sends with Content-Encoding: gzip is hashed and unpacked as stored, and installs', async () => {
  const headers = await fetch(`${nginx.url}/uv/${VERSION}/uv-${hostTriple()}.tar.gz`, { method: 'HEAD' });
  expect(headers.headers.get('content-encoding')).toBe('gzip');
  const home = await tempHome('encoding-home-');
  homes.push(home);
  const run = await runDownload({ CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: `${nginx.url}/uv` });
  expect(run.error).toBeNull();
  expect(run.ok?.uv_version).toBe(VERSION);
  expect(run.progress.some((p) => p.message.includes('retrying'))).toBe(false);
  expect(await leftovers(home)).toEqual([`${home}/uv/bin/uv`, `${home}/uv/bin/uvx`]);
});

test('the archive and its sidecar are asked for with Accept-Encoding: identity', async () => {
  const asked: Array<string | null> = [];
  const mirror: Mirror = await startMirror({
    version: VERSION,
    handler: (req) => {
      asked.push(req.headers.get('accept-encoding'));
      return undefined;
    },
  });
  const home = await tempHome('encoding-home-');
  homes.push(home);
  try {
    const run = await runDownload({ CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
    expect(run.error).toBeNull();
    expect(asked).toEqual(['identity', 'identity']);
  } finally {
    await mirror.close();
  }
});
