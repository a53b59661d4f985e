/**
 * Proxy and CA settings reach the download itself (and uv): HTTP_PROXY forwards, HTTPS_PROXY
 * tunnels with CONNECT, NO_PROXY bypasses, SSL_CERT_FILE / NODE_EXTRA_CA_CERTS make a private
 * CA trusted, and an untrusted certificate is `tls_certificate` without retries. Everything
 * runs on loopback: a plain mirror, an HTTPS mirror with the test CA in tls/, and a proxy.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { rootCertificates } from 'node:tls';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { uvEnvironment } from '../../actors/uv-env.ts';
import { layoutOf } from '../../actors/layout.ts';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { sidecarText } from '../../demo/release.ts';
import { startProxy, type TestProxy } from './proxy.ts';
import { leftovers, removeHome, runDownload, tempHome, VERSION } from './harness.ts';

const TLS = join(import.meta.dir, 'tls');
const CA = join(TLS, 'ca.pem');

let mirror: Mirror;
let proxy: TestProxy;
let secure: Server;
let secureBase: string;
let secureRequests = 0;
const homes: string[] = [];

beforeAll(async () => {
  mirror = await startMirror({ version: VERSION });
  proxy = await startProxy();
  const archive = readFileSync(mirror.archivePath());
  const name = mirror.url().split('/').pop()!;
  secure = createServer({ key: readFileSync(join(TLS, 'server.key')), cert: readFileSync(join(TLS, 'server.pem')) }, (req, res) => {
    secureRequests++;
    if (req.url?.includes('/forbidden/')) {
      res.writeHead(403).end('rate limited');
    } else if (req.url?.endsWith('.tar.gz')) {
      res.writeHead(200, { 'content-length': archive.byteLength });
      res.end(archive);
    } else if (req.url?.endsWith('.sha256')) {
      res.end(sidecarText(mirror.sha256(), name));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
  secureBase = `https://127.0.0.1:${(secure.address() as AddressInfo).port}/uv`;
});

afterAll(async () => {
  await mirror.close();
  await proxy.close();
  secure.closeAllConnections();
  await new Promise((resolve) => secure.close(resolve));
  for (const home of homes) await removeHome(home);
});

async function download(env: Record<string, string>) {
  const home = await tempHome('proxy-home-');
  homes.push(home);
  proxy.seen.length = 0;
  const run = await runDownload({ CARAPACE_HOME: home, ...env });
  return { run, home };
}

describe('proxy', () => {
  test('HTTP_PROXY carries a plain http download', async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, HTTP_PROXY: proxy.url });
    expect(run.error).toBeNull();
    expect(proxy.seen).toEqual([`GET ${mirror.url()}.sha256`, `GET ${mirror.url()}`]);
  });

  test('a proxy without a scheme is http://, as curl reads it', async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, http_proxy: proxy.url.replace('http://', '') });
    expect(run.error).toBeNull();
    expect(proxy.seen).toHaveLength(2);
  });

  test('NO_PROXY naming the host goes direct', async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, HTTP_PROXY: proxy.url, NO_PROXY: 'example.com, 127.0.0.0/8' });
    expect(run.error).toBeNull();
    expect(proxy.seen).toEqual([]);
  });

  test('HTTPS_PROXY tunnels an https download with CONNECT, trusting SSL_CERT_FILE', async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: secureBase, HTTPS_PROXY: proxy.url, SSL_CERT_FILE: CA });
    expect(run.error).toBeNull();
    const host = new URL(secureBase).host;
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${host}`]));
  });

  test("a server's 403 through a CONNECT tunnel (no Via possible) stays the server's http_status", async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: `${secureBase}/forbidden`, HTTPS_PROXY: proxy.url, SSL_CERT_FILE: CA });
    expect(run.error?.code).toBe('http_status');
    expect(run.error?.message).toContain('answered 403');
    expect(proxy.seen.every((line) => line.startsWith('CONNECT '))).toBe(true);
  });

  test('an unreachable proxy is proxy, named with its variable and credentials masked', async () => {
    const { run, home } = await download({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, HTTP_PROXY: 'http://bob:hunter2@127.0.0.1:9' });
    expect(run.error?.code).toBe('proxy');
    expect(run.error?.message).toContain('the proxy http://bob:***@127.0.0.1:9 (HTTP_PROXY) cannot be reached');
    expect(JSON.stringify(run.error)).not.toContain('hunter2');
    expect(run.progress.some((p) => p.message.includes('retrying'))).toBe(false);
    expect(await leftovers(home)).toEqual([]);
  });

  test('a socks proxy is a configuration error naming the variable', async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, ALL_PROXY: 'socks5://127.0.0.1:1080' });
    expect(run.error?.code).toBe('invalid_config');
    expect(run.error?.message).toContain('ALL_PROXY');
  });
});

describe('certificates', () => {
  test('a certificate from an unknown CA is tls_certificate, not retried', async () => {
    const before = secureRequests;
    const { run, home } = await download({ CARAPACE_UV_DOWNLOAD_BASE: secureBase, CARAPACE_UV_SHA256: mirror.sha256() });
    expect(run.error?.code).toBe('tls_certificate');
    expect(run.error?.hint).toContain('SSL_CERT_FILE');
    expect(run.progress.some((p) => p.message.includes('retrying'))).toBe(false);
    expect(secureRequests).toBe(before);
    expect(await leftovers(home)).toEqual([]);
  });

  test('SSL_CERT_FILE makes the private CA trusted', async () => {
    const { run, home } = await download({ CARAPACE_UV_DOWNLOAD_BASE: secureBase, SSL_CERT_FILE: CA });
    expect(run.error).toBeNull();
    expect(await leftovers(home)).toHaveLength(2);
  });

  test('NODE_EXTRA_CA_CERTS adds the private CA to the built-in roots', async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: secureBase, NODE_EXTRA_CA_CERTS: CA });
    expect(run.error).toBeNull();
  });

  test('an unreadable SSL_CERT_FILE is invalid_config naming it', async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: secureBase, SSL_CERT_FILE: '/nonexistent/ca.pem' });
    expect(run.error).toMatchObject({ code: 'invalid_config', message: 'SSL_CERT_FILE=/nonexistent/ca.pem cannot be read' });
  });
});

test('uv gets the same proxy and CA settings; an extra CA joins the built-in roots in a bundle', async () => {
  const layout = layoutOf(join(await mkdtemp(join(tmpdir(), 'carapace-uvenv-')), 'home'));
  const env = await uvEnvironment(layout, {
    HTTPS_PROXY: 'http://proxy:3128',
    HTTP_PROXY: 'http://proxy:3128',
    NO_PROXY: 'internal.example',
    NODE_EXTRA_CA_CERTS: CA,
  });
  expect(env).toMatchObject({
    HTTPS_PROXY: 'http://proxy:3128',
    HTTP_PROXY: 'http://proxy:3128',
    NO_PROXY: 'internal.example',
    SSL_CERT_FILE: join(layout.cacheDir, 'ca-bundle.pem'),
    UV_CACHE_DIR: join(layout.cacheDir, 'uv'),
  });
  const bundle = await readFile(env.SSL_CERT_FILE!, 'utf8');
  expect(bundle).toContain((await readFile(CA, 'utf8')).trim());
  expect(bundle).toContain(rootCertificates[0]!);
  expect((await uvEnvironment(layout, { SSL_CERT_FILE: CA })).SSL_CERT_FILE).toBe(CA);
  expect((await uvEnvironment(layout, { UV_CACHE_DIR: '/var/cache/uv' })).UV_CACHE_DIR).toBe('/var/cache/uv');
});
