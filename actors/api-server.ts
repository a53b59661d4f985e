/**
 * SkyPilot's local API server follows the install: recent SkyPilot starts one in the background
 * (127.0.0.1:46580) on the first command that needs it, and it keeps the code it loaded until
 * it stops. After an upgrade, a repair or a rollback the old server would answer with the old
 * version (skypilot-org/skypilot #4878, #5311); before an uninstall it would run from files that
 * are about to go; credentials added while it runs are seen only after a restart. So each of
 * those stops it with `sky api stop` (the next sky command starts the new one). Stopping is
 * bounded in time and never fails the operation: a failure is a warning for the log and the
 * progress stream (uv-skypilot-facts.md: the server can be slow on a loaded machine).
 */
import { InstallError, tail } from '../machines/errors.ts';
import { runProcess } from './process.ts';

export interface StopApiServerInput {
  /** The managed `sky` to run. */
  sky: string;
  env: Record<string, string | undefined>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface StopApiServerOutput {
  /** `sky api stop` exited 0 (whether or not a server was running). */
  stopped: boolean;
  /** Why it could not be stopped, for the log and the progress stream; null when it was. */
  warning: string | null;
}

export const API_STOP_TIMEOUT_MS = 30_000;

export async function stopApiServer(input: StopApiServerInput): Promise<StopApiServerOutput> {
  try {
    const result = await runProcess(input.sky, ['api', 'stop'], {
      env: input.env,
      timeoutMs: input.timeoutMs ?? API_STOP_TIMEOUT_MS,
      label: 'sky api stop',
      ...(input.signal ? { signal: input.signal } : {}),
    });
    if (result.exitCode === 0) return { stopped: true, warning: null };
    const said = tail(`${result.stderr}\n${result.stdout}`).trim().split('\n').pop() ?? '';
    return { stopped: false, warning: `sky api stop exited with ${result.exitCode}${said ? `: ${said}` : ''}; a running SkyPilot API server may still serve the previous version (run \`sky api stop\`)` };
  } catch (error) {
    // A cancel is the caller's decision, not a problem of the server: it ends the operation.
    if (error instanceof InstallError && error.code === 'cancelled') throw error;
    const message = error instanceof Error ? error.message : String(error);
    return { stopped: false, warning: `sky api stop failed: ${message}; a running SkyPilot API server may still serve the previous version (run \`sky api stop\`)` };
  }
}
