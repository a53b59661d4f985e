/**
 * Shared set-up for the gatekeeper tests: a real installer against the loopback mirror and
 * the stand-in uv in a temporary home, requests addressed as a local client would, and an
 * SSE reader built on the client's WHATWG parser.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSSEParser, type ParsedEvent } from '../../adapters/client.ts';
import { createInstaller, type Installer } from '../../installer/installer.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import { startMirror, type Mirror, type MirrorHook } from '../../demo/mirror.ts';

export const PORT = 8787;
export const BASE = `http://127.0.0.1:${PORT}`;

export interface Rig {
  mirror: Mirror;
  home: string;
  installer: Installer;
  /** `uv tool install` runs the stand-in logged. */
  uvInstalls(): Promise<number>;
  close(): Promise<void>;
}

export async function mirrorRig(opts: { env?: Record<string, string>; handler?: MirrorHook; padBytes?: number } = {}): Promise<Rig> {
  const mirror = await startMirror({ ...(opts.handler ? { handler: opts.handler } : {}), ...(opts.padBytes ? { padBytes: opts.padBytes } : {}) });
  const home = await mkdtemp(join(tmpdir(), 'carapace-http-'));
  const uvLog = join(home, '..', `${home.split('/').pop()}-uv.log`);
  const settings = settingsFromEnv({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CARAPACE_HOME: home,
    CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
    CARAPACE_UV_SHA256: mirror.sha256(),
    STANDIN_UV_LOG: uvLog,
    ...opts.env,
  });
  const installer = createInstaller({ settings });
  return {
    mirror,
    home,
    installer,
    async uvInstalls() {
      const text = await readFile(uvLog, 'utf8').catch(() => '');
      return text.split('\n').filter((l) => l.endsWith(' tool install')).length;
    },
    async close() {
      installer.cancel('test over');
      installer.close();
      await mirror.close();
      await rm(home, { recursive: true, force: true });
      await rm(uvLog, { force: true });
    },
  };
}

/** A request as a local client sends it: Host names the served loopback port. */
export function local(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Request {
  return new Request(`${BASE}${path}`, { ...init, headers: { host: `127.0.0.1:${PORT}`, ...init.headers } });
}

export function post(path: string, body?: unknown, headers: Record<string, string> = {}): Request {
  return local(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

export interface ReadEvent {
  type: string;
  id: string | null;
  data: any;
}

/**
 * Reads an event stream until `until` holds for the events so far, then cancels the body
 * (which is how a client leaves). Comments are counted for heartbeat tests.
 */
export async function readEvents(
  res: Response,
  until: (events: ReadEvent[], comments: number) => boolean,
  opts: { timeoutMs?: number } = {},
): Promise<{ events: ReadEvent[]; comments: number; retry: number | null }> {
  const events: ReadEvent[] = [];
  const state = { comments: 0, retry: null as number | null };
  const parser = createParser(
    (e) => events.push({ type: e.type, id: e.id, data: JSON.parse(e.data) }),
    () => state.comments++,
    (ms) => (state.retry = ms),
  );
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  try {
    while (!until(events, state.comments)) {
      if (Date.now() > deadline) throw new Error(`stream: gave up waiting; got ${JSON.stringify(events.map((e) => e.type))}`);
      const { done, value } = await reader.read();
      if (done) break;
      parser(decoder.decode(value, { stream: true }));
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return { events, comments: state.comments, retry: state.retry };
}

export const phases = (events: ReadEvent[]) => events.filter((e) => e.type === 'install-state').map((e) => e.data.to);

/** The client's WHATWG parser, plus comment counting (heartbeats), which the client never needs. */
function createParser(onEvent: (e: ParsedEvent) => void, onComment: () => void, onRetry: (ms: number) => void) {
  const parser = createSSEParser({ onEvent, onRetry });
  let carry = '';
  return (chunk: string) => {
    const lines = (carry + chunk).split('\n');
    carry = lines.pop() ?? '';
    for (const l of lines) if (l.startsWith(':')) onComment();
    parser.feed(chunk);
  };
}
