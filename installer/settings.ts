/**
 * Install settings from the environment (and CLI flags that mirror it), validated once so a typo
 * fails before any download with a message that names the variable.
 */
import { InstallError } from '../machines/errors.ts';
import type { InstallSettings } from '../machines/types.ts';
import { resolveHome, skypilotSpecFrom } from './status-settings.ts';

export const DEFAULT_UV_VERSION = '0.10.2';
export const DEFAULT_PYTHON = '3.12';

const GITHUB_BASE = 'https://github.com/astral-sh/uv/releases/download';
const ASTRAL_BASE = 'https://releases.astral.sh/github/uv/releases/download';
/** First release astral mirrors itself (astral-sh/setup-uv prefers it to avoid GitHub rate limits). */
const ASTRAL_MIRROR_SINCE = [0, 10, 7];

type Env = Record<string, string | undefined>;

function invalid(variable: string, value: string, expected: string): InstallError {
  return new InstallError('invalid_config', `${variable}=${JSON.stringify(value)} is not valid: expected ${expected}`);
}

function versionParts(version: string): number[] {
  return version.split('.').map((p) => Number.parseInt(p, 10));
}

function atLeast(version: string, min: number[]): boolean {
  const parts = versionParts(version);
  for (let i = 0; i < min.length; i++) {
    const d = (parts[i] ?? 0) - (min[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

export function defaultDownloadBases(version: string): string[] {
  return atLeast(version, ASTRAL_MIRROR_SINCE) ? [ASTRAL_BASE, GITHUB_BASE] : [GITHUB_BASE];
}

function number(env: Env, variable: string, fallback: number, scale = 1): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw invalid(variable, raw, 'a non-negative number');
  return value * scale;
}

/**
 * The longest wait a timer can hold: setTimeout takes a signed 32-bit count of ms and fires
 * at once past it (Node and Bun alike), so 2147484 s would have meant "fail now".
 */
export const TIMER_CAP_MS = 2 ** 31 - 1;

/**
 * A timeout in ms from seconds: 0 is no limit, and so is anything past the timer's cap (about
 * 24.8 days, longer than any install). A fraction below 1 ms is 1 ms, never "at once".
 */
function timeoutMs(env: Env, variable: string, fallbackSeconds: number): number {
  const ms = number(env, variable, fallbackSeconds * 1000, 1000);
  if (ms === 0 || ms > TIMER_CAP_MS) return 0;
  return Math.max(1, Math.round(ms));
}

/** Builds install settings from an environment; every install-related CARAPACE_* variable is read here. */
export function settingsFromEnv(env: Env = process.env): InstallSettings {
  const uvVersion = env.CARAPACE_UV_VERSION || DEFAULT_UV_VERSION;
  if (!/^\d+\.\d+\.\d+([.-]?[A-Za-z0-9.]+)?$/.test(uvVersion)) {
    throw invalid('CARAPACE_UV_VERSION', uvVersion, 'a uv release such as 0.10.2 (no leading v)');
  }
  const bases = (env.CARAPACE_UV_DOWNLOAD_BASE ?? '')
    .split(',')
    .map((b) => b.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const base of bases) {
    if (!/^https?:\/\//.test(base) && !base.startsWith('file://')) {
      throw invalid('CARAPACE_UV_DOWNLOAD_BASE', base, 'http(s):// or file:// URLs, comma-separated');
    }
    // Checked here, not at the first fetch: `http://[::1` must name the variable, not look like a bug.
    if (!URL.canParse(base)) throw invalid('CARAPACE_UV_DOWNLOAD_BASE', base, 'URLs that parse (check brackets, ports and characters)');
  }
  const sha = env.CARAPACE_UV_SHA256?.trim().toLowerCase() || null;
  if (sha !== null && !/^[0-9a-f]{64}$/.test(sha)) {
    throw invalid('CARAPACE_UV_SHA256', sha, '64 hexadecimal characters');
  }
  const python = env.CARAPACE_PYTHON || DEFAULT_PYTHON;
  if (!/^3\.\d+(\.\d+)?$/.test(python)) throw invalid('CARAPACE_PYTHON', python, 'a Python version such as 3.12');
  const spec = skypilotSpecFrom(env);
  if (spec.startsWith('-')) throw invalid('CARAPACE_SKYPILOT_SPEC', spec, 'a requirement, not an option');

  return {
    home: resolveHome(env),
    uv_version: uvVersion,
    download_bases: bases.length > 0 ? bases : defaultDownloadBases(uvVersion),
    uv_sha256: sha,
    skypilot_spec: spec,
    python,
    download_retries: Math.floor(number(env, 'CARAPACE_DOWNLOAD_RETRIES', 3)),
    connect_timeout_ms: timeoutMs(env, 'CARAPACE_CONNECT_TIMEOUT', 30),
    stall_timeout_ms: timeoutMs(env, 'CARAPACE_STALL_TIMEOUT', 30),
    install_timeout_ms: timeoutMs(env, 'CARAPACE_INSTALL_TIMEOUT', 20 * 60),
    verify_timeout_ms: timeoutMs(env, 'CARAPACE_VERIFY_TIMEOUT', 120),
    low_speed_limit: number(env, 'CARAPACE_LOW_SPEED_LIMIT', 1024),
    low_speed_time_ms: timeoutMs(env, 'CARAPACE_LOW_SPEED_TIME', 60),
    env: { ...env },
  };
}

export interface GatekeeperSettings {
  host: string;
  port: number;
  /** When set, every route needs `Authorization: Bearer <token>`. */
  token: string | null;
  /** Origins besides the service's own that may call it from a browser (the desktop app's). */
  allowed_origins: string[];
}

export const DEFAULT_GATEKEEPER_HOST = '127.0.0.1';
export const DEFAULT_GATEKEEPER_PORT = 8787;

/** The gatekeeper's own settings, kept apart from InstallSettings: an install never reads them. */
export function gatekeeperSettingsFromEnv(env: Env = process.env): GatekeeperSettings {
  const host = env.CARAPACE_GATEKEEPER_HOST?.trim() || DEFAULT_GATEKEEPER_HOST;
  if (/[\s/]/.test(host)) throw invalid('CARAPACE_GATEKEEPER_HOST', host, 'a host name or IP address');
  const rawPort = env.CARAPACE_GATEKEEPER_PORT?.trim() || String(DEFAULT_GATEKEEPER_PORT);
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65_535) throw invalid('CARAPACE_GATEKEEPER_PORT', rawPort, 'a port from 0 to 65535');
  const token = env.CARAPACE_GATEKEEPER_TOKEN ?? '';
  if (token !== '' && !/^[\x21-\x7e]+$/.test(token)) {
    throw invalid('CARAPACE_GATEKEEPER_TOKEN', '<hidden>', 'printable ASCII without spaces');
  }
  const allowed: string[] = [];
  for (const raw of (env.CARAPACE_ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean)) {
    // Browsers send the serialised origin (no path, default port dropped), so compare with that.
    // URL.origin is "null" for custom schemes, yet webviews send e.g. `tauri://localhost`.
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw invalid('CARAPACE_ALLOWED_ORIGINS', raw, 'comma-separated origins such as http://localhost:5173');
    }
    if (!url.host) throw invalid('CARAPACE_ALLOWED_ORIGINS', raw, 'an origin with a scheme and a host');
    allowed.push(url.origin !== 'null' ? url.origin : `${url.protocol}//${url.host}`);
  }
  return { host, port, token: token || null, allowed_origins: allowed };
}
