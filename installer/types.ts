/**
 * The installer's public shapes, apart from installer.ts so that the attempt coordinator and
 * the inspector hook can name them without importing the installer (which imports them).
 */
import type { InspectionEvent, Observer } from 'xstate';
import type { CheckResult, InstallOutput, InstallPhase, InstallProgress, InstallSettings, InstallStatus } from '../machines/types.ts';
import type {
  ActivateInput,
  ActivateOutput,
  ActorInput,
  DownloadUvOutput,
  InstallInput,
  InstallSkypilotInput,
  LockInput,
  StagedGeneration,
  VerifyInput,
  VerifyOutput,
} from '../machines/install.ts';
import type { DiskWatch } from './disk-watch.ts';
import type { LockOptions } from './lock.ts';

export type InstallerEvent =
  | { type: 'install-progress'; attempt: number; progress: InstallProgress }
  | { type: 'install-state'; attempt: number; from: InstallPhase | null; to: InstallPhase; time: string };

export type InstallerListener = (event: InstallerEvent) => void;

export type Work<I, O> = (input: I, signal: AbortSignal) => Promise<O>;

/** The side effects, replaceable one by one in tests. */
export interface InstallerActors {
  /** Takes the cross-process install lock; a no-op unless the attempt is coordinated. */
  lock: Work<LockInput, void>;
  check: Work<InstallInput, CheckResult>;
  downloadUv: Work<ActorInput, DownloadUvOutput>;
  installSkypilot: Work<InstallSkypilotInput, StagedGeneration>;
  verify: Work<VerifyInput, VerifyOutput>;
  /** Makes the verified generation current (and stops a running local API server). */
  activate: Work<ActivateInput, ActivateOutput>;
}

export interface InstallerDeps {
  /** Read at the start of every attempt, so a changed environment applies to the next one. */
  settings?: InstallSettings | (() => InstallSettings);
  fetch?: typeof fetch;
  now?: () => number;
  actors?: Partial<InstallerActors>;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * The cross-process lock, staging clean-up, attempt log and last-attempt record under
   * CARAPACE_HOME. On by default; off by default when `actors` are replaced, since fake
   * actors have no real home to coordinate (a test can still turn it on).
   */
  coordinate?: boolean;
  /**
   * How the status memo learns of changes on disk (installer/disk-watch.ts); a function
   * returning null makes it stat every path on each call instead. Inotify by default.
   */
  watchDisk?: () => DiskWatch | null;
  /** Lock timings, for tests. */
  lock?: Pick<LockOptions, 'heartbeatMs' | 'staleMs' | 'pollMs' | 'confirmMs'>;
}

export interface EnsureOptions {
  /** Stops waiting; the attempt itself is cancelled when no other caller still waits. */
  signal?: AbortSignal;
}

export interface Installer {
  ensureSkypilot(opts?: EnsureOptions): Promise<InstallOutput>;
  /** Upgrades uv (when the pinned version changed) and SkyPilot; installs or repairs what is missing or broken. */
  upgrade(opts?: EnsureOptions): Promise<InstallOutput>;
  subscribe(listener: InstallerListener): () => void;
  getStatus(): Promise<InstallStatus>;
  /** The phase of the running attempt, or null when none runs. */
  phase(): InstallPhase | null;
  /** Cancels the running attempt; resolves once it has ended and cleaned up. */
  cancel(reason?: string): Promise<void>;
  settings(): InstallSettings;
  /** Releases what getStatus keeps open between calls (the status memo's watch); a later call opens it again. */
  close(): void;
}

