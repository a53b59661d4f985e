import { getInstallStatus, statusSettingsFromEnv, type InstallStatus } from '../../../installer/status.ts';
import type { CommandIO } from '../io.ts';

export function formatStatus(status: InstallStatus): string {
  const yes = (ok: boolean, version: string | null) => (ok ? `installed (${version ?? 'unknown version'})` : 'not installed');
  return [
    `CARAPACE_HOME  ${status.carapace_home}`,
    `uv             ${yes(status.uv_installed, status.uv_version)}`,
    `SkyPilot       ${status.sky_problem ? `not usable: ${status.sky_problem} (run \`carapace-sky install\` to repair)` : yes(status.sky_installed, status.sky_version)}`,
  ].join('\n') + '\n';
}

/** `status [--json]`: what is installed, read from disk; never installs anything. */
export async function status(io: CommandIO, opts: { json: boolean }): Promise<void> {
  const current = await getInstallStatus(statusSettingsFromEnv(io.env));
  io.stdout.write(opts.json ? JSON.stringify(current) + '\n' : formatStatus(current));
}
