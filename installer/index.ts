/**
 * The core's entry: every operation a user can ask for (install, upgrade or repair,
 * rollback, uninstall, doctor, running sky) and the settings they read. Adapters (CLI, HTTP, graph)
 * import this module or the light installer/status.ts, never the files behind them
 * (test/layers.test.ts holds that rule).
 */
export * from './status.ts';
export { settingsFromEnv } from './settings.ts';
export { skyBinary } from './sky-binary.ts';
export { InstallError, HINTS, tail, toInstallErrorData } from '../machines/errors.ts';
export { createInstaller, installer } from './installer.ts';
export type { EnsureOptions, Installer, InstallerDeps, InstallerEvent, InstallerListener } from './types.ts';
export { inspectedInstaller } from './inspector.ts';
export { gatekeeperSettingsFromEnv, type GatekeeperSettings } from './settings.ts';
export { createSkyRunner, type SkyRunner, type SkyStream } from './sky-runner.ts';
export { uninstallSkypilot, type UninstallOutput } from './uninstall.ts';
export { rollbackSkypilot, type RollbackOutput } from './rollback.ts';
export { diagnose, type Finding, type Level } from './doctor.ts';
export { installMachine } from '../machines/install.ts';
export { redactorFor } from './redact.ts';
export { redactError } from './attempt.ts';
export { snapshotTask, TaskFileError, type TaskSnapshot } from './task-file.ts';
