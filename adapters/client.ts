/**
 * A typed client for the gatekeeper, for the desktop UI and the tests. It runs in a browser
 * (EventSource, fetch) and in Bun or Node, where there is no EventSource: there the event
 * stream is read with fetch and the WHATWG parsing rules, resuming with Last-Event-ID the
 * same way a browser does. The wire types are the product contract's, in snake_case.
 */
import type {
  ClusterLogData,
  ErrorBody,
  InstallOutput,
  InstallStateData,
  InstallStatusAnswer,
  LaunchAnswer,
  ProgressData,
  StartAnswer,
} from './wire.ts';

export type { ClusterLogData, ErrorBody, InstallStateData, InstallStatusAnswer, LaunchAnswer, ProgressData, StartAnswer };
export { createSSEParser, type ParsedEvent } from './sse-parser.ts';
import { createSSEParser } from './sse-parser.ts';

/** An answer the client did not expect: a refusal (401, 403, 421), a bad request, a bug. */
export class GatekeeperError extends Error {
  constructor(
    readonly status: number,
    readonly error: ErrorBody,
  ) {
    super(`${status} ${error.code}: ${error.message}`);
    this.name = 'GatekeeperError';
  }
}

export interface SubscribeHandlers {
  onState?(data: InstallStateData, id: string): void;
  onProgress?(data: ProgressData, id: string): void;
  onClusterLog?(data: ClusterLogData, id: string): void;
  onOpen?(): void;
  /** A refused or failed connection; the subscription keeps retrying unless it is closed. */
  onError?(error: Error): void;
}

export interface Subscription {
  close(): void;
  /** The id of the last event delivered, which a new subscription can resume from. */
  readonly lastEventId: string | null;
}

interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}
type EventSourceConstructor = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

export interface ClientOptions {
  /** e.g. http://127.0.0.1:8787 */
  baseUrl: string;
  token?: string;
  fetch?: typeof fetch;
  /** Defaults to the global one where there is one; pass null to force the fetch reader. */
  EventSource?: EventSourceConstructor | null;
  /** Wait before reconnecting until the server sends `retry:`. */
  retryMs?: number;
}

export interface GatekeeperClient {
  getInstallStatus(opts?: { signal?: AbortSignal }): Promise<InstallStatusAnswer>;
  ensureSkypilot(opts?: { signal?: AbortSignal }): Promise<InstallOutput>;
  /** Starts or joins the attempt without waiting for it; its end comes on the event stream. */
  startInstall(opts?: { signal?: AbortSignal }): Promise<StartAnswer>;
  launchCluster(request: { cluster: string; task: string }, opts?: { signal?: AbortSignal }): Promise<LaunchAnswer>;
  subscribeInstallProgress(handlers: SubscribeHandlers, opts?: { lastEventId?: string | null }): Subscription;
}

const EVENT_NAMES = ['install-state', 'install-progress', 'cluster-log'] as const;

export function createClient(opts: ClientOptions): GatekeeperClient {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};

  async function call(method: string, path: string, body: unknown, signal: AbortSignal | undefined, accept: number[]) {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: { accept: 'application/json', ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new GatekeeperError(res.status, { code: 'bad_response', phase: null, message: text.slice(0, 200), hint: '', detail: null });
    }
    if (accept.includes(res.status)) return { status: res.status, body: parsed };
    const error = (parsed as { error?: ErrorBody }).error;
    throw new GatekeeperError(res.status, error ?? { code: 'bad_response', phase: null, message: text.slice(0, 200), hint: '', detail: null });
  }

  function dispatch(handlers: SubscribeHandlers, type: string, data: string, id: string) {
    const value = JSON.parse(data);
    if (type === 'install-state') handlers.onState?.(value, id);
    else if (type === 'install-progress') handlers.onProgress?.(value, id);
    else if (type === 'cluster-log') handlers.onClusterLog?.(value, id);
  }

  function eventsUrl(lastEventId: string | null): string {
    const params = new URLSearchParams();
    if (lastEventId !== null) params.set('last_event_id', lastEventId);
    if (opts.token) params.set('token', opts.token);
    const query = params.toString();
    return `${base}/cluster/events${query ? `?${query}` : ''}`;
  }

  return {
    async getInstallStatus(o = {}) {
      return (await call('GET', '/cluster/install-status', undefined, o.signal, [200])).body as InstallStatusAnswer;
    },
    async ensureSkypilot(o = {}) {
      return (await call('POST', '/cluster/ensure-skypilot', undefined, o.signal, [200, 503])).body as InstallOutput;
    },
    async startInstall(o = {}) {
      return (await call('POST', '/cluster/ensure-skypilot', { wait: false }, o.signal, [200, 202, 503])).body as StartAnswer;
    },
    async launchCluster(request, o = {}) {
      const { status, body } = await call('POST', '/cluster/launch', request, o.signal, [200, 409, 412, 502, 503]);
      const answer = body as { ok: boolean; error?: ErrorBody };
      return answer.ok ? (body as LaunchAnswer) : { ok: false, status, error: answer.error! };
    },
    subscribeInstallProgress(handlers, o = {}) {
      const Source = opts.EventSource === undefined ? (globalThis as { EventSource?: EventSourceConstructor }).EventSource : opts.EventSource;
      return Source
        ? subscribeWithEventSource(Source, handlers, o.lastEventId ?? null)
        : subscribeWithFetch(handlers, o.lastEventId ?? null);
    },
  };

  function subscribeWithEventSource(Source: EventSourceConstructor, handlers: SubscribeHandlers, from: string | null): Subscription {
    let lastEventId = from;
    let closed = false;
    let source: EventSourceLike | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      // A browser resumes by itself with Last-Event-ID; a new EventSource carries it in the query.
      source = new Source(eventsUrl(lastEventId), { withCredentials: true });
      source.addEventListener('open', () => handlers.onOpen?.());
      for (const name of EVENT_NAMES) {
        source.addEventListener(name, (event) => {
          if (event.lastEventId) lastEventId = event.lastEventId;
          dispatch(handlers, name, String(event.data), event.lastEventId);
        });
      }
      source.addEventListener('error', () => {
        handlers.onError?.(new Error('the event stream was interrupted'));
        // CLOSED means the browser gave up (a refusal or a non-stream answer): start afresh later.
        if (source?.readyState === 2 && !closed) timer = setTimeout(open, opts.retryMs ?? 2_000);
      });
    };
    open();
    return {
      close() {
        closed = true;
        clearTimeout(timer);
        source?.close();
      },
      get lastEventId() {
        return lastEventId;
      },
    };
  }

  function subscribeWithFetch(handlers: SubscribeHandlers, from: string | null): Subscription {
    let lastEventId = from;
    let retryMs = opts.retryMs ?? 2_000;
    const controller = new AbortController();
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        controller.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    void (async () => {
      while (!controller.signal.aborted) {
        try {
          const res = await doFetch(`${base}/cluster/events`, {
            headers: { accept: 'text/event-stream', ...auth, ...(lastEventId !== null ? { 'last-event-id': lastEventId } : {}) },
            signal: controller.signal,
          });
          if (res.status !== 200 || !res.body) {
            const body = await res.json().catch(() => ({}));
            const error = (body as { error?: ErrorBody }).error;
            throw new GatekeeperError(res.status, error ?? { code: 'bad_response', phase: null, message: `status ${res.status}`, hint: '', detail: null });
          }
          handlers.onOpen?.();
          const parser = createSSEParser({
            onEvent: (event) => {
              if (event.id !== null) lastEventId = event.id;
              dispatch(handlers, event.type, event.data, event.id ?? '');
            },
            onRetry: (ms) => (retryMs = ms),
          });
          const decoder = new TextDecoder();
          const reader = res.body.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            parser.feed(decoder.decode(value, { stream: true }));
          }
        } catch (error) {
          if (controller.signal.aborted) return;
          handlers.onError?.(error instanceof Error ? error : new Error(String(error)));
        }
        await sleep(retryMs);
      }
    })();
    return {
      close: () => controller.abort(),
      get lastEventId() {
        return lastEventId;
      },
    };
  }
}
