import { readJson } from '../body.ts';
import type { RouteContext } from '../context.ts';
import { HttpError, json } from '../errors.ts';

/** `{"wait": false}` answers at once; anything else but a boolean there is a mistake worth saying. */
function waitOf(body: unknown): boolean {
  if (body === undefined) return true;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'invalid_request', 'the body must be a JSON object or empty', { hint: 'Send {} or {"wait": false}.' });
  }
  const wait = (body as { wait?: unknown }).wait;
  if (wait === undefined) return true;
  if (typeof wait !== 'boolean') {
    throw new HttpError(400, 'invalid_request', `"wait" must be true or false, got ${JSON.stringify(wait)}`, { hint: 'Send {"wait": false} to start without waiting.' });
  }
  return wait;
}

/**
 * POST /cluster/ensure-skypilot: joins the one attempt and answers when it ends. The caller's
 * signal is not passed on: a dropped connection must not cancel a 100 MB install that other
 * callers, or the same app after a reconnect, are waiting for; progress stays on the stream.
 *
 * With `{"wait": false}` it starts or joins the attempt and answers 202 with its phase at once,
 * so an app can begin the install when the user opens its cloud page; the end comes on the
 * event stream (the `complete` or `error` progress event) or from a later waiting call.
 */
export async function ensureSkypilot(ctx: RouteContext): Promise<Response> {
  const wait = waitOf(await readJson(ctx.req));
  if (wait) ctx.keepOpen();
  const result = ctx.installer.ensureSkypilot();
  const phase = ctx.installer.phase();
  // No phase right after starting means the attempt already ended (settings it cannot read):
  // its outcome is at hand, so say it rather than "accepted".
  if (wait || phase === null) {
    const output = await result;
    return json(output, output.ok ? 200 : 503);
  }
  void result;
  return json({ ok: true, accepted: true, phase }, 202);
}
