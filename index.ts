/**
 * @module carapace-skypilot
 * Installs uv and SkyPilot under CARAPACE_HOME on first use. `ensureSkypilot()` starts or
 * joins the one install attempt of this process; `subscribe()` sees its every step.
 */
export { createInstaller, installer, type Installer, type InstallerDeps, type InstallerEvent } from './installer/installer.ts';
export { skyBinary } from './installer/sky-binary.ts';
/** Status read from disk, without starting uv or Python: cheap enough to call per request. */
export { getInstallStatus } from './actors/check.ts';
export { settingsFromEnv } from './installer/settings.ts';
export { installMachine } from './machines/install.ts';
export { InstallError, HINTS } from './machines/errors.ts';
export type {
  InstallErrorCode,
  InstallErrorData,
  InstallOutput,
  InstallPhase,
  InstallProgress,
  InstallSettings,
  InstallStatus,
} from './machines/types.ts';

import { installer } from './installer/installer.ts';
import type { EnsureOptions } from './installer/installer.ts';

/** Ensures SkyPilot with the process-wide installer. */
export function ensureSkypilot(opts?: EnsureOptions) {
  return installer().ensureSkypilot(opts);
}
