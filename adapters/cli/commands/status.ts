import { getInstallStatus, statusSettingsFromEnv, type InstallErrorData, type InstallStatus } from '../../../installer/status.ts';
import type { CommandIO } from '../io.ts';

/** `status --json` when the status cannot be read: nothing counts as installed, and why. */
export type StatusFailure = InstallStatus & { error: InstallErrorData };

export function formatStatus(status: InstallStatus): string {
  const yes = (ok: boolean, version: string | null) => (ok ? `installed (${version ?? 'unknown version'})` : 'not installed');
  return [
    `CARAPACE_HOME  ${status.carapace_home}`,
    `uv             ${yes(status.uv_installed, status.uv_version)}`,
    `SkyPilot       ${status.sky_problem ? `not usable: ${status.sky_problem} (run \`carapace-sky install\` to repair)` : yes(status.sky_installed, status.sky_version)}`,
  ].join('\n') + '\n';
}

/**
 * The one JSON object a failed `status --json` prints (a home another user controls, for
 * example). The core's error helpers are loaded here only: status is asked often and
 * benchmarked, and a status that succeeds never needs them.
 */
async function failure(error: unknown, home: string, env: Record<string, string | undefined>): Promise<StatusFailure> {
  const { redactError, redactorFor, toInstallErrorData } = await import('../../../installer/index.ts');
  const data = redactError(toInstallErrorData(error, 'checking'), redactorFor(env));
  return { uv_installed: false, uv_version: null, sky_installed: false, sky_version: null, carapace_home: home, error: data };
}

/** `status [--json]`: what is installed, read from disk; never installs anything. */
export async function status(io: CommandIO, opts: { json: boolean }): Promise<void> {
  const settings = statusSettingsFromEnv(io.env);
  let current: InstallStatus;
  try {
    current = await getInstallStatus(settings);
  } catch (error) {
    // Exactly one object on stdout, as on success; the person reading stderr gets the error
    // as every command prints it, and the exit code says it failed.
    if (opts.json) io.stdout.write(JSON.stringify(await failure(error, settings.home, io.env)) + '\n');
    throw error;
  }
  io.stdout.write(opts.json ? JSON.stringify(current) + '\n' : formatStatus(current));
}
