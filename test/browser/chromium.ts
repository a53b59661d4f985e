/**
 * Debian's Chromium for the browser tests, started on first use by the test that needs it: a
 * `beforeAll` that throws is reported by bun as "(unnamed)", so a missing browser would fail
 * without saying which test wanted it. test/system-deps.sh installs the package.
 */
import { stat } from 'node:fs/promises';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps dialling Google's hosts, which this
// machine's closed network refuses many at a time.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface LazyBrowser {
  /** The browser context, launched by the first call. */
  get(): Promise<BrowserContext>;
  close(): Promise<void>;
}

export function lazyBrowser(profile: () => string, viewport = { width: 1360, height: 860 }): LazyBrowser {
  let started: Promise<BrowserContext> | undefined;
  const launch = async () => {
    if (!(await stat(CHROMIUM).then(() => true, () => false))) {
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (npm test does this as root)`);
    }
    return chromium.launchPersistentContext(profile(), { executablePath: CHROMIUM, headless: true, args: ARGS, viewport, timeout: 60_000 });
  };
  return {
    get: () => (started ??= launch()),
    close: async () => {
      const context = await started?.catch(() => undefined);
      await context?.close();
    },
  };
}
