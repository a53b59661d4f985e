/**
 * Server-Sent Events by the WHATWG rules (html.spec.whatwg.org, "Server-sent events"): fields
 * are `name: value` lines, a blank line ends an event, a line starting with `:` is a comment.
 * An id or event name with CR or LF would split the frame, and an id with NUL is ignored by
 * browsers, so both are refused rather than sent. The stream closes in `finally`-style
 * cleanup whichever side ends it.
 */
const encoder = new TextEncoder();

export interface SSEFrame {
  id?: string;
  event?: string;
  data: string;
  retry?: number;
}

export function formatSSE(frame: SSEFrame): string {
  let out = '';
  if (frame.id !== undefined) {
    if (/[\r\n\0]/.test(frame.id)) throw new Error('an SSE id must not contain CR, LF or NUL');
    out += `id: ${frame.id}\n`;
  }
  if (frame.event !== undefined) {
    if (/[\r\n]/.test(frame.event)) throw new Error('an SSE event name must not contain CR or LF');
    out += `event: ${frame.event}\n`;
  }
  if (frame.retry !== undefined) out += `retry: ${Math.max(0, Math.floor(frame.retry))}\n`;
  // Each line of the data is its own `data:` field; the client joins them with LF again.
  for (const line of frame.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + '\n';
}

export function encodeSSE(frame: SSEFrame): Uint8Array {
  return encoder.encode(formatSSE(frame));
}

export interface SSESink {
  /** Queues bytes for the client; false once the stream is closed. */
  write(bytes: Uint8Array | string): boolean;
  close(): void;
  readonly closed: boolean;
}

export interface SSEOptions {
  signal?: AbortSignal;
  /** Comment lines keep proxies and idle timers from closing a quiet stream. */
  heartbeatMs: number;
  /** Reconnection delay the browser should use. */
  retryMs: number;
  headers?: Record<string, string>;
  /** A client this many chunks behind is dropped; it reconnects and is replayed from its last id. */
  maxQueuedChunks?: number;
  /** Called with the open sink; returns what to undo when the stream ends. */
  attach: (sink: SSESink) => () => void;
}

export function sseResponse(opts: SSEOptions): Response {
  const maxQueued = opts.maxQueuedChunks ?? 10_000;
  let finish: () => void = () => {};
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let closed = false;
        let detach: (() => void) | null = null;
        let heartbeat: ReturnType<typeof setInterval> | undefined;
        const sink: SSESink = {
          get closed() {
            return closed;
          },
          write(bytes) {
            if (closed) return false;
            if ((controller.desiredSize ?? 0) < -maxQueued) {
              finish();
              return false;
            }
            controller.enqueue(typeof bytes === 'string' ? encoder.encode(bytes) : bytes);
            return true;
          },
          close: () => finish(),
        };
        finish = () => {
          if (closed) return;
          closed = true;
          clearInterval(heartbeat);
          opts.signal?.removeEventListener('abort', finish);
          try {
            detach?.();
          } finally {
            detach = null;
            try {
              controller.close();
            } catch {
              // Already cancelled by the client.
            }
          }
        };
        if (opts.signal?.aborted) {
          closed = true;
          controller.close();
          return;
        }
        opts.signal?.addEventListener('abort', finish, { once: true });
        // The retry field goes first so headers and a first byte reach the client at once.
        sink.write(`retry: ${opts.retryMs}\n\n`);
        detach = opts.attach(sink);
        if (closed) {
          detach();
          return;
        }
        heartbeat = setInterval(() => sink.write(': heartbeat\n\n'), opts.heartbeatMs);
      },
      cancel() {
        finish();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(stream, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx and similar proxies buffer responses unless told not to.
      'x-accel-buffering': 'no',
      ...opts.headers,
    },
  });
}
