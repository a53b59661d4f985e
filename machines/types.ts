/**
 * The data model shared by the machine, the actors and every adapter. Field names are
 * snake_case because they go on the wire unchanged (JSON output, HTTP, SSE).
 */

export const INSTALL_PHASES = [
  'checking',
  'downloading_uv',
  'installing_skypilot',
  'verifying',
  'complete',
  'error',
] as const;
export type InstallPhase = (typeof INSTALL_PHASES)[number];

/** Phases that do work; `complete` and `error` are where attempts end. */
export type WorkPhase = Exclude<InstallPhase, 'complete' | 'error'>;

/** What the progress says on entering each phase (the machine, and installer/already-installed.ts). */
export const PHASE_MESSAGES: Record<WorkPhase, string> = {
  checking: 'Checking for SkyPilot...',
  downloading_uv: 'Downloading uv...',
  installing_skypilot: 'Installing SkyPilot...',
  verifying: 'Verifying SkyPilot...',
};

export interface InstallProgress {
  phase: InstallPhase;
  message: string;
  /** A number only in `downloading_uv` when the archive size is known, else null. */
  percent: number | null;
  bytes_done?: number;
  bytes_total?: number | null;
  bytes_per_second?: number;
  eta_seconds?: number | null;
  /** Seconds since the phase began, in phases that can run long without other news. */
  elapsed_seconds?: number;
  /** Only on the `complete` event that ends an attempt. */
  sky_version?: string | null;
  sky_path?: string;
  /** Only on the `error` event that ends an attempt. */
  error?: InstallErrorData & { log_path: string | null };
}

export interface InstallStatus {
  uv_installed: boolean;
  uv_version: string | null;
  sky_installed: boolean;
  sky_version: string | null;
  carapace_home: string;
  /** Present only when a SkyPilot install exists but cannot run (why, e.g. a dangling link). */
  sky_problem?: string;
}

/** What `checking` learns besides the public status: paths and why sky is not usable. */
export interface CheckResult {
  status: InstallStatus;
  uv_path: string | null;
  sky_path: string | null;
  /** Set when a tool environment exists but cannot run, so the install must replace it. */
  sky_problem: string | null;
  /** Set when SkyPilot runs but was installed for another spec or Python than the settings ask for. */
  sky_outdated: string | null;
}

export interface InstallSettings {
  /** Absolute CARAPACE_HOME. */
  home: string;
  uv_version: string;
  /** Download bases, tried in order; the archive is `<base>/<version>/uv-<triple>.tar.gz`. */
  download_bases: string[];
  /** An explicit digest for the archive; beats the built-in table and the sidecar. */
  uv_sha256: string | null;
  skypilot_spec: string;
  python: string;
  download_retries: number;
  connect_timeout_ms: number;
  stall_timeout_ms: number;
  install_timeout_ms: number;
  verify_timeout_ms: number;
  /** curl's low-speed rule for the uv download: bytes/s, and the window in ms; 0 is off. */
  low_speed_limit: number;
  low_speed_time_ms: number;
  /** Environment handed to uv and used for proxy and CA settings. */
  env: Record<string, string | undefined>;
}

/** What a status check needs: where to look, what SkyPilot is called, and uv's environment on a cache miss. */
export type StatusSettings = Pick<InstallSettings, 'home' | 'skypilot_spec' | 'env'>;

export type InstallErrorCode =
  | 'unsupported_platform'
  | 'network'
  | 'http_status'
  | 'checksum_mismatch'
  | 'checksum_unavailable'
  | 'size_mismatch'
  | 'archive_invalid'
  | 'archive_corrupt'
  | 'tls_certificate'
  | 'proxy'
  | 'disk_full'
  | 'permission_denied'
  | 'uv_install_failed'
  | 'verify_failed'
  | 'timeout'
  | 'cancelled'
  | 'locked'
  | 'invalid_config'
  | 'home_not_trusted'
  | 'nothing_to_roll_back'
  | 'internal';

export interface InstallErrorData {
  code: InstallErrorCode;
  phase: InstallPhase;
  message: string;
  hint: string;
  detail: string | null;
}

export type InstallOutput =
  | { ok: true; sky_path: string; status: InstallStatus }
  | { ok: false; error: InstallErrorData };
