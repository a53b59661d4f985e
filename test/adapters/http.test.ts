/**
 * The gatekeeper's HTTP surface, called in-process: routing and error answers, and the
 * rules that keep it to the local user (Host, Origin, token). An installer stub counts
 * ensure calls, so "refused" also means "nothing started".
 */
import { describe, expect, test } from 'bun:test';
import { createGatekeeper } from '../../adapters/http/gatekeeper.ts';
import type { Installer, InstallerListener } from '../../installer/installer.ts';
import type { GatekeeperSettings } from '../../installer/settings.ts';
import { gatekeeperSettingsFromEnv } from '../../installer/settings.ts';
import type { InstallOutput, InstallSettings } from '../../machines/types.ts';
import { BASE, local, PORT, post } from './http-harness.ts';

const STATUS = { uv_installed: true, uv_version: '0.10.2', sky_installed: true, sky_version: '1.0.0.dev1', carapace_home: '/h' };
const OK: InstallOutput = { ok: true, sky_path: '/h/tools/bin/sky', status: STATUS };

function stubInstaller(output: InstallOutput = OK) {
  const listeners = new Set<InstallerListener>();
  const calls = { ensure: 0 };
  const installer: Installer = {
    async ensureSkypilot() {
      calls.ensure++;
      return output;
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async getStatus() {
      return STATUS;
    },
    async upgrade() {
      throw new Error('not used');
    },
    phase: () => null,
    async cancel() {},
    close() {},
    // Launch reads the home (for its task copy) and the environment (for redaction) only.
    settings: () => ({ home: '/nonexistent/carapace-home', env: {} }) as unknown as InstallSettings,
  };
  return { installer, calls, listeners };
}

function gatekeeper(over: Partial<GatekeeperSettings> = {}, output?: InstallOutput) {
  const stub = stubInstaller(output);
  const settings: GatekeeperSettings = { host: '127.0.0.1', port: PORT, token: null, allowed_origins: [], ...over };
  const gk = createGatekeeper({ installer: stub.installer, settings });
  return { gk, ...stub };
}

describe('routes', () => {
  test('install-status answers InstallStatus plus the phase', async () => {
    const { gk } = gatekeeper();
    const res = await gk.fetch(local('/cluster/install-status'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({ ...STATUS, phase: null });
  });

  test('ensure-skypilot answers 200 with the output, 503 with the error', async () => {
    expect(await (await gatekeeper().gk.fetch(post('/cluster/ensure-skypilot'))).json()).toEqual(OK);
    const failed: InstallOutput = {
      ok: false,
      error: { code: 'network', phase: 'downloading_uv', message: 'connection refused', hint: 'h', detail: null },
    };
    const res = await gatekeeper({}, failed).gk.fetch(post('/cluster/ensure-skypilot'));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual(failed);
  });

  test('an unknown route is 404 JSON', async () => {
    const res = await gatekeeper().gk.fetch(local('/nope'));
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });

  test('a wrong method is 405 with Allow', async () => {
    const { gk, calls } = gatekeeper();
    const res = await gk.fetch(local('/cluster/ensure-skypilot'));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect((await res.json()).error.code).toBe('method_not_allowed');
    const put = await gk.fetch(local('/cluster/install-status', { method: 'PUT' }));
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, OPTIONS');
    expect(calls.ensure).toBe(0);
  });

  test('a body over 64 KiB is 413, declared or streamed', async () => {
    const { gk, calls } = gatekeeper();
    const big = JSON.stringify({ cluster: 'x'.repeat(70 * 1024) });
    expect((await gk.fetch(post('/cluster/launch', big))).status).toBe(413);
    // Chunked, with no Content-Length: the limit must hold while reading.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 80; i++) c.enqueue(new Uint8Array(1024).fill(32));
        c.close();
      },
    });
    const streamed = local('/cluster/ensure-skypilot', { method: 'POST', body: chunks });
    expect(streamed.headers.get('content-length')).toBeNull();
    const res = await gk.fetch(streamed);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('body_too_large');
    expect(calls.ensure).toBe(0);
  });

  test('malformed JSON is 400 with the reason', async () => {
    const { gk, calls } = gatekeeper();
    const res = await gk.fetch(post('/cluster/launch', '{"cluster": "dev",'));
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error.code).toBe('invalid_json');
    expect(error.message).toMatch(/not valid JSON: .+/);
    expect(calls.ensure).toBe(0);
  });

  test('launch validates the cluster name and the task path before any install', async () => {
    const { gk, calls } = gatekeeper();
    for (const body of [
      [],
      { cluster: '-rf', task: '/etc/hostname' },
      { cluster: 'ok', task: 'relative.yaml' },
      { cluster: 'ok', task: '/nonexistent/task.yaml' },
      { cluster: 'a b', task: '/etc/hostname' },
    ]) {
      const res = await gk.fetch(post('/cluster/launch', body));
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_request');
    }
    expect(calls.ensure).toBe(0);
  });
});

describe('Host (DNS rebinding)', () => {
  test.each([
    ['127.0.0.1:8787', 200],
    ['localhost:8787', 200],
    ['[::1]:8787', 200],
    ['127.1.2.3:8787', 200],
    ['evil.example:8787', 421],
    ['127.0.0.1:8788', 421],
    ['127.0.0.1', 421],
    ['localhost.evil.example:8787', 421],
    ['127.0.0.1:8787@evil.example', 421],
  ])('Host %s → %d', async (host, status) => {
    const { gk, calls } = gatekeeper();
    const res = await gk.fetch(new Request(`${BASE}/cluster/ensure-skypilot`, { method: 'POST', headers: { host } }));
    expect(res.status).toBe(status);
    expect(calls.ensure).toBe(status === 200 ? 1 : 0);
    if (status === 421) expect((await res.json()).error.code).toBe('misdirected_request');
  });
});

describe('Origin', () => {
  test('a foreign origin is refused with 403, no CORS headers, nothing started', async () => {
    const { gk, calls } = gatekeeper();
    for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1:9999', 'https://localhost:8787']) {
      const res = await gk.fetch(post('/cluster/ensure-skypilot', undefined, { origin }));
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect((await res.json()).error.code).toBe('forbidden_origin');
    }
    expect(calls.ensure).toBe(0);
  });

  test('a foreign preflight is refused too', async () => {
    const { gk } = gatekeeper();
    const res = await gk.fetch(
      local('/cluster/ensure-skypilot', {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
      }),
    );
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('a cross-site request without Origin (an <img> GET) is refused by Sec-Fetch-Site', async () => {
    const { gk } = gatekeeper();
    const res = await gk.fetch(local('/cluster/install-status', { headers: { 'sec-fetch-site': 'cross-site' } }));
    expect(res.status).toBe(403);
    const same = await gk.fetch(local('/cluster/install-status', { headers: { 'sec-fetch-site': 'same-origin' } }));
    expect(same.status).toBe(200);
  });

  test('own origins and CARAPACE_ALLOWED_ORIGINS get CORS headers and preflights', async () => {
    const allowed = gatekeeperSettingsFromEnv({ CARAPACE_ALLOWED_ORIGINS: 'tauri://localhost, http://localhost:5173' }).allowed_origins;
    const { gk, calls } = gatekeeper({ allowed_origins: allowed });
    for (const origin of ['http://127.0.0.1:8787', 'http://localhost:8787', 'tauri://localhost', 'http://localhost:5173']) {
      const res = await gk.fetch(post('/cluster/ensure-skypilot', undefined, { origin }));
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('vary')).toBe('Origin');
    }
    expect(calls.ensure).toBe(4);
    const pre = await gk.fetch(
      local('/cluster/launch', {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:5173',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, authorization',
          'access-control-request-private-network': 'true',
        },
      }),
    );
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(pre.headers.get('access-control-allow-methods')).toBe('POST');
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(pre.headers.get('access-control-allow-private-network')).toBe('true');
    expect(calls.ensure).toBe(4);
  });
});

describe('token', () => {
  const TOKEN = 's3cret-token-for-tests';

  test('every route needs the bearer token', async () => {
    const { gk, calls } = gatekeeper({ token: TOKEN });
    for (const req of [local('/cluster/install-status'), post('/cluster/ensure-skypilot'), local('/cluster/events'), local('/')]) {
      const res = await gk.fetch(req);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    }
    const wrong = await gk.fetch(post('/cluster/ensure-skypilot', undefined, { authorization: 'Bearer nope' }));
    expect(wrong.status).toBe(401);
    expect(calls.ensure).toBe(0);
    const right = await gk.fetch(post('/cluster/ensure-skypilot', undefined, { authorization: `Bearer ${TOKEN}` }));
    expect(right.status).toBe(200);
    expect(calls.ensure).toBe(1);
  });

  test('the event stream (EventSource sends no headers) takes ?token= or the cookie; POST routes never do', async () => {
    const { gk, calls } = gatekeeper({ token: TOKEN });
    const byQuery = await gk.fetch(local(`/cluster/events?token=${TOKEN}`));
    expect(byQuery.status).toBe(200);
    await byQuery.body!.cancel();
    const byCookie = await gk.fetch(local('/cluster/events', { headers: { cookie: `a=b; carapace_gatekeeper_token=${TOKEN}` } }));
    expect(byCookie.status).toBe(200);
    await byCookie.body!.cancel();
    expect((await gk.fetch(local(`/?token=${TOKEN}`))).status).toBe(200);
    expect((await gk.fetch(local(`/cluster/install-status?token=${TOKEN}`))).status).toBe(401);
    expect((await gk.fetch(post(`/cluster/ensure-skypilot?token=${TOKEN}`))).status).toBe(401);
    expect((await gk.fetch(post('/cluster/ensure-skypilot', undefined, { cookie: `carapace_gatekeeper_token=${TOKEN}` }))).status).toBe(401);
    expect(calls.ensure).toBe(0);
    expect(gk.subscriberCount()).toBe(0);
  });

  test('a malformed token cookie is an ordinary 401, not a server error', async () => {
    const { gk } = gatekeeper({ token: TOKEN });
    const response = await gk.fetch(local('/cluster/events', { headers: { cookie: 'carapace_gatekeeper_token=%E0' } }));
    expect(response.status).toBe(401);
  });
});

describe('page', () => {
  test('GET / is the install panel, locked down by its CSP to its own bundled script', async () => {
    const { gk } = gatekeeper();
    const res = await gk.fetch(local('/'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toStartWith("default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self';");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/assets/panel.js"></script>');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const script = await gk.fetch(local('/assets/panel.js'));
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // The typed client is bundled in: it opens the event stream and asks without waiting.
    const js = await script.text();
    expect(js).toContain('/cluster/events');
    expect(js).toContain('wait:!1');
    expect(js).not.toMatch(/^import /m);
  });

  test('with a token, the panel opened with ?token= hands it to its script, which needs it too', async () => {
    const TOKEN = 'panel-token-for-tests';
    const { gk } = gatekeeper({ token: TOKEN });
    const html = await (await gk.fetch(local(`/?token=${TOKEN}`))).text();
    expect(html).toContain(`<script type="module" src="/assets/panel.js?token=${TOKEN}"></script>`);
    expect((await gk.fetch(local(`/assets/panel.js?token=${TOKEN}`))).status).toBe(200);
    expect((await gk.fetch(local('/assets/panel.js'))).status).toBe(401);
  });
});

describe('settings', () => {
  test('gatekeeper settings read their variables and refuse bad values', () => {
    expect(gatekeeperSettingsFromEnv({})).toEqual({ host: '127.0.0.1', port: 8787, token: null, allowed_origins: [] });
    const s = gatekeeperSettingsFromEnv({
      CARAPACE_GATEKEEPER_HOST: 'localhost',
      CARAPACE_GATEKEEPER_PORT: '0',
      CARAPACE_GATEKEEPER_TOKEN: 'abc',
      CARAPACE_ALLOWED_ORIGINS: 'http://localhost:5173/,tauri://localhost',
    });
    expect(s).toEqual({ host: 'localhost', port: 0, token: 'abc', allowed_origins: ['http://localhost:5173', 'tauri://localhost'] });
    expect(() => gatekeeperSettingsFromEnv({ CARAPACE_GATEKEEPER_PORT: '99999' })).toThrow(/CARAPACE_GATEKEEPER_PORT/);
    expect(() => gatekeeperSettingsFromEnv({ CARAPACE_GATEKEEPER_PORT: 'http' })).toThrow(/CARAPACE_GATEKEEPER_PORT/);
    expect(() => gatekeeperSettingsFromEnv({ CARAPACE_ALLOWED_ORIGINS: 'not a url' })).toThrow(/CARAPACE_ALLOWED_ORIGINS/);
    expect(() => gatekeeperSettingsFromEnv({ CARAPACE_GATEKEEPER_TOKEN: 'has space' })).toThrow(/CARAPACE_GATEKEEPER_TOKEN/);
  });
});
