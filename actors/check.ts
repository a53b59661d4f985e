/**
 * `checking`: what is installed, read from disk on every call (the design keeps no state
 * of its own). SkyPilot's version comes from its tool environment's files (tool-env.ts), so
 * status never starts Python. uv's version needs `uv --version`, so it is cached by path,
 * size, mtime and inode, in memory and in CARAPACE_HOME/cache/uv-version.json, so that a
 * fresh `carapace-sky status` process spawns nothing once the version is known. Reads are
 * synchronous node:fs calls, for the reason given in tool-env.ts.
 */
import { layoutOf, type Layout } from './layout.ts';
import type { CheckResult, InstallSettings, InstallStatus, StatusSettings } from '../machines/types.ts';
import { inspectToolEnv, readText } from './tool-env.ts';
import { assertTrusted, skyOutside, toolEnvPaths, trustedHome, TrustWalk, uvPaths } from './trust.ts';

const UV_VERSION = /^uv (\S+)/;

type CacheEntry = { key: string; version: string };
type CacheEntries = Record<string, CacheEntry>;
const memory = new Map<string, CacheEntry>();

export function parseUvVersion(output: string): string | null {
  return UV_VERSION.exec(output.trim())?.[1] ?? null;
}

/**
 * What identifies one build of a file without reading it; a replaced uv changes it. The inode
 * catches a same-size copy that kept its mtime (`cp -p`, an archive's recorded dates).
 */
function fileKey(path: string): string | null {
  try {
    const info = process.getBuiltinModule('node:fs').statSync(path, { throwIfNoEntry: false });
    return info?.isFile() ? `${info.size}:${info.mtimeMs}:${info.ino}` : null;
  } catch {
    return null;
  }
}

function readDiskCache(layout: Layout): CacheEntries {
  try {
    const data = JSON.parse(readText(layout.uvVersionCache) ?? '{}') as unknown;
    return data && typeof data === 'object' ? (data as CacheEntries) : {};
  } catch {
    return {};
  }
}

/** Best effort: a read-only or full home only costs the next process one `uv --version`. */
async function writeDiskCache(layout: Layout, path: string, entry: CacheEntry): Promise<void> {
  const { lstatSync, mkdirSync, renameSync, unlinkSync, writeFileSync } = await import('node:fs');
  const file = layout.uvVersionCache;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const entries = readDiskCache(layout);
    entries[path] = entry;
    mkdirSync(layout.cacheDir, { recursive: true, mode: 0o700 });
    // A link at cache/ would send the write into someone else's folder (actors/trust.ts).
    if (!lstatSync(layout.cacheDir).isDirectory()) return;
    writeFileSync(tmp, JSON.stringify(entries) + '\n', { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // Never written.
    }
  }
}

/** Records a version learnt elsewhere (the download just ran the staged uv) for `path`. */
export async function rememberUvVersion(home: string, path: string, version: string): Promise<void> {
  const key = fileKey(path);
  if (key === null) return;
  memory.set(path, { key, version });
  await writeDiskCache(layoutOf(home), path, { key, version });
}

/** The version of the uv at `path`, or null when it is missing or does not run. */
export async function uvVersionAt(
  path: string,
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
  home?: string,
): Promise<string | null> {
  const key = fileKey(path);
  if (key === null) return null;
  const cached = memory.get(path);
  if (cached?.key === key) return cached.version;
  const layout = home !== undefined ? layoutOf(home) : null;
  if (layout) {
    const onDisk = readDiskCache(layout)[path];
    if (onDisk?.key === key && typeof onDisk.version === 'string') {
      memory.set(path, onDisk);
      return onDisk.version;
    }
  }
  return askUv(path, key, env, signal, layout);
}

/** A cache miss: runs `uv --version` and records the answer. */
async function askUv(path: string, key: string, env: Record<string, string | undefined>, signal: AbortSignal | undefined, layout: Layout | null): Promise<string | null> {
  try {
    // Loaded only on a cache miss: execa is most of a cold `status` start otherwise.
    const { runProcess } = await import('./process.ts');
    const result = await runProcess(path, ['--version'], { env, signal, timeoutMs: 10_000, label: 'uv --version' });
    const version = result.exitCode === 0 ? parseUvVersion(result.stdout) : null;
    if (version) {
      memory.set(path, { key, version });
      if (layout) await writeDiskCache(layout, path, { key, version });
    }
    return version;
  } catch (error) {
    if (signal?.aborted) throw error;
    return null;
  }
}

const NOTHING = { envDir: null, version: null, runnable: false, problem: null, receipt: null };

function nothingAt(home: string): InstallStatus {
  return { uv_installed: false, uv_version: null, sky_installed: false, sky_version: null, carapace_home: home };
}

/** What is on disk, before it is compared with the settings. */
async function detect(settings: StatusSettings, signal?: AbortSignal) {
  // All before uv runs, and in the home as resolved and checked. Reading the environment runs
  // nothing, and tells which folders to check. The checks share one walk, so each folder
  // (those above the home most of all) is looked at once per read.
  const memo = new TrustWalk();
  const home = await trustedHome(settings.home, memo);
  const layout = layoutOf(home);
  // A home missing when it was checked is read no further: another user could create it (a
  // link to their folder) before the next path under it is opened, or uv under it run.
  if (memo.recall(home, true) === undefined) return { layout, status: nothingAt(settings.home), env: NOTHING };
  await assertTrusted(home, uvPaths(layout), memo);
  const found = await inspectToolEnv(layout, settings.skypilot_spec);
  await assertTrusted(home, toolEnvPaths(layout, found.envDir), memo);
  const outside = found.runnable && found.envDir ? await skyOutside(home, layout.sky, found.envDir, memo) : null;
  const env = outside ? { ...found, runnable: false, problem: outside, receipt: null } : found;
  const uvVersion = await uvVersionAt(layout.uv, settings.env, signal, home);
  const status: InstallStatus = {
    uv_installed: uvVersion !== null,
    uv_version: uvVersion,
    sky_installed: env.runnable,
    sky_version: env.runnable ? env.version : null,
    carapace_home: settings.home,
  };
  return { layout, status, env };
}

export async function checkInstall(settings: InstallSettings, signal?: AbortSignal): Promise<CheckResult> {
  const { layout, status, env } = await detect(settings, signal);
  // Loaded here, not at the top: `status` never compares, and every module costs it time.
  const { receiptDrift } = await import('./requirement.ts');
  return {
    status,
    uv_path: status.uv_installed ? layout.uv : null,
    sky_path: env.runnable ? layout.sky : null,
    sky_problem: env.problem,
    sky_outdated: env.receipt !== null ? receiptDrift(env.receipt, settings.skypilot_spec, settings.python) : null,
  };
}

/** A check's public status, plus why an existing SkyPilot cannot run when that is the case. */
export function statusOf(check: Pick<CheckResult, 'status' | 'sky_problem'>): InstallStatus {
  return check.sky_problem ? { ...check.status, sky_problem: check.sky_problem } : check.status;
}

/** What `status` shows: files only, never Python, and uv only on a cache miss. */
export async function getInstallStatus(settings: StatusSettings, signal?: AbortSignal): Promise<InstallStatus> {
  const { status, env } = await detect(settings, signal);
  return statusOf({ status, sky_problem: env.problem });
}
