/**
 * The event that ends an attempt's progress (issue 13, product contract: "an attempt's
 * progress ends with exactly one event of phase `complete` or `error`"). Built from the
 * attempt's output in one place, so the CLI's --json lines, SSE and subscribe() all end alike.
 */
import type { InstallOutput, InstallProgress } from '../machines/types.ts';

/** The attempt log named in an error's detail (install-log.ts `withLog` appends `log: <path>`). */
export function logPathOf(detail: string | null): string | null {
  return detail?.match(/^log: (.+)$/m)?.[1] ?? null;
}

export function finalProgress(output: InstallOutput): InstallProgress {
  if (output.ok) {
    return {
      phase: 'complete',
      message: 'SkyPilot ready',
      percent: null,
      sky_version: output.status.sky_version,
      sky_path: output.sky_path,
    };
  }
  const error = output.error;
  return {
    phase: 'error',
    message: error.message,
    percent: null,
    error: { ...error, log_path: logPathOf(error.detail) },
  };
}
