/**
 * The install machine's context, events, input and the shapes its actors take and give
 * (machines/install.ts), apart so actors can name them without loading the machine.
 */
import type { CheckResult, InstallErrorData, InstallProgress, InstallSettings, InstallStatus } from './types.ts';

/** What actors may report while they work; the machine stamps the phase. */
export type ProgressReport = Omit<InstallProgress, 'phase'>;
export type Report = (progress: ProgressReport) => void;

/** Capabilities the actors use instead of globals, so tests can replace them. */
export interface InstallDeps {
  fetch: typeof fetch;
  now: () => number;
}

/** `install` makes SkyPilot available; `upgrade` also moves an installed one (and uv) to the newest allowed. */
export type InstallMode = 'install' | 'upgrade';

export interface InstallInput {
  settings: InstallSettings;
  deps: InstallDeps;
  /** `install` when absent. */
  mode?: InstallMode;
}

export interface InstallContext extends InstallInput {
  check: CheckResult | null;
  uv_path: string | null;
  status: InstallStatus | null;
  sky_path: string | null;
  /** The environment `installing_skypilot` built, until `verifying` makes it current. */
  staged: StagedGeneration | null;
  progress: InstallProgress | null;
  error: InstallErrorData | null;
}

export type InstallEvent =
  | { type: 'install.progress'; progress: InstallProgress }
  | { type: 'install.cancel'; reason?: string }
  /**
   * Another installer holds the lock; the message names it ("waiting for another installer
   * (pid N)"). Repeated each second while the wait lasts, with the seconds since it began.
   */
  | { type: 'lock.wait'; message: string; elapsed_seconds?: number }
  /** Another process took the lock over while this attempt held it. */
  | { type: 'lock.lost' };

export type InstallEmitted = { type: 'progress'; progress: InstallProgress };

export interface LockInput extends InstallInput {
  onWait: (message: string, elapsedSeconds?: number) => void;
  onLost: () => void;
}

export interface ActorInput extends InstallInput {
  report: Report;
}
export interface DownloadUvOutput {
  uv_path: string;
  uv_version: string;
}
export interface InstallSkypilotInput extends ActorInput {
  uv_path: string;
  /** Replace whatever is there: a broken environment or a stray `sky` link. */
  force: boolean;
  /** Upgrading a working install (the build is the same; the log says why). */
  upgrade?: boolean;
}
/** A tool environment built beside the current one, not yet current (actors/generations.ts). */
export interface StagedGeneration {
  generation: string;
  /** The new environment, for the pip check. */
  env_dir: string;
  /** Its `sky`, for `sky --version` before it becomes current. */
  sky_path: string;
}
export interface ActivateInput extends ActorInput {
  staged: StagedGeneration;
}
export interface ActivateOutput {
  /** The stable `tools/bin/sky`, now reaching the new environment. */
  sky_path: string;
  /** The generation it replaced, kept for `rollback`; null on a first install. */
  previous: string | null;
}
/** What `verifying` checks: by default the current tool environment and `tools/bin/sky`. */
export interface VerifyInput extends ActorInput {
  /** The tool environment folder whose `bin/python -m pip` must run (a new generation, say); default UV_TOOL_DIR/<package>. */
  env_dir?: string;
  /** The `sky` whose `--version` must run; default the layout's `tools/bin/sky`. */
  sky_path?: string;
}
export interface VerifyOutput {
  sky_path: string;
  sky_version: string;
}
