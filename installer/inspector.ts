/**
 * `CARAPACE_INSPECT=ws://HOST:PORT` streams the install actor's XState inspection events to a
 * WebSocket inspector (@statelyai/inspect's `createWebSocketInspector`), so people can watch
 * the statechart run in Stately's inspector; docs/operations.md has the steps.
 *
 * Cheap to import: @statelyai/inspect (ws, superjson, partysocket) loads on the first
 * inspection event, so commands that never start an install (`status`, `which`) pay nothing.
 */
import type { InspectionEvent, Observer } from 'xstate';
import { InstallError } from '../machines/errors.ts';
import type { Installer, InstallerDeps } from './types.ts';
import { redactorFor } from './redact.ts';

export interface InstallInspector {
  /** Give this to `createActor(..., { inspect })`, or to `createInstaller({ inspect })`. */
  inspect: Observer<InspectionEvent>;
  /**
   * Waits until the events seen so far have been handed to the socket, or `timeoutMs` passed
   * (an inspector that is not listening must not hold up an install).
   */
  flush(timeoutMs?: number): Promise<void>;
  stop(): void;
}

type Env = Record<string, string | undefined>;

/** The inspector URL from the environment, or null when inspection is off. */
export function inspectUrlFromEnv(env: Env): string | null {
  // Not an install setting (installer/settings.ts): it changes who watches, never what is installed.
  const raw = env.CARAPACE_INSPECT?.trim();
  if (!raw) return null;
  if (!/^wss?:\/\/[^/\s]+/.test(raw)) {
    throw new InstallError('invalid_config', `CARAPACE_INSPECT=${JSON.stringify(raw)} is not valid: expected ws://HOST:PORT`);
  }
  return raw;
}

const WITHHELD_KEYS = new Set(['env']);
const DROPPED_KEYS = new Set(['deps']);
const MAX_DEPTH = 12;

/**
 * A plain, acyclic copy of an inspection event without secrets. The machine's context and
 * every actor's input carry `settings.env`, the whole process environment (cloud keys,
 * tokens), which must never leave the process; `deps` holds functions. Strings go through
 * `text` (credentials in mirror URLs, secret values quoted in uv's output).
 */
export function redact(
  value: unknown,
  text: (s: string) => string = (s) => s,
  depth = 0,
  seen: WeakSet<object> = new WeakSet(),
): unknown {
  if (typeof value === 'string') return text(value);
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? undefined : value;
  // XState snapshots and actor refs define toJSON, which drops the machine and cycles, as JSON.stringify would.
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return redact(json.call(value), text, depth, seen);
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redact(item, text, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (DROPPED_KEYS.has(key)) continue;
      if (WITHHELD_KEYS.has(key) && item && typeof item === 'object') {
        out[key] = `[${Object.keys(item).length} variables withheld]`;
        continue;
      }
      const copy = redact(item, text, depth + 1, seen);
      if (copy !== undefined) out[key] = copy;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

type StatelyInspector = ReturnType<typeof import('@statelyai/inspect').createWebSocketInspector>;
// The adapter's socket and status are private in the types but are what tells a flush it is done.
type SocketState = { status?: string; ws?: { bufferedAmount?: number; readyState?: number } };

export function createInstallInspector(url: string, env: Env = process.env): InstallInspector {
  const text = redactorFor(env);
  let inspector: StatelyInspector | null = null;
  let stopped = false;
  let queued: InspectionEvent[] = [];
  let loading: Promise<void> | null = null;

  const load = () =>
    (loading ??= import('@statelyai/inspect').then(({ createWebSocketInspector }) => {
      if (stopped) return;
      inspector = createWebSocketInspector({ url, serialize: (event) => redact(event, text) as typeof event });
      const early = queued;
      queued = [];
      for (const event of early) inspector.inspect.next?.(event);
    }).catch(() => {
      // Watching is optional: an inspector that cannot load must never fail an install.
      stopped = true;
      queued = [];
    }));

  return {
    inspect: {
      next(event) {
        if (stopped) return;
        if (inspector) return void inspector.inspect.next?.(event);
        queued.push(event);
        void load();
      },
    },
    async flush(timeoutMs = 2_000) {
      if (!loading) return;
      const deadline = Date.now() + timeoutMs;
      await loading;
      // The inspector converts each event in a setTimeout(0); one more turn lets those run first.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const socket = (inspector?.adapter ?? {}) as unknown as SocketState;
      while (Date.now() < deadline) {
        if (socket.status === 'open' && (socket.ws?.bufferedAmount ?? 0) === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop() {
      stopped = true;
      queued = [];
      inspector?.stop();
    },
  };
}

/**
 * Builds an installer that reports to the inspector named by CARAPACE_INSPECT, if any. An
 * attempt's result is held back until its last events have left, because the CLI exits as
 * soon as it has the result.
 */
export function inspectedInstaller(env: Env, create: (deps: InstallerDeps) => Installer): Installer {
  const url = inspectUrlFromEnv(env);
  if (!url) return create({});
  const inspector = createInstallInspector(url, env);
  const base = create({ inspect: inspector.inspect });
  return {
    ...base,
    async ensureSkypilot(opts) {
      const output = await base.ensureSkypilot(opts);
      await inspector.flush();
      return output;
    },
  };
}
