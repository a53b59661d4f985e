/**
 * The right code and hint for a release that is not where the settings say: a version that
 * does not exist, a redirect loop, a redirect to file:, a sidecar holding the bare digest,
 * and a download base that does not parse.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { startMirror, type Mirror, type MirrorHook } from '../../demo/mirror.ts';
import { sha256 } from './archives.ts';
import { leftovers, removeHome, runDownload, tempHome, VERSION } from './harness.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function mirrorWith(handler?: MirrorHook): Promise<Mirror> {
  const mirror = await startMirror({ version: VERSION, handler });
  cleanups.push(() => mirror.close());
  return mirror;
}

async function home(): Promise<string> {
  const path = await tempHome('release-fault-');
  cleanups.push(() => removeHome(path));
  return path;
}

describe('a version that does not exist', () => {
  test('archive and sidecar both 404 is http_status naming the version and URL, not checksum_unavailable', async () => {
    const mirror = await mirrorWith();
    const carapace = await home();
    const missing = '0.10.99';
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base, CARAPACE_UV_VERSION: missing });
    const url = mirror.url().replace(`/${VERSION}/`, `/${missing}/`);
    expect(run.error?.code).toBe('http_status');
    expect(run.error?.message).toContain(`uv ${missing} for `);
    expect(run.error?.message).toContain(`GET ${url} answered 404`);
    expect(run.error?.hint).toContain('CARAPACE_UV_VERSION');
    expect(run.error?.hint).toContain('CARAPACE_UV_DOWNLOAD_BASE');
    // The sidecar, then one HEAD of the archive: nothing downloaded, nothing retried.
    expect(mirror.requests.map((r) => `${r.method} ${r.path.split('/').pop()}`)).toEqual([
      `GET ${url.split('/').pop()}.sha256`,
      `HEAD ${url.split('/').pop()}`,
    ]);
    expect(await leftovers(carapace)).toEqual([]);
  });

  test('with a digest configured, a missing archive names the version too', async () => {
    const mirror = await mirrorWith();
    const carapace = await home();
    const run = await runDownload({
      CARAPACE_HOME: carapace,
      CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
      CARAPACE_UV_VERSION: '0.10.98',
      CARAPACE_UV_SHA256: 'a'.repeat(64),
    });
    expect(run.error?.code).toBe('http_status');
    expect(run.error?.message).toContain('uv 0.10.98 for ');
    expect(run.error?.hint).toContain('CARAPACE_UV_VERSION');
  });

});

describe('redirects', () => {
  test('a redirect loop is http_status naming the URL, not network, and not retried', async () => {
    const mirror = await mirrorWith((req, ctx) =>
      ctx.path.endsWith('.sha256') ? new Response(null, { status: 302, headers: { location: new URL(req.url).pathname } }) : undefined,
    );
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
    expect(run.error?.code).toBe('http_status');
    expect(run.error?.message).toBe(`GET ${mirror.url()}.sha256 redirects too many times (a redirect loop)`);
    expect(run.progress.some((p) => p.message.includes('retrying'))).toBe(false);
  });

  test('a redirect to file: is refused, and the message says so', async () => {
    const mirror = await mirrorWith((_req, ctx) =>
      ctx.path.endsWith('.sha256') ? new Response(null, { status: 302, headers: { location: 'file:///etc/passwd' } }) : undefined,
    );
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
    expect(run.error?.code).toBe('http_status');
    expect(run.error?.message).toContain('redirects to a URL that is not http(s) (such as file:), and such redirects are refused');
    expect(run.error?.hint).toContain('redirected');
  });
});

describe('sidecars and bases', () => {
  test('a sidecar holding only the hex digest is accepted', async () => {
    let digest = '';
    const mirror = await mirrorWith((_req, ctx) => (ctx.path.endsWith('.sha256') ? new Response(`${digest}\n`) : undefined));
    digest = sha256(new Uint8Array(await Bun.file(mirror.archivePath()).arrayBuffer()));
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
    expect(run.error).toBeNull();
    expect(run.ok?.uv_version).toBe(VERSION);
  });

  test('an unparsable CARAPACE_UV_DOWNLOAD_BASE is invalid_config naming it, not a bug', async () => {
    const run = await runDownload({ CARAPACE_HOME: await home(), CARAPACE_UV_DOWNLOAD_BASE: 'http://[::1' }).catch((error) => ({
      error: { code: (error as { code?: string }).code, message: (error as Error).message },
    }));
    expect(run.error?.code).toBe('invalid_config');
    expect(run.error?.message).toContain('CARAPACE_UV_DOWNLOAD_BASE="http://[::1"');
  });
});
