/**
 * The typed client against a real gatekeeper on Bun.serve (port 0), the real installer and
 * the loopback mirror. Bun has no EventSource, so this exercises the client's fetch reader,
 * including its resume with Last-Event-ID after a dropped connection; the browser tests run
 * the EventSource path.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, createSSEParser, GatekeeperError, type InstallStateData, type ParsedEvent } from '../../adapters/client.ts';
import { serve, type RunningGatekeeper } from '../../adapters/http/serve.ts';
import { mirrorRig, type Rig } from './http-harness.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: { env?: Record<string, string>; token?: string } = {}): Promise<{ rig: Rig; running: RunningGatekeeper }> {
  const rig = await mirrorRig(opts.env ? { env: opts.env } : {});
  const running = serve({
    installer: rig.installer,
    settings: { host: '127.0.0.1', port: 0, token: opts.token ?? null, allowed_origins: [] },
  });
  cleanups.push(() => rig.close(), () => running.stop());
  return { rig, running };
}

describe('client', () => {
  test('status, progress and ensure through one install', async () => {
    const { running } = await setup();
    const client = createClient({ baseUrl: running.url });
    const before = await client.getInstallStatus();
    expect(before).toMatchObject({ sky_installed: false, uv_installed: false, phase: null });

    const states: InstallStateData[] = [];
    const messages: string[] = [];
    let done!: () => void;
    const completed = new Promise<void>((r) => (done = r));
    const sub = client.subscribeInstallProgress({
      onState: (s) => {
        states.push(s);
        if (s.to === 'complete') done();
      },
      onProgress: (p) => messages.push(p.message),
    });
    cleanups.push(() => sub.close());
    await waitFor(() => running.gatekeeper.subscriberCount() === 1);
    const output = await client.ensureSkypilot();
    expect(output.ok).toBe(true);
    await completed;
    expect(states.map((s) => s.to)).toEqual(['checking', 'downloading_uv', 'installing_skypilot', 'verifying', 'complete']);
    expect(messages).toContain('Installed 1 executable: sky');
    expect(sub.lastEventId).not.toBeNull();
    expect((await client.getInstallStatus()).sky_installed).toBe(true);
  }, 60_000);

  test('after a dropped connection the client resumes with Last-Event-ID: no event lost or repeated', async () => {
    const { running } = await setup({ env: { STANDIN_UV_DELAY: '0.3' } });
    const sent: Array<string | null> = [];
    let cut = true;
    // Cuts the first stream after its third event, as a flaky network would.
    const flakyFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const res = await fetch(input, init);
      if (!String(input).endsWith('/cluster/events')) return res;
      sent.push(new Headers(init?.headers).get('last-event-id'));
      if (!cut) return res;
      cut = false;
      let events = 0;
      const reader = res.body!.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          const { done, value } = await reader.read();
          if (done) return c.close();
          c.enqueue(value);
          events += new TextDecoder().decode(value).split('\n\n').length - 1;
          if (events >= 4) {
            await reader.cancel();
            c.error(new Error('connection reset'));
          }
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    }) as typeof fetch;
    const client = createClient({ baseUrl: running.url, fetch: flakyFetch, retryMs: 50 });
    const ids: number[] = [];
    const errors: Error[] = [];
    const sub = client.subscribeInstallProgress({
      onState: (_s, id) => ids.push(Number(id)),
      onProgress: (_p, id) => ids.push(Number(id)),
      onError: (e) => errors.push(e),
    });
    cleanups.push(() => sub.close());
    await waitFor(() => running.gatekeeper.subscriberCount() === 1);
    expect((await client.ensureSkypilot()).ok).toBe(true);
    const last = running.gatekeeper.events.log.lastId;
    await waitFor(() => ids.at(-1) === last);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(sent[0]).toBeNull();
    expect(sent[1]).toMatch(/^\d+$/);
    expect(ids).toEqual(Array.from({ length: last }, (_, i) => i + 1));
  }, 60_000);

  test('a new subscription resumes from a saved lastEventId', async () => {
    const { running } = await setup();
    const client = createClient({ baseUrl: running.url });
    expect((await client.ensureSkypilot()).ok).toBe(true);
    const total = running.gatekeeper.events.log.lastId;
    const ids: string[] = [];
    const sub = client.subscribeInstallProgress({ onState: (_s, id) => ids.push(id), onProgress: (_p, id) => ids.push(id) }, { lastEventId: String(total - 2) });
    cleanups.push(() => sub.close());
    await waitFor(() => ids.length === 2);
    expect(ids).toEqual([String(total - 1), String(total)]);
  }, 60_000);

  test('launchCluster answers typed results, refusals throw GatekeeperError', async () => {
    const { rig, running } = await setup({ env: { STANDIN_SKY_CHECK_FAIL: '1' }, token: 'tok-123' });
    const task = join(rig.home, 'task.yaml');
    await writeFile(task, 'run: echo hi\n');
    const client = createClient({ baseUrl: running.url, token: 'tok-123' });
    const answer = await client.launchCluster({ cluster: 'dev', task });
    expect(answer.ok).toBe(false);
    if (!answer.ok) {
      expect(answer.status).toBe(412);
      expect(answer.error.code).toBe('aws_credentials');
    }
    const anonymous = createClient({ baseUrl: running.url });
    const refused = await anonymous.getInstallStatus().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GatekeeperError);
    expect((refused as GatekeeperError).status).toBe(401);
    const bad = await client.launchCluster({ cluster: 'dev', task: 'relative.yaml' }).catch((e: unknown) => e);
    expect((bad as GatekeeperError).error.code).toBe('invalid_request');
  }, 60_000);
});

describe('SSE parser (WHATWG)', () => {
  function parse(chunks: string[]) {
    const events: ParsedEvent[] = [];
    const retries: number[] = [];
    const p = createSSEParser({ onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) });
    for (const c of chunks) p.feed(c);
    return { events, retries };
  }

  test('line endings, comments, multi-line data, ids and retry', () => {
    const { events, retries } = parse(['\uFEFFretry: 1500\r', '\n: comment\r\nid: 1\nevent: a\ndata: x\ndata:y\n\n', 'data: z\r\r', 'id: bad\0id\ndata: w\n\nevent: empty\n\n']);
    expect(retries).toEqual([1500]);
    expect(events).toEqual([
      { type: 'a', data: 'x\ny', id: '1' },
      { type: 'message', data: 'z', id: '1' },
      { type: 'message', data: 'w', id: '1' },
    ]);
  });

  test('an event split anywhere across chunks parses the same', () => {
    const text = 'id: 42\nevent: install-state\ndata: {"to":"complete"}\n\n';
    for (let i = 1; i < text.length; i++) {
      expect(parse([text.slice(0, i), text.slice(i)]).events).toEqual([{ type: 'install-state', data: '{"to":"complete"}', id: '42' }]);
    }
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await Bun.sleep(10);
  }
}
