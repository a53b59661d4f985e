import { readJson } from '../body.ts';
import type { RouteContext } from '../context.ts';
import { json } from '../errors.ts';

/**
 * POST /cluster/ensure-skypilot: joins the one attempt and answers when it ends. The caller's
 * signal is not passed on: a dropped connection must not cancel a 100 MB install that other
 * callers, or the same app after a reconnect, are waiting for; progress stays on the stream.
 */
export async function ensureSkypilot(ctx: RouteContext): Promise<Response> {
  await readJson(ctx.req);
  ctx.keepOpen();
  const output = await ctx.installer.ensureSkypilot();
  return json(output, output.ok ? 200 : 503);
}
