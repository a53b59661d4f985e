import type { RouteContext } from '../context.ts';
import type { InstallPhase, InstallStatus } from '../../../installer/status.ts';
import type { InstallStatusAnswer } from '../../wire.ts';
import { jsonText } from '../errors.ts';

/**
 * The body for each status object the installer returned, by phase. The status memo returns the
 * same object while the disk is unchanged, so the same object means the same answer, and
 * serialising it again would be most of what such a request costs after the memo's one poll(2).
 */
const bodies = new WeakMap<InstallStatus, { phase: InstallPhase | null; body: string }>();

/** GET /cluster/install-status: InstallStatus plus the phase of the running attempt. */
export async function installStatus(ctx: RouteContext): Promise<Response> {
  const status = await ctx.installer.getStatus();
  const phase = ctx.installer.phase();
  let known = bodies.get(status);
  if (known?.phase !== phase) {
    const answer: InstallStatusAnswer = { ...status, phase };
    known = { phase, body: JSON.stringify(answer) };
    bodies.set(status, known);
  }
  return jsonText(known.body);
}
