/**
 * CARAPACE_INSPECT end to end on loopback: a Bun WebSocket server stands in for Stately's
 * inspector and receives the inspection events of real installs from the test mirror.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Server } from 'bun';
import { createInstaller } from '../../installer/installer.ts';
import { createInstallInspector, inspectUrlFromEnv, inspectedInstaller, redact } from '../../installer/inspector.ts';
import { redactorFor } from '../../installer/redact.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { jsonLines, runCli, tempHome } from '../e2e/cli.ts';

/** The states a fresh install passes through, inner states included, as the inspector sees them. */
const FRESH_INSTALL_STATES = ['checking.locking', 'checking.reading', 'downloading_uv', 'installing_skypilot', 'verifying.testing', 'verifying.activating', 'complete'];

type Received = { type: string; name?: string; sessionId: string; snapshot?: any; event?: any; definition?: string };

let mirror: Mirror;
let server: Server<unknown>;
let received: { raw: string; event: Received }[] = [];
let url: string;

beforeAll(async () => {
  mirror = await startMirror();
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req, srv) {
      return srv.upgrade(req, { data: undefined }) ? undefined : new Response('websocket only', { status: 426 });
    },
    websocket: {
      message(_ws, message) {
        const raw = String(message);
        received.push({ raw, event: JSON.parse(raw) });
      },
    },
  });
  url = `ws://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  server.stop(true);
  await mirror.close();
});

const SECRET = 'wJalrXUtnFEMI-not-a-real-key';

async function settingsFor(extra: Record<string, string> = {}) {
  return settingsFromEnv({
    PATH: process.env.PATH,
    CARAPACE_HOME: await tempHome('carapace-inspect-'),
    CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
    CARAPACE_UV_SHA256: mirror.sha256(),
    AWS_SECRET_ACCESS_KEY: SECRET,
    ...extra,
  });
}

/** The values the root install actor's snapshots went through, in order, without repeats. */
function installStates(events: Received[]): string[] {
  const root = events.find((e) => e.type === '@xstate.actor' && e.name === 'install');
  if (!root) return [];
  const values = events
    .filter((e) => e.type === '@xstate.snapshot' && e.sessionId === root.sessionId)
    .map((e) => stateName(e.snapshot.value));
  return values.filter((v, i) => v !== values[i - 1]);
}

/** `checking.waiting` for a nested value, the key alone for a top-level one. */
function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? ['', ''];
  return `${key}.${stateName(child)}`;
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

describe('CARAPACE_INSPECT', () => {
  test('is off when unset, and a value that is not ws:// is refused naming the variable', () => {
    expect(inspectUrlFromEnv({})).toBeNull();
    expect(inspectUrlFromEnv({ CARAPACE_INSPECT: '  ' })).toBeNull();
    expect(inspectUrlFromEnv({ CARAPACE_INSPECT: 'ws://127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080');
    expect(() => inspectUrlFromEnv({ CARAPACE_INSPECT: 'http://127.0.0.1:8080' })).toThrow(/CARAPACE_INSPECT.*ws:\/\/HOST:PORT/);
  });

  test('an install sends the machine, its actors, events and every state to the WebSocket inspector', async () => {
    received = [];
    const inspector = createInstallInspector(url);
    try {
      const installer = createInstaller({ settings: await settingsFor(), inspect: inspector.inspect });
      const output = await installer.ensureSkypilot();
      expect(output.ok).toBe(true);
      await inspector.flush(10_000);
      await until(() => installStates(received.map((r) => r.event)).at(-1) === 'complete', 'the complete snapshot');
      const events = received.map((r) => r.event);

      const root = events.find((e) => e.type === '@xstate.actor' && e.name === 'install')!;
      // The inspector draws the chart from this definition.
      expect(JSON.parse(root.definition!).states).toHaveProperty('installing_skypilot');
      expect(installStates(received.map((r) => r.event))).toEqual(FRESH_INSTALL_STATES);
      const children = events.filter((e) => e.type === '@xstate.actor' && e.name !== 'install').map((e) => e.name);
      expect(children).toEqual(expect.arrayContaining(['check', 'downloadUv', 'installSkypilot', 'verify']));
      const eventTypes = new Set(events.filter((e) => e.type === '@xstate.event').map((e) => e.event.type));
      for (const type of ['xstate.init', 'install.progress', 'xstate.done.actor.check', 'xstate.done.actor.verify']) {
        expect(eventTypes.has(type)).toBe(true);
      }
    } finally {
      inspector.stop();
    }
  }, 60_000);

  test('the process environment never leaves the process', async () => {
    // Runs after the install above has filled `received`; settings.env held the secret.
    expect(received.length).toBeGreaterThan(10);
    for (const { raw } of received) expect(raw).not.toContain(SECRET);
    const withheld = received.filter(({ raw }) => /"env":"\[\d+ variables withheld\]"/.test(raw));
    expect(withheld.length).toBeGreaterThan(0);
    expect(redact({ settings: { env: { A: '1', B: '2' }, home: '/h' }, deps: { fetch } })).toEqual({
      settings: { env: '[2 variables withheld]', home: '/h' },
    });
    const masked = redact({ bases: ['https://ci:hunter2-token@mirror.internal/uv'], detail: `uv said ${SECRET}` }, redactorFor({ AWS_SECRET_ACCESS_KEY: SECRET }));
    expect(JSON.stringify(masked)).not.toContain('hunter2-token');
    expect(JSON.stringify(masked)).not.toContain(SECRET);
  });

  test('an inspector that is not listening does not stop or stall the install', async () => {
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
    const deadUrl = `ws://127.0.0.1:${closed.port}`;
    closed.stop(true);
    const settings = await settingsFor();
    let inspect: unknown;
    const installer = inspectedInstaller({ CARAPACE_INSPECT: deadUrl }, (deps) => {
      inspect = deps.inspect;
      return createInstaller({ ...deps, settings });
    });
    expect(inspect).toBeDefined();
    const output = await installer.ensureSkypilot();
    expect(output).toMatchObject({ ok: true });
  }, 60_000);

  test('the CLI singleton reports an install to CARAPACE_INSPECT, through to complete, before it exits', async () => {
    received = [];
    const home = await tempHome('carapace-inspect-cli-');
    const run = await runCli(['install', '--json'], {
      CARAPACE_HOME: home,
      CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
      CARAPACE_UV_SHA256: mirror.sha256(),
      CARAPACE_INSPECT: url,
    });
    expect(run.exitCode).toBe(0);
    expect(jsonLines(run.stdout).result).toMatchObject({ ok: true });
    // The process has exited: what it flushed is on its way to the server, what it did not is lost.
    await until(() => installStates(received.map((r) => r.event)).at(-1) === 'complete', 'the complete snapshot', 10_000).catch(() => {});
    expect(installStates(received.map((r) => r.event))).toEqual(FRESH_INSTALL_STATES);
  }, 90_000);
});
