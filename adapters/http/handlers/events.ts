import type { RouteContext } from '../context.ts';
import { sseResponse } from '../sse.ts';

/**
 * GET /cluster/events. A browser's EventSource sends Last-Event-ID when it reconnects; a new
 * EventSource cannot set headers, so `?last_event_id=` does the same for a client that
 * resumes with a fresh one.
 */
export function events(ctx: RouteContext): Response {
  ctx.keepOpen();
  const lastEventId = ctx.req.headers.get('last-event-id') ?? ctx.url.searchParams.get('last_event_id');
  return sseResponse({
    signal: ctx.req.signal,
    heartbeatMs: ctx.stream.heartbeatMs,
    retryMs: ctx.stream.retryMs,
    attach: (sink) => ctx.events.attach(sink, lastEventId),
  });
}
