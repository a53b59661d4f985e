/**
 * The live statechart page in headless Chromium, served by the real gatekeeper (its Host,
 * Origin and token checks, its event stream), with the inspect route added the way the route
 * table will hold it. A real installer installs from the loopback mirror; each work phase
 * waits at a gate, so the test can look at the page while the install is in that state. The
 * screenshot lands in .artifacts/.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { downloadUv } from '../../actors/download-uv.ts';
import { installSkypilot } from '../../actors/install-skypilot.ts';
import { verifySky } from '../../actors/verify.ts';
import { inspectPage } from '../../adapters/http/inspect-page.ts';
import { ROUTES, type Route } from '../../adapters/http/routes.ts';
import { serve, type RunningGatekeeper } from '../../adapters/http/serve.ts';
import { createInstaller, type Installer } from '../../installer/installer.ts';
import { gatekeeperSettingsFromEnv, settingsFromEnv } from '../../installer/settings.ts';
import type { WorkPhase } from '../../machines/types.ts';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { lazyBrowser } from './chromium.ts';

const ARTIFACTS = resolve(import.meta.dir, '../../.artifacts');
const INSPECT = '/cluster/install/inspect';
const TOKEN = 'inspect-page-test-token-0123456789';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

let mirror: Mirror;
let gatekeeper: RunningGatekeeper;
let profile: string;
const browser = lazyBrowser(() => profile);
let installer: Installer;
const gates = { downloading_uv: gate(), installing_skypilot: gate(), verifying: gate() } satisfies Partial<Record<WorkPhase, unknown>>;
const pageErrors: string[] = [];

// Once the gatekeeper's table holds the route, this adds nothing.
const routes: Route[] = ROUTES.some((r) => r.path === INSPECT)
  ? ROUTES
  : [...ROUTES, { method: 'GET', path: INSPECT, handler: () => inspectPage(), browserToken: true }];

beforeAll(async () => {
  mirror = await startMirror();
  const home = join(await mkdtemp(join(tmpdir(), 'carapace-inspect-page-')), 'home');
  const settings = settingsFromEnv({
    PATH: process.env.PATH,
    CARAPACE_HOME: home,
    CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
    CARAPACE_UV_SHA256: mirror.sha256(),
  });
  // The real actors, each held at a gate until the test has looked at the page.
  installer = createInstaller({
    settings,
    actors: {
      downloadUv: async (input, signal) => (await gates.downloading_uv.opened, downloadUv(input, signal)),
      installSkypilot: async (input, signal) => (await gates.installing_skypilot.opened, installSkypilot(input, signal)),
      verify: async (input, signal) => (await gates.verifying.opened, verifySky(input, signal)),
    },
  });
  gatekeeper = serve({
    installer,
    settings: gatekeeperSettingsFromEnv({ CARAPACE_GATEKEEPER_PORT: '0', CARAPACE_GATEKEEPER_TOKEN: TOKEN }),
    routes,
  });
  profile = await mkdtemp(join(tmpdir(), 'carapace-chromium-'));
}, 120_000);

afterAll(async () => {
  for (const g of Object.values(gates)) g.open();
  await browser.close();
  await gatekeeper?.stop();
  await mirror?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

async function openPage(): Promise<Page> {
  const page = await (await browser.get()).newPage();
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
  });
  await page.goto(`${gatekeeper.url}${INSPECT}?token=${TOKEN}`);
  await page.waitForSelector('body[data-ready="true"][data-stream="open"]', { timeout: 30_000 });
  return page;
}

/** What the page shows: the highlighted state(s), visited states, taken edges and the path list. */
function readPage(page: Page) {
  return page.evaluate(() => ({
    current: Array.from(document.querySelectorAll('.state.current'), (n) => n.getAttribute('data-state')),
    visited: Array.from(document.querySelectorAll('.state.visited'), (n) => n.getAttribute('data-state')),
    taken: Array.from(document.querySelectorAll('.edge.taken'), (n) => n.getAttribute('data-edge')),
    path: document.body.dataset.path ?? '',
    attempt: document.body.dataset.attempt ?? '',
    label: document.getElementById('current')!.textContent,
  }));
}

const waitForCurrent = (page: Page, state: string) =>
  page.waitForSelector(`body[data-current="${state}"] [data-state="${state}"].current`, { timeout: 30_000 });

describe('GET /cluster/install/inspect', () => {
  test('is one self-contained page: inline script allowed by hash, nothing loaded from elsewhere', async () => {
    const res = await fetch(`${gatekeeper.url}${INSPECT}?token=${TOKEN}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(html).not.toMatch(/\b(src|href)=/);
    // The chart comes from the machine: every state name is in the embedded graph.
    for (const state of ['checking', 'downloading_uv', 'installing_skypilot', 'verifying', 'complete', 'error']) {
      expect(html).toContain(`"name":"${state}"`);
    }
  });

  test('draws the machine and highlights the current state and the path as the install advances', async () => {
    const page = await openPage();
    const drawn = await page.evaluate(() => ({
      states: Array.from(document.querySelectorAll('.state'), (n) => n.getAttribute('data-state')),
      edges: Array.from(document.querySelectorAll('.edge'), (n) => n.getAttribute('data-edge')),
      invokes: Array.from(document.querySelectorAll('.state .invoke'), (n) => n.textContent),
      substates: Array.from(document.querySelectorAll('[data-state="checking"] .substates'), (n) => n.firstChild?.textContent),
    }));
    expect(drawn.states).toEqual(['checking', 'downloading_uv', 'installing_skypilot', 'verifying', 'complete', 'error']);
    expect(drawn.edges).toEqual(expect.arrayContaining(['checking>downloading_uv', 'checking>complete', 'verifying>error']));
    expect(drawn.invokes).toEqual(['invoke lock, check', 'invoke downloadUv', 'invoke installSkypilot', 'invoke verify, activate']);
    // Waiting for another installer is drawn inside checking.
    expect(drawn.substates).toEqual(['locking › waiting › reading']);
    expect((await readPage(page)).current).toEqual([]);

    const result = installer.ensureSkypilot();

    await waitForCurrent(page, 'downloading_uv');
    expect(await readPage(page)).toMatchObject({
      current: ['downloading_uv'],
      visited: ['checking', 'downloading_uv'],
      taken: ['checking>downloading_uv'],
      path: 'checking downloading_uv',
      attempt: '1',
      label: 'downloading_uv',
    });
    expect(mirror.downloads()).toBe(0);

    gates.downloading_uv.open();
    await waitForCurrent(page, 'installing_skypilot');
    expect(await readPage(page)).toMatchObject({
      current: ['installing_skypilot'],
      taken: ['checking>downloading_uv', 'downloading_uv>installing_skypilot'],
    });
    expect(mirror.downloads()).toBe(1);
    // Mid-install is the picture worth keeping: the current state and the path so far.
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'inspect-page.png'), fullPage: true });
    expect((await stat(join(ARTIFACTS, 'inspect-page.png'))).size).toBeGreaterThan(10_000);

    gates.installing_skypilot.open();
    await waitForCurrent(page, 'verifying');
    expect((await readPage(page)).current).toEqual(['verifying']);

    gates.verifying.open();
    await waitForCurrent(page, 'complete');
    expect(await result).toMatchObject({ ok: true });
    const done = await readPage(page);
    expect(done).toMatchObject({
      current: ['complete'],
      visited: ['checking', 'downloading_uv', 'installing_skypilot', 'verifying', 'complete'],
      path: 'checking downloading_uv installing_skypilot verifying complete',
    });
    expect(done.taken).not.toContain('checking>complete');
    await page.screenshot({ path: join(ARTIFACTS, 'inspect-page-complete.png'), fullPage: true });

    // The next attempt finds SkyPilot installed: a fresh path, straight from checking to complete.
    expect(await installer.ensureSkypilot()).toMatchObject({ ok: true });
    await page.waitForSelector('body[data-attempt="2"][data-current="complete"]', { timeout: 30_000 });
    expect(await readPage(page)).toMatchObject({
      current: ['complete'],
      visited: ['checking', 'complete'],
      taken: ['checking>complete'],
      path: 'checking complete',
    });
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);
});
