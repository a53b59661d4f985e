/**
 * The install panel at `/` in headless Chromium, read through accessibility roles as a screen
 * reader would: idle with an Install button, the download bar with bytes, speed and ETA, the
 * uv phase with its elapsed time, the outcome (version, or message + hint + log + Retry).
 * Each state is saved as a screenshot under .artifacts/ (panel-<state>-<width>.png).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { serve, type RunningGatekeeper } from '../../adapters/http/serve.ts';
import type { MirrorHook } from '../../demo/mirror.ts';
import { mirrorRig, type Rig } from '../adapters/http-harness.ts';
import { lazyBrowser } from './chromium.ts';

const ARTIFACTS = resolve(import.meta.dir, '../../.artifacts');
const WIDTHS = [1280, 800];

let profile: string;
// Launched by the first test that needs it, so a missing browser fails that test by name.
const browser = lazyBrowser(() => profile);

beforeAll(async () => {
  profile = await mkdtemp(join(tmpdir(), 'carapace-chromium-'));
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser.close();
  await rm(profile, { recursive: true, force: true });
});

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** The archive: half at once, the rest once `rest` opens, so the bar can be seen mid-way. */
function halfThenWait(rest: Promise<void>): MirrorHook {
  return (req, ctx) => {
    if (!ctx.path.endsWith('.tar.gz') || req.method !== 'GET') return undefined;
    const half = Math.floor(ctx.archive.length / 2);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= ctx.archive.length) return controller.close();
        if (sent >= half) await rest;
        else await Bun.sleep(15);
        const end = Math.min(ctx.archive.length, sent + 64 * 1024);
        controller.enqueue(ctx.archive.slice(sent, end));
        sent = end;
      },
    });
    return new Response(body, { headers: { 'content-length': String(ctx.archive.length) } });
  };
}

async function start(opts: Parameters<typeof mirrorRig>[0]): Promise<{ rig: Rig; gk: RunningGatekeeper; close(): Promise<void> }> {
  const rig = await mirrorRig(opts);
  const gk = serve({ installer: rig.installer, settings: { host: '127.0.0.1', port: 0, token: null, allowed_origins: [] } });
  return { rig, gk, close: async () => (await gk.stop(), await rig.close()) };
}

async function open(url: string, width: number): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser.get()).newPage();
  await page.setViewportSize({ width, height: 760 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  // No external assets: every request the page makes goes to the gatekeeper itself.
  page.on('request', (r) => !r.url().startsWith(`${url}/`) && errors.push(`request to ${r.url()}`));
  await page.goto(`${url}/`);
  await page.waitForSelector('body[data-stream=open]', { state: 'attached', timeout: 30_000 });
  return { page, errors };
}

const shot = (page: Page, state: string, width: number) => page.screenshot({ path: join(ARTIFACTS, `panel-${state}-${width}.png`), fullPage: true });
const step = (page: Page, label: string) => page.getByRole('list', { name: 'Install steps' }).getByRole('listitem').filter({ hasText: label });
const headline = (page: Page) => page.getByRole('status').getByRole('heading', { level: 2 });

describe('the install panel', () => {
  for (const width of WIDTHS) {
    test(`at ${width} px: idle, then Install from the keyboard, downloading, installing, complete`, async () => {
      const rest = gate();
      const gk = await start({ handler: halfThenWait(rest.opened), padBytes: 4 * 1024 * 1024, env: { STANDIN_UV_DELAY: '4', STANDIN_UV_WHEEL_KB: '2048' } });
      const { page, errors } = await open(gk.gk.url, width);
      try {
        const install = page.getByRole('button', { name: 'Install SkyPilot' });
        await install.waitFor({ state: 'visible' });
        expect(await headline(page).textContent()).toBe('SkyPilot is not installed yet');
        expect(await page.getByRole('progressbar').count()).toBe(0);
        await shot(page, 'idle', width);

        // Keyboard only: Tab reaches the button, Enter presses it.
        await page.keyboard.press('Tab');
        expect(await install.evaluate((b) => b === document.activeElement)).toBe(true);
        await page.keyboard.press('Enter');

        const bar = page.getByRole('progressbar', { name: 'uv download' });
        await page.waitForFunction(() => Number(document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow')) >= 40, undefined, { timeout: 30_000 });
        expect(await step(page, 'Download uv').getAttribute('aria-current')).toBe('step');
        expect(await step(page, 'Check').textContent()).toContain('done');
        expect(await bar.getAttribute('aria-valuetext')).toMatch(/^\d+\.\d MB of \d+\.\d MB$/);
        expect(await page.locator('.figures').textContent()).toMatch(/MB of .*MB\/s.*left/);
        expect(await headline(page).textContent()).toBe('Downloading uv…');
        await shot(page, 'downloading', width);
        rest.open();

        await step(page, 'Install SkyPilot').and(page.locator('[aria-current=step]')).waitFor({ timeout: 30_000 });
        // uv's signs of life: the seconds, and the 2 MB wheel the stand-in unpacked into the cache.
        await page.getByText(/^Elapsed 0:0[1-9] · [2-9]\.\d MB written/).waitFor({ timeout: 10_000 });
        expect(await page.locator('.activity').textContent()).not.toBe('uv tool install running');
        expect(await page.getByRole('progressbar').count()).toBe(0);
        expect(await step(page, 'Download uv').textContent()).toContain('done');
        await shot(page, 'installing', width);

        await page.getByRole('heading', { name: 'SkyPilot is ready' }).waitFor({ timeout: 30_000 });
        const details = page.getByRole('definition');
        expect(await details.first().textContent()).toMatch(/^1\.0\.0\.dev\d{8}$/);
        expect(await details.nth(1).textContent()).toBe(join(gk.rig.home, 'tools/bin/sky'));
        for (const label of ['Check', 'Download uv', 'Install SkyPilot', 'Verify']) {
          expect(await step(page, label).textContent()).toContain('done');
        }
        expect(await page.getByRole('button').count()).toBe(0);
        await shot(page, 'complete', width);
        // Nothing spills sideways at this width.
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
        expect(errors).toEqual([]);
      } finally {
        rest.open();
        await page.close();
        await gk.close();
      }
    }, 90_000);
  }

  test('a failure shows the message, the hint and the log, and Retry starts a new attempt', async () => {
    const gk = await start({ env: { STANDIN_UV_FAIL: '1' } });
    const { page, errors } = await open(gk.gk.url, 1280);
    try {
      await page.getByRole('button', { name: 'Install SkyPilot' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor({ state: 'visible', timeout: 30_000 });
      expect(await headline(page).textContent()).toBe('The install failed');
      expect(await page.getByRole('status').textContent()).toContain('uv tool install');
      expect(await alert.textContent()).toContain('uv_install_failed during installing skypilot');
      expect(await alert.getByRole('code').nth(1).textContent()).toStartWith(join(gk.rig.home, 'logs', 'install-'));
      expect(await step(page, 'Install SkyPilot').textContent()).toContain('failed');
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 760 });
        await shot(page, 'error', width);
      }

      const retry = page.getByRole('button', { name: 'Retry' });
      await retry.focus();
      await page.keyboard.press('Enter');
      for (let i = 0; i < 100 && (await gk.rig.uvInstalls()) < 2; i++) await Bun.sleep(100);
      expect(await gk.rig.uvInstalls()).toBe(2);
      await alert.waitFor({ state: 'visible', timeout: 30_000 });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await gk.close();
    }
  }, 60_000);
});
