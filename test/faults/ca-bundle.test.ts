/**
 * uv trusts exactly what the download trusted. Many images set SSL_CERT_FILE; add a private
 * CA through NODE_EXTRA_CA_CERTS or SSL_CERT_DIR and the download trusts both, so uv (which
 * reads only SSL_CERT_FILE) must get one bundle of both, or its index and Python downloads
 * behind the same TLS proxy fail after the uv download passed. openssl checks each bundle
 * against the test server's certificate, as a TLS client would.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { layoutOf } from '../../actors/layout.ts';
import { uvEnvironment } from '../../actors/uv-env.ts';
import { diagnoseTrust } from '../../installer/network-diagnosis.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { sidecarText } from '../../demo/release.ts';
import { removeHome, runDownload, tempHome, VERSION } from './harness.ts';

const TLS = join(import.meta.dir, 'tls');
const CA = join(TLS, 'ca.pem');
const SERVER_CERT = join(TLS, 'server.pem');

let scratch: string;
/** An "image's" SSL_CERT_FILE: one public root, not the private CA. */
let imageBundle: string;
/** An SSL_CERT_DIR holding the private CA, as `c_rehash` leaves it. */
let certDir: string;
let mirror: Mirror;
let secure: Server;
let secureBase: string;
const homes: string[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ca-bundle-'));
  imageBundle = join(scratch, 'image-roots.pem');
  await writeFile(imageBundle, `${rootCertificates[0]}\n`);
  certDir = join(scratch, 'certs');
  await mkdir(certDir);
  await copyFile(CA, join(certDir, 'corp-ca.pem'));
  mirror = await startMirror({ version: VERSION });
  const archive = await readFile(mirror.archivePath());
  const name = mirror.url().split('/').pop()!;
  secure = createServer({ key: await readFile(join(TLS, 'server.key')), cert: await readFile(SERVER_CERT) }, (req, res) => {
    if (req.url?.endsWith('.tar.gz')) res.writeHead(200, { 'content-length': archive.byteLength }).end(archive);
    else if (req.url?.endsWith('.sha256')) res.end(sidecarText(mirror.sha256(), name));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
  secureBase = `https://127.0.0.1:${(secure.address() as AddressInfo).port}/uv`;
});

afterAll(async () => {
  await mirror.close();
  secure.closeAllConnections();
  await new Promise((resolve) => secure.close(resolve));
  await rm(scratch, { recursive: true, force: true });
  for (const home of homes) await removeHome(home);
});

/** True when a TLS client trusting only `bundle` accepts the test server's certificate. */
function verifies(bundle: string): boolean {
  try {
    execFileSync('openssl', ['verify', '-CAfile', bundle, SERVER_CERT], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

async function downloadThenUvEnv(env: Record<string, string>) {
  const home = await tempHome('ca-home-');
  homes.push(home);
  const run = await runDownload({ CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: secureBase, ...env });
  const uvEnv = await uvEnvironment(layoutOf(home), env);
  return { run, home, bundle: uvEnv.SSL_CERT_FILE! };
}

test('SSL_CERT_FILE plus NODE_EXTRA_CA_CERTS: uv gets one bundle holding both', async () => {
  const { run, home, bundle } = await downloadThenUvEnv({ SSL_CERT_FILE: imageBundle, NODE_EXTRA_CA_CERTS: CA });
  expect(run.error).toBeNull();
  expect(bundle).toBe(join(layoutOf(home).cacheDir, 'ca-bundle.pem'));
  expect(verifies(bundle)).toBe(true);
  const text = await readFile(bundle, 'utf8');
  expect(text).toContain(rootCertificates[0]!.trim());
  // Only the image's root, not the whole built-in set: SSL_CERT_FILE replaced those.
  expect(text).not.toContain(rootCertificates.at(-1)!.trim());
});

test('SSL_CERT_DIR: the download trusts its certificates, and uv gets them with the built-in roots', async () => {
  const { run, bundle } = await downloadThenUvEnv({ SSL_CERT_DIR: certDir });
  expect(run.error).toBeNull();
  expect(verifies(bundle)).toBe(true);
  expect(await readFile(bundle, 'utf8')).toContain(rootCertificates.at(-1)!.trim());
});

test('all three together reach uv as one bundle; doctor names it and its sources', async () => {
  const env = { SSL_CERT_FILE: imageBundle, SSL_CERT_DIR: certDir, NODE_EXTRA_CA_CERTS: CA };
  const { run, home, bundle } = await downloadThenUvEnv(env);
  expect(run.error).toBeNull();
  expect(verifies(bundle)).toBe(true);
  const shown = await diagnoseTrust(settingsFromEnv({ CARAPACE_HOME: home, ...env }));
  expect(shown).toEqual({
    topic: 'network',
    level: 'info',
    message: `uv gets SSL_CERT_FILE=${bundle}, one bundle of what the download trusts: SSL_CERT_FILE=${imageBundle} + SSL_CERT_DIR=${certDir} (1 file) + NODE_EXTRA_CA_CERTS=${CA}`,
  });
});
