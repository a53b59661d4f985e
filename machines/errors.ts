/**
 * Every failure the installer reports, in one place. Actors throw `InstallError` for what
 * they understand; anything else is normalised here once (`toInstallErrorData`), so the
 * machine, the CLI and the HTTP service all see `{ code, phase, message, hint, detail }`.
 * docs/errors.md lists the same codes and hints; a test keeps the two in step.
 */
import type { InstallErrorCode, InstallErrorData, InstallPhase } from './types.ts';

export const HINTS: Record<InstallErrorCode, string> = {
  unsupported_platform:
    'uv publishes builds for x86_64 and aarch64 Linux and macOS only; install SkyPilot by hand on this machine.',
  network:
    'Check the internet connection, or set HTTPS_PROXY / CARAPACE_UV_DOWNLOAD_BASE to a reachable mirror, then retry.',
  http_status:
    'The download server refused the request; check CARAPACE_UV_VERSION and CARAPACE_UV_DOWNLOAD_BASE, or retry later.',
  checksum_mismatch:
    'The download was altered or corrupted; retry, and if it persists check your proxy or mirror (or CARAPACE_UV_SHA256).',
  checksum_unavailable:
    'No trusted digest for this uv version: set CARAPACE_UV_SHA256, or use a mirror that serves the .sha256 file.',
  size_mismatch:
    'The connection ended before the whole file arrived; retry on a steadier connection.',
  archive_invalid:
    'The uv archive is not a valid uv release; check CARAPACE_UV_DOWNLOAD_BASE points at a real uv mirror.',
  archive_corrupt:
    'The uv archive arrived damaged (it is not valid gzip or ends mid-file); retry, and check your proxy or mirror if it persists.',
  tls_certificate:
    'The server certificate is not trusted; behind a TLS-inspecting proxy, point SSL_CERT_FILE or NODE_EXTRA_CA_CERTS at its CA bundle.',
  proxy:
    'The proxy refused or could not be reached: put its credentials in HTTPS_PROXY / HTTP_PROXY (http://user:password@host:port), fix its address, ask its administrator to allow the host, or list the host in NO_PROXY.',
  disk_full: 'Free some disk space where CARAPACE_HOME lives (or point CARAPACE_HOME elsewhere), then retry.',
  permission_denied:
    'CARAPACE_HOME is not writable by this user; fix its ownership or set CARAPACE_HOME to a folder you own.',
  uv_install_failed:
    'uv could not install SkyPilot; read the detail, check UV_DEFAULT_INDEX / proxy settings, then retry.',
  verify_failed:
    "SkyPilot's `sky --version` or pip in its environment did not work; a new build is not made current (a working one stays in place). Run `carapace-sky install` again to repair it, and read the detail if it fails again.",
  timeout: 'The step took too long; retry on a faster connection, or raise the matching CARAPACE_*_TIMEOUT.',
  cancelled: 'The install was cancelled; start it again when ready.',
  locked: 'Another install is using CARAPACE_HOME; wait for it to finish and retry (a stale lock is taken over automatically).',
  invalid_config: 'Fix the named setting (environment variable or flag) and run again; docs/configuration.md lists them.',
  home_not_trusted:
    'Another user owns or can write this path, so nothing in it is run; make it yours and private (chown -R $USER, chmod go-w, setfacl -b for an ACL) or set CARAPACE_HOME to a folder you own.',
  nothing_to_roll_back:
    'There is no previous SkyPilot to go back to: rollback works after an upgrade or a repair; run `carapace-sky upgrade` or `install` instead.',
  internal: 'This is a bug in carapace-skypilot; please report it with the detail below.',
};

/** An error an actor understands. The machine adds the phase it happened in. */
export class InstallError extends Error {
  readonly code: InstallErrorCode;
  readonly hint: string;
  readonly detail: string | null;
  phase: InstallPhase | null;

  constructor(
    code: InstallErrorCode,
    message: string,
    opts: { detail?: string | null; hint?: string; phase?: InstallPhase; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'InstallError';
    this.code = code;
    this.hint = opts.hint ?? HINTS[code];
    this.detail = opts.detail ?? null;
    this.phase = opts.phase ?? null;
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ConnectionRefused',
  'ConnectionClosed',
  'FailedToOpenSocket',
]);

function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** Maps an error from the runtime (fs, fetch, abort) to a code, or null when unknown. */
export function classifyError(error: unknown): InstallErrorCode | null {
  if (error instanceof InstallError) return error.code;
  const code = errnoCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'disk_full';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'permission_denied';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code && NETWORK_CODES.has(code)) return 'network';
  const name = error instanceof Error ? error.name : undefined;
  if (name === 'AbortError') return 'cancelled';
  if (name === 'TimeoutError') return 'timeout';
  return null;
}

/**
 * uv reports a file-system failure as the io::Error it got, which Rust prints as
 * `<strerror> (os error <errno>)`: ENOSPC is 28, EDQUOT 122 on Linux and 69 on macOS.
 */
const OUT_OF_SPACE = /No space left on device|Disk quota exceeded|\(os error 28\)/i;

/** The code for a failed `uv tool install`, from its stderr. */
export function uvInstallFailureCode(stderr: string): 'disk_full' | 'uv_install_failed' {
  return OUT_OF_SPACE.test(stderr) ? 'disk_full' : 'uv_install_failed';
}

/** The one place where anything thrown becomes the wire shape. */
export function toInstallErrorData(error: unknown, phase: InstallPhase): InstallErrorData {
  if (error instanceof InstallError) {
    return {
      code: error.code,
      phase: error.phase ?? phase,
      message: error.message,
      hint: error.hint,
      detail: error.detail,
    };
  }
  const code = classifyError(error) ?? 'internal';
  const message = error instanceof Error ? error.message : String(error);
  const path = typeof error === 'object' && error !== null && 'path' in error ? error.path : undefined;
  return {
    code,
    phase,
    message: typeof path === 'string' && !message.includes(path) ? `${message} (${path})` : message,
    hint: HINTS[code],
    detail: code === 'internal' && error instanceof Error ? (error.stack ?? null) : null,
  };
}

/** Keeps the end of a long output: the last lines are where tools say what went wrong. */
export function tail(text: string, maxLines = 20, maxChars = 4000): string {
  const lines = text.trimEnd().split('\n');
  const kept = lines.slice(-maxLines).join('\n');
  return kept.length > maxChars ? kept.slice(-maxChars) : kept;
}
