/**
 * fetchWithRetry with a scripted fetch, for what a real server cannot show through Bun:
 * a body that ends cleanly short of its Content-Length, and the attempt credit for
 * connections that keep dropping while the download still moves forward.
 */
import { describe, expect, test } from 'bun:test';
import { fetchWithRetry, type BodySink, type FetchWithRetryOptions } from '../../actors/download/fetch-with-retry.ts';
import { DownloadProgress } from '../../actors/download/progress.ts';
import type { ProgressReport } from '../../machines/install.ts';

class MemorySink implements BodySink {
  chunks: Uint8Array[] = [];
  offset = 0;
  restarts = 0;
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  async restart() {
    this.chunks = [];
    this.offset = 0;
    this.restarts++;
  }
  async write(chunk: Uint8Array) {
    this.chunks.push(chunk.slice());
    this.offset += chunk.byteLength;
  }
}

const FILE = Uint8Array.from({ length: 5 * 1024 * 1024 }, (_, i) => i % 251);

function options(fetchImpl: (url: string, init: RequestInit) => Promise<Response>, over: Partial<FetchWithRetryOptions> = {}) {
  return {
    fetch: fetchImpl as unknown as typeof fetch,
    signal: new AbortController().signal,
    attempts: 3,
    connectTimeoutMs: 10_000,
    stallTimeoutMs: 10_000,
    backoff: { baseMs: 1, maxMs: 2, maxRetryAfterMs: 60_000 },
    now: Date.now,
    proxy: false as const,
    ca: null,
    maxBytes: 64 * 1024 * 1024,
    limitCode: 'archive_invalid' as const,
    what: 'the file',
    ...over,
  };
}

/** Serves FILE honouring Range, ending each body cleanly after `cut` bytes of it. */
function serving(cut: number, log: string[] = []) {
  return async (_url: string, init: RequestInit) => {
    const range = new Headers(init.headers).get('range');
    log.push(range ?? 'full');
    const start = range ? Number(/bytes=(\d+)-/.exec(range)![1]) : 0;
    const body = FILE.subarray(start, Math.min(FILE.length, start + cut));
    const headers: Record<string, string> = { 'content-length': String(FILE.length - start), etag: '"v1"' };
    if (range) headers['content-range'] = `bytes ${start}-${FILE.length - 1}/${FILE.length}`;
    return new Response(body.slice(), { status: range ? 206 : 200, headers });
  };
}

describe('fetchWithRetry', () => {
  test('a body that ends cleanly short of Content-Length is size_mismatch', async () => {
    const sink = new MemorySink();
    const error = await fetchWithRetry('http://x/f', sink, options(serving(1000), { attempts: 1 })).catch((e) => e);
    expect(error).toMatchObject({ code: 'size_mismatch', message: `the download of the file ended after 1000 of ${FILE.length} bytes` });
  });

  test('attempts that keep moving the download forward by a MiB or more do not use up tries', async () => {
    const log: string[] = [];
    const sink = new MemorySink();
    await fetchWithRetry('http://x/f', sink, options(serving(1024 * 1024 + 1, log)));
    expect(log.length).toBe(5);
    expect(log[1]).toBe(`bytes=${1024 * 1024 + 1}-`);
    expect(sink.bytes.equals(Buffer.from(FILE))).toBe(true);
    expect(sink.restarts).toBe(0);
  });

  test('attempts that move less than that are counted, and the last error says how many', async () => {
    const log: string[] = [];
    const error = await fetchWithRetry('http://x/f', new MemorySink(), options(serving(1000, log))).catch((e) => e);
    expect(log).toEqual(['full', 'bytes=1000-', 'bytes=2000-']);
    expect(error).toMatchObject({ code: 'size_mismatch' });
    expect(error.message).toEndWith('(gave up after 3 attempts)');
  });

  test('a 206 for another offset restarts from zero without using a try', async () => {
    let calls = 0;
    const sink = new MemorySink();
    await fetchWithRetry(
      'http://x/f',
      sink,
      options(async (_url, init) => {
        calls++;
        const range = new Headers(init.headers).get('range');
        if (calls === 1) return new Response(FILE.slice(0, 100), { headers: { 'content-length': String(FILE.length) } });
        if (range) {
          return new Response(FILE.slice(50), {
            status: 206,
            headers: { 'content-range': `bytes 50-${FILE.length - 1}/${FILE.length}` },
          });
        }
        return new Response(FILE.slice(), { headers: { 'content-length': String(FILE.length) } });
      }),
    );
    expect(calls).toBe(3);
    expect(sink.restarts).toBe(1);
    expect(sink.bytes.equals(Buffer.from(FILE))).toBe(true);
  });
});

describe('DownloadProgress', () => {
  test('percent never goes down within an attempt, even when the download starts over', () => {
    const events: ProgressReport[] = [];
    let t = 0;
    const progress = new DownloadProgress((p) => events.push(p), () => (t += 200), 'Downloading uv');
    progress.start(1000, 0);
    progress.add(600);
    progress.start(1000, 0);
    progress.add(300);
    progress.add(500);
    progress.finish();
    const percents = events.map((e) => e.percent!);
    expect(percents).toEqual([60, 60, 80, 80]);
    expect(events.at(-1)).toMatchObject({ bytes_done: 800, bytes_total: 1000 });
    expect(events.map((e) => e.bytes_done)).toEqual([600, 300, 800, 800]);
  });

  test('an unknown size has no percent and no ETA', () => {
    const events: ProgressReport[] = [];
    let t = 0;
    const progress = new DownloadProgress((p) => events.push(p), () => (t += 500), 'Downloading uv');
    progress.start(null, 0);
    progress.add(1000);
    expect(events[0]).toMatchObject({ percent: null, bytes_total: null, eta_seconds: null, bytes_done: 1000 });
    expect(events[0]!.bytes_per_second).toBeGreaterThan(0);
  });
});
