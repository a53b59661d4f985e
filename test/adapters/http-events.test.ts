/**
 * The event stream by the WHATWG rules: framing, ids, retry, heartbeats, replay after
 * Last-Event-ID from a buffer bounded to the current and previous attempt, and streams that
 * leave no listener behind when their client goes away.
 */
import { describe, expect, test } from 'bun:test';
import { EventLog } from '../../adapters/http/event-log.ts';
import { createGatekeeper } from '../../adapters/http/gatekeeper.ts';
import { serve } from '../../adapters/http/serve.ts';
import { formatSSE, sseResponse } from '../../adapters/http/sse.ts';
import type { Installer, InstallerEvent, InstallerListener } from '../../installer/installer.ts';
import type { InstallPhase } from '../../machines/types.ts';
import { local, PORT, readEvents } from './http-harness.ts';

function fakeInstaller() {
  const listeners = new Set<InstallerListener>();
  const installer = {
    subscribe(l: InstallerListener) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    phase: () => null,
    close() {},
  } as unknown as Installer;
  const emit = (event: InstallerEvent) => {
    for (const l of listeners) l(event);
  };
  const state = (attempt: number, from: InstallPhase | null, to: InstallPhase) =>
    emit({ type: 'install-state', attempt, from, to, time: new Date().toISOString() });
  const progress = (attempt: number, phase: InstallPhase, message: string, percent: number | null = null) =>
    emit({ type: 'install-progress', attempt, progress: { phase, message, percent } });
  return { installer, listeners, state, progress };
}

const SETTINGS = { host: '127.0.0.1', port: PORT, token: null, allowed_origins: [] };

function rig(opts: { heartbeatMs?: number; limits?: { maxEvents: number; maxOther: number } } = {}) {
  const fake = fakeInstaller();
  const gk = createGatekeeper({ installer: fake.installer, settings: SETTINGS, ...opts });
  return { ...fake, gk };
}

function attempt(f: ReturnType<typeof fakeInstaller>, n: number) {
  f.state(n, null, 'checking');
  f.progress(n, 'checking', 'Checking for SkyPilot');
  f.state(n, 'checking', 'downloading_uv');
  f.progress(n, 'downloading_uv', 'Downloading uv 0.10.2', 50);
  f.state(n, 'downloading_uv', 'complete');
}

describe('framing', () => {
  test('headers, retry, named events with increasing ids and contract data', async () => {
    const r = rig();
    const res = await r.gk.fetch(local('/cluster/events'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('no-cache');
    attempt(r, 1);
    const { events, retry } = await readEvents(res, (e) => e.length === 5);
    expect(retry).toBe(2000);
    expect(events.map((e) => e.type)).toEqual(['install-state', 'install-progress', 'install-state', 'install-progress', 'install-state']);
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(5);
    expect(events[0]!.data).toMatchObject({ attempt: 1, from: null, to: 'checking' });
    expect(typeof events[0]!.data.time).toBe('string');
    expect(events[3]!.data).toEqual({ phase: 'downloading_uv', message: 'Downloading uv 0.10.2', percent: 50, attempt: 1 });
  });

  test('the SSE helper refuses CR/LF in ids and event names and splits multi-line data', () => {
    expect(() => formatSSE({ id: '1\n2', data: 'x' })).toThrow();
    expect(() => formatSSE({ event: 'a\rb', data: 'x' })).toThrow();
    expect(() => formatSSE({ id: 'a\0', data: 'x' })).toThrow();
    expect(formatSSE({ id: '7', event: 'e', data: 'one\ntwo' })).toBe('id: 7\nevent: e\ndata: one\ndata: two\n\n');
  });

  test('a heartbeat comment keeps a quiet stream alive', async () => {
    const r = rig({ heartbeatMs: 30 });
    const res = await r.gk.fetch(local('/cluster/events'));
    const { comments, events } = await readEvents(res, (_e, c) => c >= 2);
    expect(comments).toBeGreaterThanOrEqual(2);
    expect(events).toEqual([]);
  });
});

describe('replay', () => {
  test('after Last-Event-ID (header or query) the stream resumes with the next event', async () => {
    const r = rig();
    attempt(r, 1);
    for (const req of [
      local('/cluster/events', { headers: { 'last-event-id': '3' } }),
      local('/cluster/events?last_event_id=3'),
    ]) {
      const res = await r.gk.fetch(req);
      const { events } = await readEvents(res, (e) => e.length === 2);
      expect(events.map((e) => e.id)).toEqual(['4', '5']);
    }
    // Live events follow the replay with no gap and no repeat.
    const res = await r.gk.fetch(local('/cluster/events', { headers: { 'last-event-id': '5' } }));
    r.progress(1, 'complete', 'done');
    const { events } = await readEvents(res, (e) => e.length === 1);
    expect(events[0]!.id).toBe('6');
  });

  test('a new client, or one with an id from another server run, gets the latest attempt from its start', async () => {
    const r = rig();
    attempt(r, 1);
    attempt(r, 2);
    for (const headers of [{}, { 'last-event-id': '999' }, { 'last-event-id': 'garbage' }] as Record<string, string>[]) {
      const res = await r.gk.fetch(local('/cluster/events', { headers }));
      const { events } = await readEvents(res, (e) => e.length === 5);
      expect(events.every((e) => e.data.attempt === 2)).toBe(true);
      expect(events[0]!.data.to).toBe('checking');
    }
  });

  test('the buffer holds the current and the previous attempt, within its cap', () => {
    const r = rig();
    attempt(r, 1);
    attempt(r, 2);
    attempt(r, 3);
    const kept = r.gk.events.log.replay('0');
    expect(new Set(kept.map((e) => e.attempt))).toEqual(new Set([2, 3]));
    expect(kept.length).toBe(10);

    const log = new EventLog({ maxEvents: 4, maxOther: 2 });
    const frame = () => new Uint8Array();
    for (let i = 0; i < 3; i++) log.append('cluster-log', null, frame);
    expect(log.size).toBe(2);
    for (let i = 0; i < 10; i++) log.append('install-progress', 1, frame);
    expect(log.size).toBe(4);
    expect(log.replay('0').map((e) => e.id)).toEqual([10, 11, 12, 13]);
  });
});

describe('clients that go away', () => {
  test('10,000 connect/disconnect cycles leave no listener behind', async () => {
    const r = rig();
    attempt(r, 1);
    expect(r.listeners.size).toBe(1);
    for (let i = 0; i < 10_000; i++) {
      const controller = new AbortController();
      const res = await r.gk.fetch(local('/cluster/events', { signal: controller.signal }));
      const reader = res.body!.getReader();
      await reader.read();
      expect(r.gk.subscriberCount()).toBe(1);
      // Half leave by cancelling the body (the runtime's view of a closed socket), half by abort.
      if (i % 2 === 0) await reader.cancel();
      else controller.abort();
      expect(r.gk.subscriberCount()).toBe(0);
    }
    expect(r.listeners.size).toBe(1);
    r.gk.close();
    expect(r.listeners.size).toBe(0);
  }, 60_000);

  test('over real sockets too: 10,000 connections opened and closed, none left behind', async () => {
    const fake = fakeInstaller();
    const running = serve({ installer: fake.installer, settings: { ...SETTINGS, port: 0 } });
    try {
      for (let round = 0; round < 50; round++) {
        const controllers = Array.from({ length: 200 }, () => new AbortController());
        const responses = await Promise.all(
          controllers.map((c) => fetch(`${running.url}/cluster/events`, { signal: c.signal })),
        );
        for (const res of responses) expect(res.status).toBe(200);
        await waitFor(() => running.gatekeeper.subscriberCount() === 200);
        for (const c of controllers) c.abort();
        await waitFor(() => running.gatekeeper.subscriberCount() === 0);
      }
      expect(fake.listeners.size).toBe(1);
    } finally {
      await running.stop();
    }
    expect(fake.listeners.size).toBe(0);
  }, 60_000);

  test('a client that stops reading is dropped rather than buffered without end', async () => {
    let writes = 0;
    let detached = false;
    const res = sseResponse({
      heartbeatMs: 60_000,
      retryMs: 1000,
      maxQueuedChunks: 5,
      attach: (sink) => {
        while (sink.write('data: x\n\n')) writes++;
        return () => (detached = true);
      },
    });
    expect(res.status).toBe(200);
    expect(writes).toBeLessThanOrEqual(7);
    expect(detached).toBe(true);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await Bun.sleep(10);
  }
}
