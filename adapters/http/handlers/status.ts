import type { RouteContext } from '../context.ts';
import type { InstallStatusAnswer } from '../../wire.ts';
import { json } from '../errors.ts';

/** GET /cluster/install-status: InstallStatus plus the phase of the running attempt. */
export async function installStatus(ctx: RouteContext): Promise<Response> {
  const status = await ctx.installer.getStatus();
  const answer: InstallStatusAnswer = { ...status, phase: ctx.installer.phase() };
  return json(answer);
}
