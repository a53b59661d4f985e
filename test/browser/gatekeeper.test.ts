/**
 * The gatekeeper in headless Chromium (Debian's, driven by playwright-core): its own page
 * follows an install over EventSource; a page on another origin cannot start one; and an
 * allowed origin (the desktop app's) runs the bundled typed client with a real EventSource.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Server } from 'bun';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve, type RunningGatekeeper } from '../../adapters/http/serve.ts';
import type { Installer } from '../../installer/installer.ts';
import { mirrorRig, type Rig } from '../adapters/http-harness.ts';
import { lazyBrowser } from './chromium.ts';

const PHASES = ['checking', 'downloading_uv', 'installing_skypilot', 'verifying', 'complete'];

let profile: string;
// Launched by the first test that needs it, so a missing browser fails that test by name.
const browser = lazyBrowser(() => profile);

beforeAll(async () => {
  profile = await mkdtemp(join(tmpdir(), 'carapace-chromium-'));
});

afterAll(async () => {
  await browser.close();
  await rm(profile, { recursive: true, force: true });
});

/** Counts ensure calls, so "refused" can be checked as "nothing was started". */
function counting(installer: Installer) {
  const calls = { ensure: 0 };
  return { calls, installer: { ...installer, ensureSkypilot: (o?: Parameters<Installer['ensureSkypilot']>[0]) => (calls.ensure++, installer.ensureSkypilot(o)) } };
}

async function start(opts: { allowed?: string[]; env?: Record<string, string> } = {}) {
  const rig: Rig = await mirrorRig(opts.env ? { env: opts.env } : {});
  const { installer, calls } = counting(rig.installer);
  const running: RunningGatekeeper = serve({
    installer,
    settings: { host: '127.0.0.1', port: 0, token: null, allowed_origins: opts.allowed ?? [] },
  });
  return {
    rig,
    running,
    calls,
    async close() {
      await running.stop();
      await rig.close();
    },
  };
}

/** A page on another origin: a loopback server on its own port. */
function otherOrigin(routes: Record<string, Response | (() => Response)>): Server<unknown> {
  return Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const route = routes[new URL(req.url).pathname];
      if (!route) return new Response('not found', { status: 404 });
      return typeof route === 'function' ? route() : route.clone();
    },
  });
}

describe('the gatekeeper in a browser', () => {
  test('its page follows an install over EventSource and shows each phase in order', async () => {
    const gk = await start({ env: { STANDIN_UV_DELAY: '1.5' } });
    const page = await (await browser.get()).newPage();
    try {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${gk.running.url}/`);
      await page.waitForSelector('body[data-stream=open]', { state: 'attached', timeout: 30_000 });
      // The steps the page marks current, in order, recorded as they change.
      await page.evaluate(() => {
        const seen: string[] = ((window as any).currentSteps = []);
        new MutationObserver(() => {
          const label = document.querySelector('[aria-current=step] .row')?.textContent ?? null;
          if (label && seen.at(-1) !== label) seen.push(label);
        }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['aria-current'] });
      });
      const ensured = fetch(`${gk.running.url}/cluster/ensure-skypilot`, { method: 'POST' });
      // Seen live, not only at the end: the page shows the install step while uv still runs.
      await page.locator('[aria-current=step]', { hasText: 'Install SkyPilot' }).waitFor({ timeout: 30_000 });
      expect(await page.getByRole('heading', { name: 'SkyPilot is ready' }).count()).toBe(0);
      await page.getByRole('heading', { name: 'SkyPilot is ready' }).waitFor({ timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).currentSteps)).toEqual(['Check', 'Download uv', 'Install SkyPilot', 'Verify']);
      expect((await ensured).status).toBe(200);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await gk.close();
    }
  }, 60_000);

  test('a page on another origin cannot start an install', async () => {
    const gk = await start();
    const target = `${gk.running.url}/cluster/ensure-skypilot`;
    const html = `<!doctype html><body><script>
      const results = {};
      const attempt = async (name, init) => {
        try { const r = await fetch(${JSON.stringify(target)}, init); results[name] = 'status ' + r.status + ' ' + r.type; }
        catch (e) { results[name] = 'rejected ' + e.name; }
      };
      Promise.all([
        attempt('json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
        attempt('simple', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }),
        attempt('no-cors', { method: 'POST', mode: 'no-cors', body: '{}' }),
      ]).then(() => { document.body.dataset.results = JSON.stringify(results); });
    </script></body>`;
    const foreign = otherOrigin({ '/': new Response(html, { headers: { 'content-type': 'text/html' } }) });
    const seen: number[] = [];
    const page = await (await browser.get()).newPage();
    page.on('response', (res) => {
      if (res.url() === target) seen.push(res.status());
    });
    try {
      await page.goto(`http://127.0.0.1:${foreign.port}/`);
      await page.waitForSelector('body[data-results]', { state: 'attached', timeout: 30_000 });
      const results = JSON.parse((await page.getAttribute('body', 'data-results'))!);
      // The page can read nothing: CORS requests fail, the no-cors one is opaque.
      expect(results.json).toBe('rejected TypeError');
      expect(results.simple).toBe('rejected TypeError');
      expect(results['no-cors']).toBe('status 0 opaque');
      // The requests that reached the service were refused before anything ran.
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((s) => s === 403)).toBe(true);
      expect(gk.calls.ensure).toBe(0);
      expect(gk.rig.mirror.downloads()).toBe(0);
      expect(await gk.rig.uvInstalls()).toBe(0);
      expect((await gk.rig.installer.getStatus()).sky_installed).toBe(false);
    } finally {
      await page.close();
      foreign.stop(true);
      await gk.close();
    }
  }, 60_000);

  test('an allowed origin runs the typed client: EventSource progress and ensure', async () => {
    const built = await Bun.build({ entrypoints: [resolve(import.meta.dir, '../../adapters/client.ts')], format: 'esm', target: 'browser' });
    expect(built.success).toBe(true);
    const clientJs = await built.outputs[0]!.text();
    let app!: Server<unknown>;
    const html = () =>
      new Response(
        `<!doctype html><body><script type="module">
          import { createClient } from '/client.js';
          const client = createClient({ baseUrl: ${JSON.stringify('GATEKEEPER')} });
          const states = [];
          window.report = { states, ensured: null, opened: false };
          client.subscribeInstallProgress({
            onOpen: () => { window.report.opened = true; },
            onState: (s) => { states.push(s.to); },
          });
          window.ensure = async () => { window.report.ensured = await client.ensureSkypilot(); };
        </script></body>`.replace('GATEKEEPER', gkUrl),
        { headers: { 'content-type': 'text/html' } },
      );
    let gkUrl = '';
    app = otherOrigin({ '/': html, '/client.js': new Response(clientJs, { headers: { 'content-type': 'text/javascript' } }) });
    const gk = await start({ allowed: [`http://127.0.0.1:${app.port}`] });
    gkUrl = gk.running.url;
    const page = await (await browser.get()).newPage();
    try {
      await page.goto(`http://127.0.0.1:${app.port}/`);
      await page.waitForFunction(() => (window as any).report?.opened === true, undefined, { timeout: 30_000 });
      await page.evaluate(() => (window as any).ensure());
      await page.waitForFunction(() => (window as any).report.states.includes('complete'), undefined, { timeout: 30_000 });
      const report = await page.evaluate(() => (window as any).report);
      expect(report.states).toEqual(PHASES);
      expect(report.ensured.ok).toBe(true);
      expect(gk.calls.ensure).toBe(1);
      expect(gk.rig.mirror.downloads()).toBe(1);
    } finally {
      await page.close();
      app.stop(true);
      await gk.close();
    }
  }, 60_000);
});
