/**
 * `checking`: what is installed, read from disk on every call (the design keeps no state
 * of its own). uv's version comes from `uv --version`, cached by path, size and mtime.
 */
import { stat } from 'node:fs/promises';
import { layoutOf } from '../adapters/layout.ts';
import type { CheckResult, InstallSettings } from '../machines/types.ts';
import { runProcess } from './process.ts';
import { inspectToolEnv } from './tool-env.ts';

const UV_VERSION = /^uv (\S+)/;
const versionCache = new Map<string, { key: string; version: string }>();

export function parseUvVersion(output: string): string | null {
  return UV_VERSION.exec(output.trim())?.[1] ?? null;
}

/** The version of the uv at `path`, or null when it is missing or does not run. */
export async function uvVersionAt(
  path: string,
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<string | null> {
  let key: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) return null;
    key = `${info.size}:${info.mtimeMs}:${info.ino}`;
  } catch {
    return null;
  }
  const cached = versionCache.get(path);
  if (cached?.key === key) return cached.version;
  try {
    const result = await runProcess(path, ['--version'], { env, signal, timeoutMs: 10_000, label: 'uv --version' });
    const version = result.exitCode === 0 ? parseUvVersion(result.stdout) : null;
    if (version) versionCache.set(path, { key, version });
    return version;
  } catch (error) {
    if (signal?.aborted) throw error;
    return null;
  }
}

export async function checkInstall(settings: InstallSettings, signal?: AbortSignal): Promise<CheckResult> {
  const layout = layoutOf(settings.home);
  const [uvVersion, env] = await Promise.all([
    uvVersionAt(layout.uv, settings.env, signal),
    inspectToolEnv(layout, settings.skypilot_spec),
  ]);
  return {
    status: {
      uv_installed: uvVersion !== null,
      uv_version: uvVersion,
      sky_installed: env.runnable,
      sky_version: env.runnable ? env.version : null,
      carapace_home: settings.home,
    },
    uv_path: uvVersion !== null ? layout.uv : null,
    sky_path: env.runnable ? layout.sky : null,
    sky_problem: env.problem,
  };
}

