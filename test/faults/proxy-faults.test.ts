/**
 * Proxies that refuse, against the real thing: tinyproxy asking for credentials (407) and
 * denying this client (403), for plain requests and for CONNECT tunnels, and a proxy address
 * where nothing listens. Each ends in `proxy`, naming the proxy with its password masked,
 * never as a checksum or mirror problem, without retries; doctor says the same.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { diagnoseProxies } from '../../installer/network-diagnosis.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { leftovers, removeHome, runDownload, tempHome, VERSION } from './harness.ts';
import { freePort, startSquid, startTinyproxy, type RealServer } from './servers.ts';

let mirror: Mirror;
let forbidding: Mirror;
let authProxy: RealServer;
let denyProxy: RealServer;
let squid: RealServer;
const homes: string[] = [];

beforeAll(async () => {
  mirror = await startMirror({ version: VERSION });
  // A mirror whose own answer is 403: through a proxy that forwards it, it stays the mirror's.
  forbidding = await startMirror({ version: VERSION, handler: () => new Response('no', { status: 403 }) });
  authProxy = await startTinyproxy(['BasicAuth alice s3cret']);
  // Allows only an address this test never comes from, so 127.0.0.1 gets tinyproxy's own 403.
  denyProxy = await startTinyproxy(['Allow 10.9.9.9']);
  squid = await startSquid(['acl elsewhere src 10.9.9.9', 'http_access allow elsewhere', 'http_access deny all']);
});

afterAll(async () => {
  await Promise.all([mirror.close(), forbidding.close(), authProxy.stop(), denyProxy.stop(), squid.stop()]);
  for (const home of homes) await removeHome(home);
});

async function download(env: Record<string, string>) {
  const home = await tempHome('proxy-fault-');
  homes.push(home);
  const run = await runDownload({ CARAPACE_HOME: home, ...env });
  return { run, home };
}

const credentialed = (password: string) => authProxy.url.replace('http://', `http://alice:${password}@`);

describe('a plain-HTTP proxy', () => {
  test('407 without credentials is proxy with a credentials hint, not checksum_unavailable', async () => {
    const { run, home } = await download({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, HTTP_PROXY: authProxy.url });
    expect(run.error?.code).toBe('proxy');
    expect(run.error?.message).toBe(`the proxy ${authProxy.url} (HTTP_PROXY) wants credentials (407 Proxy Authentication Required)`);
    expect(run.error?.hint).toContain('credentials');
    expect(run.progress.some((p) => p.message.includes('retrying'))).toBe(false);
    expect(mirror.requests).toHaveLength(0);
    expect(await leftovers(home)).toEqual([]);
  });

  test('407 for wrong credentials names the proxy with the password masked', async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, http_proxy: credentialed('wrong-pass') });
    expect(run.error?.code).toBe('proxy');
    expect(run.error?.message).toContain(`the proxy http://alice:***@127.0.0.1:${authProxy.port} (http_proxy) did not accept the credentials`);
    expect(run.error?.hint).toContain('credentials');
    expect(JSON.stringify(run.error)).not.toContain('wrong-pass');
    // The same proxy with the right credentials carries the download.
    const before = mirror.requests.length;
    const { run: ok } = await download({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, http_proxy: credentialed('s3cret') });
    expect(ok.error).toBeNull();
    expect(mirror.requests.length).toBe(before + 2);
  });

  test("the proxy's own 403 is proxy with a policy hint", async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, HTTP_PROXY: denyProxy.url });
    expect(run.error?.code).toBe('proxy');
    expect(run.error?.message).toContain(`the proxy ${denyProxy.url} (HTTP_PROXY) refused the request for 127.0.0.1`);
    expect(run.error?.message).toContain('403');
    expect(run.error?.hint).toContain('NO_PROXY');
  });

  test("squid's own 403 carries Via like a forwarded one, and X-Squid-Error marks it as the proxy's", async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, HTTP_PROXY: squid.url });
    expect(run.error?.code).toBe('proxy');
    expect(run.error?.message).toBe(`the proxy ${squid.url} (HTTP_PROXY) refused the request for 127.0.0.1:${new URL(mirror.base).port} (403 Forbidden)`);
  });

  test("a mirror's 403 forwarded by the proxy (with Via) stays the mirror's http_status", async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: forbidding.base, HTTP_PROXY: credentialed('s3cret') });
    expect(run.error?.code).toBe('http_status');
    expect(run.error?.message).toContain('answered 403');
  });
});

describe('a CONNECT tunnel', () => {
  test('refused for want of credentials is proxy', async () => {
    const port = await freePort();
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: `https://127.0.0.1:${port}/uv`, HTTPS_PROXY: authProxy.url });
    expect(run.error?.code).toBe('proxy');
    expect(run.error?.message).toContain(`the proxy ${authProxy.url} (HTTPS_PROXY) refused to open a tunnel to 127.0.0.1:${port} (407`);
    expect(run.error?.hint).toContain('credentials');
  });

  test("refused by the proxy's policy is proxy", async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: 'https://127.0.0.1:9/uv', HTTPS_PROXY: denyProxy.url });
    expect(run.error?.code).toBe('proxy');
    expect(run.error?.message).toContain('refused to open a tunnel');
    expect(run.error?.hint).toContain('administrator');
  });
});

describe('a dead proxy', () => {
  test('carrying every source is reported as the proxy, not as "no source worked"', async () => {
    const port = await freePort();
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: `${mirror.base},${mirror.base}/again`, HTTP_PROXY: `http://127.0.0.1:${port}` });
    expect(run.error?.code).toBe('proxy');
    expect(run.error?.message).toBe(`the proxy http://127.0.0.1:${port} (HTTP_PROXY) cannot be reached (ECONNREFUSED)`);
    expect(run.error?.detail?.split('\n')).toHaveLength(2);
  });


  test('is proxy naming its address, not the mirror being unreachable, and not retried', async () => {
    const port = await freePort();
    const { run, home } = await download({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, HTTP_PROXY: `127.0.0.1:${port}` });
    expect(run.error?.code).toBe('proxy');
    expect(run.error?.message).toBe(`the proxy http://127.0.0.1:${port} (HTTP_PROXY) cannot be reached (ECONNREFUSED)`);
    expect(run.error?.hint).toContain('address');
    expect(run.progress.some((p) => p.message.includes('retrying'))).toBe(false);
    expect(await leftovers(home)).toEqual([]);
  });
});

describe('a silent proxy', () => {
  test('a connect timeout names the proxy as well as the host', async () => {
    const silent = createServer(() => {});
    const sockets = new Set<Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const { run } = await download({
        CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
        HTTP_PROXY: `http://127.0.0.1:${port}`,
        CARAPACE_CONNECT_TIMEOUT: '0.3',
        CARAPACE_DOWNLOAD_RETRIES: '1',
      });
      expect(run.error?.code).toBe('timeout');
      expect(run.error?.message).toBe(`127.0.0.1:${new URL(mirror.base).port} did not answer through the proxy http://127.0.0.1:${port} (HTTP_PROXY) within 0.3 s`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('doctor', () => {
  const check = (env: Record<string, string>) =>
    diagnoseProxies(settingsFromEnv({ CARAPACE_UV_VERSION: VERSION, CARAPACE_UV_DOWNLOAD_BASE: mirror.base, ...env }), { fetch, now: Date.now });

  test('gives the install\'s diagnosis for a proxy wanting credentials', async () => {
    const { run } = await download({ CARAPACE_UV_DOWNLOAD_BASE: mirror.base, HTTP_PROXY: authProxy.url });
    expect(await check({ HTTP_PROXY: authProxy.url })).toEqual([
      { topic: 'network', level: 'problem', message: run.error!.message, hint: run.error!.hint },
    ]);
  });

  test('gives the same diagnosis for a dead proxy, and says a working one works', async () => {
    const port = await freePort();
    const [dead] = await check({ HTTP_PROXY: `http://127.0.0.1:${port}` });
    expect(dead).toMatchObject({ level: 'problem', message: `the proxy http://127.0.0.1:${port} (HTTP_PROXY) cannot be reached (ECONNREFUSED)` });
    const [working] = await check({ HTTP_PROXY: credentialed('s3cret') });
    expect(working).toMatchObject({ level: 'ok' });
    expect(working!.message).not.toContain('s3cret');
  });
});
