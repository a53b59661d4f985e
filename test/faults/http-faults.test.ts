/**
 * The network half of the fault suite: status codes, Retry-After, bodies that break off,
 * stall or trickle, resume with Range/If-Range, and falling back across sources. Every case
 * runs the real downloadUv against a loopback mirror and checks that CARAPACE_HOME holds
 * no partial uv and no staging leftovers.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startMirror, streamBytes, type Mirror, type MirrorHook } from '../../demo/mirror.ts';
import { leftovers, removeHome, runDownload, tempHome, VERSION, type RunResult } from './harness.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function mirrorWith(handler?: MirrorHook, padBytes = 0): Promise<Mirror> {
  const mirror = await startMirror({ version: VERSION, handler, padBytes });
  cleanups.push(() => mirror.close());
  return mirror;
}

async function home(): Promise<string> {
  const path = await tempHome();
  cleanups.push(() => removeHome(path));
  return path;
}

const isArchive = (path: string) => path.endsWith('.tar.gz');

function etagOf(mirror: Mirror): string {
  return `"${mirror.sha256().slice(0, 16)}"`;
}

/**
 * A full-length 200 whose body breaks off once the client has shown (through progress) that
 * it holds some of it: Bun drops bytes it has not handed to the reader when the connection
 * dies, so cutting on a timer would race with the client.
 */
function cutOnceSeen(archive: Uint8Array, seen: Promise<void>, headers: Record<string, string> = {}): Response {
  const first = archive.subarray(0, 128 * 1024);
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(first.slice());
        return;
      }
      await seen;
      controller.error(new Error('connection reset by the fault hook'));
    },
  });
  return new Response(body, { headers: { 'content-length': String(archive.byteLength), ...headers } });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The offset the client had reached when its first attempt broke off, from the retry event. */
function brokeOffAt(run: RunResult): number {
  const match = run.progress.map((p) => /broke off after (\d+) of/.exec(p.message)).find(Boolean);
  return Number(match?.[1] ?? -1);
}

function percents(run: RunResult): number[] {
  return run.progress.map((p) => p.percent).filter((p): p is number => p !== null);
}

function expectRising(values: number[]): void {
  for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
}

async function expectInstalled(run: RunResult, carapace: string) {
  expect(run.error).toBeNull();
  expect(run.ok?.uv_version).toBe(VERSION);
  expect(await leftovers(carapace)).toEqual([`${carapace}/uv/bin/uv`, `${carapace}/uv/bin/uvx`]);
}

async function expectFailed(run: RunResult, carapace: string, code: string) {
  expect(run.ok).toBeNull();
  expect(run.error?.code).toBe(code as never);
  expect(run.error?.hint).toBeTruthy();
  expect(await leftovers(carapace)).toEqual([]);
}

describe('status codes', () => {
  test('404 on the archive is http_status at once, with no retry', async () => {
    const mirror = await mirrorWith((_req, ctx) => (isArchive(ctx.path) ? new Response('gone', { status: 404 }) : undefined));
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
    await expectFailed(run, carapace, 'http_status');
    expect(run.error?.message).toContain('404');
    expect(mirror.downloads()).toBe(1);
  });

  test('403 is not retried either', async () => {
    const mirror = await mirrorWith((_req, ctx) => (isArchive(ctx.path) ? new Response('no', { status: 403 }) : undefined));
    const carapace = await home();
    await expectFailed(await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base }), carapace, 'http_status');
    expect(mirror.downloads()).toBe(1);
  });

  test('500 then 200 recovers, and the retry is a progress event saying why and when', async () => {
    const mirror = await mirrorWith((_req, ctx) =>
      isArchive(ctx.path) && ctx.attempt === 1 ? new Response('oops', { status: 500, statusText: 'Internal Server Error' }) : undefined,
    );
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
    await expectInstalled(run, carapace);
    expect(mirror.downloads()).toBe(2);
    const retry = run.progress.find((p) => p.message.includes('retrying'));
    expect(retry?.message).toMatch(/answered 500 .*retrying from .* in [\d.]+ s \(attempt 2 of 3\)/);
  });

  test('503 with Retry-After waits as told, then recovers', async () => {
    const mirror = await mirrorWith((_req, ctx) =>
      isArchive(ctx.path) && ctx.attempt === 1 ? new Response('busy', { status: 503, headers: { 'retry-after': '1' } }) : undefined,
    );
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
    await expectInstalled(run, carapace);
    expect(run.progress.some((p) => /503.*retrying .* in 1 s/.test(p.message))).toBe(true);
    const [first, second] = mirror.requests.filter((r) => isArchive(r.path));
    // A lower bound only: backoff alone would have come back after about 20 ms.
    expect(second!.time - first!.time).toBeGreaterThanOrEqual(900);
  });

  test('429 asking for an hour gives up on the source instead of waiting', async () => {
    const mirror = await mirrorWith((_req, ctx) =>
      isArchive(ctx.path) ? new Response('slow down', { status: 429, headers: { 'retry-after': '3600' } }) : undefined,
    );
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
    await expectFailed(run, carapace, 'http_status');
    expect(run.error?.message).toContain('asks to wait 3600 s');
    expect(mirror.downloads()).toBe(1);
  });

  test('a 5xx that never ends uses up every attempt', async () => {
    const mirror = await mirrorWith((_req, ctx) => (isArchive(ctx.path) ? new Response('down', { status: 502 }) : undefined));
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base, CARAPACE_DOWNLOAD_RETRIES: '4' });
    await expectFailed(run, carapace, 'http_status');
    expect(run.error?.message).toContain('gave up after 4 attempts');
    expect(mirror.downloads()).toBe(4);
  });
});

describe('bodies that break off', () => {
  test('a connection reset mid-body resumes from the offset with Range and If-Range', async () => {
    const seen: Array<{ range: string | null; ifRange: string | null }> = [];
    const received = deferred();
    let etag = '';
    const mirror = await mirrorWith((req, ctx) => {
      if (!isArchive(ctx.path)) return undefined;
      seen.push({ range: req.headers.get('range'), ifRange: req.headers.get('if-range') });
      return ctx.attempt === 1 ? cutOnceSeen(ctx.archive, received.promise, { etag }) : undefined;
    }, 600_000);
    etag = etagOf(mirror);
    const carapace = await home();
    const run = await runDownload(
      { CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base },
      { onProgress: (p) => (p.bytes_done ?? 0) > 0 && received.resolve() },
    );
    await expectInstalled(run, carapace);
    const offset = brokeOffAt(run);
    expect(offset).toBeGreaterThan(0);
    expect(seen).toEqual([
      { range: null, ifRange: null },
      { range: `bytes=${offset}-`, ifRange: etag },
    ]);
    expectRising(percents(run));
  });

  test('a server that ignores Range sends it all again, and the download starts over cleanly', async () => {
    const received = deferred();
    const mirror = await mirrorWith((_req, ctx) => {
      if (!isArchive(ctx.path)) return undefined;
      if (ctx.attempt === 1) return cutOnceSeen(ctx.archive, received.promise, { 'accept-ranges': 'bytes' });
      return new Response(ctx.archive.slice(), { headers: { 'content-length': String(ctx.archive.byteLength) } });
    }, 400_000);
    const carapace = await home();
    const run = await runDownload(
      { CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base },
      { onProgress: (p) => (p.bytes_done ?? 0) > 0 && received.resolve() },
    );
    await expectInstalled(run, carapace);
    expect(brokeOffAt(run)).toBeGreaterThan(0);
    expect(run.progress.some((p) => p.message.includes('cannot resume'))).toBe(true);
    expectRising(percents(run));
  });

  test('a file that changed between attempts (If-Range fails) is fetched whole', async () => {
    const received = deferred();
    const mirror = await mirrorWith(
      (_req, ctx) =>
        isArchive(ctx.path) && ctx.attempt === 1
          ? cutOnceSeen(ctx.archive, received.promise, { etag: '"an-older-build"' })
          : undefined,
      400_000,
    );
    const carapace = await home();
    const run = await runDownload(
      { CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base },
      { onProgress: (p) => (p.bytes_done ?? 0) > 0 && received.resolve() },
    );
    await expectInstalled(run, carapace);
    const ranges = mirror.requests.filter((r) => isArchive(r.path)).map((r) => r.range);
    expect(ranges).toEqual([null, `bytes=${brokeOffAt(run)}-`]);
    expect(run.progress.some((p) => p.message.includes('cannot resume'))).toBe(true);
  });

  test('a body that is always truncated is size_mismatch after every attempt', async () => {
    const mirror = await mirrorWith((_req, ctx) => {
      if (!isArchive(ctx.path)) return undefined;
      // The server closes after a third of what it announced.
      const short = ctx.archive.subarray(0, Math.floor(ctx.archive.byteLength / 3));
      return new Response(short.slice(), { headers: { 'content-length': String(ctx.archive.byteLength), connection: 'close' } });
    }, 300_000);
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
    await expectFailed(run, carapace, 'size_mismatch');
    expect(run.error?.message).toMatch(/broke off after \d+ of \d+ bytes \(gave up after 3 attempts\)/);
    expect(mirror.downloads()).toBe(3);
  });

  test('a stalled body times out, then resumes', async () => {
    const mirror = await mirrorWith((_req, ctx) =>
      isArchive(ctx.path) && ctx.attempt === 1
        ? new Response(streamBytes(ctx.archive, { stallAfter: 64 * 1024 }), {
            headers: { 'content-length': String(ctx.archive.byteLength), etag: `"${ctx.archive.byteLength}"` },
          })
        : undefined,
      300_000);
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base, CARAPACE_STALL_TIMEOUT: '1' });
    await expectInstalled(run, carapace);
    expect(run.progress.some((p) => /no data from .* for 1 s after 65536 of \d+ bytes/.test(p.message))).toBe(true);
    expect(mirror.requests.filter((r) => isArchive(r.path)).map((r) => r.range)).toEqual([null, 'bytes=65536-']);
  });

  test('a body that always stalls ends in timeout', async () => {
    const mirror = await mirrorWith((_req, ctx) =>
      isArchive(ctx.path)
        ? new Response(streamBytes(ctx.archive, { stallAfter: 1024 }), {
            headers: { 'content-length': String(ctx.archive.byteLength) },
          })
        : undefined,
    );
    const carapace = await home();
    const run = await runDownload({
      CARAPACE_HOME: carapace,
      CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
      CARAPACE_STALL_TIMEOUT: '1',
      CARAPACE_DOWNLOAD_RETRIES: '2',
    });
    await expectFailed(run, carapace, 'timeout');
    expect(mirror.downloads()).toBe(2);
  });

  test('a slow trickle is not a stall, and progress carries bytes, speed and ETA', async () => {
    const mirror = await mirrorWith((_req, ctx) =>
      isArchive(ctx.path)
        ? new Response(streamBytes(ctx.archive, { chunk: 16 * 1024, delayMs: 40 }), {
            headers: { 'content-length': String(ctx.archive.byteLength) },
          })
        : undefined,
      200_000);
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: mirror.base });
    await expectInstalled(run, carapace);
    const bytes = run.progress.filter((p) => p.bytes_done !== undefined);
    expect(bytes.length).toBeGreaterThan(2);
    const total = bytes[0]!.bytes_total!;
    expect(total).toBeGreaterThan(200_000);
    expect(bytes.at(-1)).toMatchObject({ bytes_done: total, bytes_total: total, percent: 100 });
    expect(bytes.some((p) => p.bytes_per_second! > 0 && typeof p.eta_seconds === 'number')).toBe(true);
    expectRising(percents(run));
  });
});

describe('connecting', () => {
  test('a server that accepts but never answers is a connect timeout', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const sockets = new Set<import('node:net').Socket>();
    silent.on('connection', (s) => sockets.add(s));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const carapace = await home();
    const run = await runDownload({
      CARAPACE_HOME: carapace,
      CARAPACE_UV_DOWNLOAD_BASE: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/uv`,
      CARAPACE_CONNECT_TIMEOUT: '0.5',
      CARAPACE_DOWNLOAD_RETRIES: '2',
    });
    await expectFailed(run, carapace, 'timeout');
    expect(run.error?.message).toMatch(/did not answer within 0.5 s \(gave up after 2 attempts\)/);
  });

  test('a refused connection is network, retried', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: `http://127.0.0.1:${port}/uv` });
    await expectFailed(run, carapace, 'network');
    expect(run.progress.filter((p) => p.message.includes('retrying')).length).toBe(2);
  });
});

describe('sources', () => {
  test('a failing source moves on to the next', async () => {
    const broken = await mirrorWith(() => new Response('nope', { status: 404 }));
    const good = await mirrorWith();
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: `${broken.base},${good.base}` });
    await expectInstalled(run, carapace);
    expect(run.progress.some((p) => p.message.includes(`from ${broken.base} failed`) && p.message.includes('next source'))).toBe(true);
  });

  test('when every source fails, the error names each one', async () => {
    const a = await mirrorWith((_req, ctx) => (isArchive(ctx.path) ? new Response('no', { status: 410 }) : undefined));
    const b = await mirrorWith((_req, ctx) => (isArchive(ctx.path) ? new Response('no', { status: 404 }) : undefined));
    const carapace = await home();
    const run = await runDownload({ CARAPACE_HOME: carapace, CARAPACE_UV_DOWNLOAD_BASE: `${a.base},${b.base}` });
    await expectFailed(run, carapace, 'http_status');
    expect(run.error?.message).toBe('uv could not be downloaded from any of 2 sources');
    expect(run.error?.detail).toContain(`${a.url()}: uv ${VERSION} for`);
    expect(run.error?.detail).toContain(`GET ${a.url()} answered 410`);
    expect(run.error?.detail).toContain(`GET ${b.url()} answered 404`);
  });
});
