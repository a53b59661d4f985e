/**
 * @module carapace-skypilot
 * Installs uv and SkyPilot under CARAPACE_HOME on first use. `ensureSkypilot()` starts or
 * joins the one install attempt of this process; `subscribe()` sees its every step.
 */
export {
  createInstaller,
  installer,
  skyBinary,
  settingsFromEnv,
  installMachine,
  InstallError,
  HINTS,
  type Installer,
  type InstallerDeps,
  type InstallerEvent,
} from './installer/index.ts';
/** Status read from disk, without starting uv or Python: cheap enough to call per request. */
export { getInstallStatus } from './installer/index.ts';
export type {
  InstallErrorCode,
  InstallErrorData,
  InstallOutput,
  InstallPhase,
  InstallProgress,
  InstallSettings,
  InstallStatus,
} from './installer/index.ts';

import { installer, type EnsureOptions } from './installer/index.ts';

/** Ensures SkyPilot with the process-wide installer. */
export function ensureSkypilot(opts?: EnsureOptions) {
  return installer().ensureSkypilot(opts);
}
