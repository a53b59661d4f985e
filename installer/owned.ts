/**
 * What under CARAPACE_HOME is the product's (or uv's, on the product's behalf), by exact name
 * or pattern. CARAPACE_HOME may be a folder with other files in it (the desktop app keeps its
 * own data in ~/.carapace, and `--home` may name an existing project), so crash clean-up and
 * `uninstall` remove only the entries listed here and leave everything else, even inside the
 * product's own folders. A folder is removed only once it is empty.
 */
import { lstat, readdir, readlink, rm, rmdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Layout } from '../actors/layout.ts';

/** `mkdtemp(<staging>/carapace-uv-)` in actors/download-uv.ts: six random characters. The prefix is
 * the product's own, so a user's `staging/uv-backup` or `uv-python` is never taken for one. */
const STAGING_ENTRY = /^carapace-uv-[A-Za-z0-9]{6}$/;

/**
 * Files written whole and renamed into place, `<final name>.<pid>[-<lock token>].tmp`: the
 * lock record (installer/lock.ts), last-attempt.json (install-log.ts), the uv version cache
 * (actors/check.ts) and the CA bundle (actors/uv-env.ts).
 */
const TEMP_FILE = /^(?:install\.lock|last-attempt\.json|uv-version\.json|ca-bundle\.pem)\.(\d+)(?:-[0-9a-f]+)?\.tmp$/;

/** Private copies of launched task files, `run/launch-<pid>-<16 hex>.yaml` (installer/task-file.ts). */
export const LAUNCH_COPY = /^launch-(\d+)-[0-9a-f]{16}\.yaml(?:\.tmp)?$/;

/** What the product keeps in cache/: its own files and uv's cache (UV_CACHE_DIR's default). */
const CACHE_ENTRIES = new Set(['uv-version.json', 'ca-bundle.pem', 'uv']);

/**
 * uv's managed Pythons (`cpython-3.12.8-linux-x86_64-gnu`, and from uv 0.8 the minor-version
 * links such as `cpython-3.12-linux-x86_64-gnu`), and the lock, scratch and download folders
 * uv keeps beside them (uv-python managed.rs).
 */
const PYTHON_ENTRY = /^(?:(?:cpython|pypy|graalpy|pyodide)-\d+\.\d+[^/]*|\.lock|\.gitignore|\.cache|\.temp|\.tmp[^/]*)$/;

/** What uv keeps in UV_TOOL_DIR besides the environments. */
const UV_TOOL_DIR_FILES = /^(?:\.lock|\.gitignore)$/;

/** Where launches keep their private task copies. */
export const runDirOf = (layout: Layout) => `${layout.home.replace(/\/$/, '')}/run`;

/** The lock's takeover claim (installer/lock.ts). */
export const takeoverPath = (lockFile: string) => `${lockFile}.takeover`;

/** The private record a lock taker writes before linking it into place (installer/lock.ts). */
export const lockTempPath = (lockFile: string, pid: number, token: string) => `${lockFile}.${pid}-${token}.tmp`;

export function isStagingEntry(name: string): boolean {
  return STAGING_ENTRY.test(name);
}

/** The pid that wrote one of the product's temporary files, or null for any other name. */
export function tempFileOwner(name: string): number | null {
  const pid = TEMP_FILE.exec(name)?.[1];
  return pid === undefined ? null : Number(pid);
}

const list = (dir: string) => readdir(dir).catch(() => [] as string[]);

/** Staging entries of crashed attempts, and temporary files whose writer is dead. */
export async function leftoversOf(layout: Layout, alive: (pid: number) => boolean): Promise<string[]> {
  const out = (await list(layout.stagingDir)).filter(isStagingEntry).map((name) => `${layout.stagingDir}/${name}`);
  for (const dir of [layout.home, layout.logsDir, layout.cacheDir]) {
    for (const name of await list(dir)) {
      const pid = tempFileOwner(name);
      if (pid !== null && pid !== process.pid && !alive(pid)) out.push(`${dir}/${name}`);
    }
  }
  return out;
}

const present = (path: string) => lstat(path).then(() => true, () => false);
const isLink = (path: string) => lstat(path).then((info) => info.isSymbolicLink(), () => false);

/** Entries of `dir` that `owns` names, as paths. */
async function ownedIn(dir: string, owns: (name: string) => boolean | Promise<boolean>): Promise<string[]> {
  const out: string[] = [];
  for (const name of await list(dir)) if (await owns(name)) out.push(`${dir}/${name}`);
  return out;
}

/**
 * The tool environment of `packageName` and the `sky` link uv made for it, by the tests
 * `allEntries` uses: an environment holds uv-receipt.toml, and the link leads into UV_TOOL_DIR.
 */
export async function skypilotEntries(layout: Layout, packageName: string | null): Promise<string[]> {
  const out: string[] = [];
  if (await isToolLink(layout, layout.sky)) out.push(layout.sky);
  if (packageName && (await present(`${layout.toolDir}/${packageName}/uv-receipt.toml`))) out.push(`${layout.toolDir}/${packageName}`);
  return out;
}

/**
 * A symlink (uv links executables on Unix, uv-tool) into UV_TOOL_DIR, absolute or relative to
 * its folder: a regular file or a link elsewhere is not uv's.
 */
async function isToolLink(layout: Layout, path: string): Promise<boolean> {
  if (!(await isLink(path))) return false;
  const target = await readlink(path).catch(() => '');
  return target !== '' && resolve(dirname(path), target).startsWith(`${layout.toolDir}/`);
}

/**
 * Everything `uninstall --all` may remove besides SkyPilot: the managed uv and uvx, uv's
 * Pythons, other tool environments uv made here (they hold uv-receipt.toml) and their links,
 * the product's cache and staging entries, launch copies, and the product's temporary files.
 * Logs stay.
 */
export async function allEntries(layout: Layout): Promise<string[]> {
  const uvBin = await ownedIn(layout.uvBinDir, (name) => name === 'uv' || name === 'uvx');
  const pythons = await ownedIn(layout.pythonDir, (name) => PYTHON_ENTRY.test(name));
  // uv serialises tool commands with a `.lock` file in UV_TOOL_DIR (uv-tool InstalledTools).
  const envs = await ownedIn(layout.toolDir, (name) => UV_TOOL_DIR_FILES.test(name) || present(`${layout.toolDir}/${name}/uv-receipt.toml`));
  const links = await ownedIn(layout.toolBinDir, (name) => isToolLink(layout, `${layout.toolBinDir}/${name}`));
  const staging = await ownedIn(layout.stagingDir, isStagingEntry);
  const cache = await ownedIn(layout.cacheDir, (name) => CACHE_ENTRIES.has(name) || tempFileOwner(name) !== null);
  const launches = await ownedIn(runDirOf(layout), (name) => LAUNCH_COPY.test(name));
  return [...uvBin, ...pythons, ...envs, ...links, ...staging, ...cache, ...launches];
}

/** The product's folders, innermost first: removed after their contents, and only when empty. */
export function ownFolders(layout: Layout): string[] {
  return [
    layout.uvBinDir,
    `${layout.home.replace(/\/$/, '')}/uv`,
    layout.pythonDir,
    layout.toolBinDir,
    layout.toolDir,
    layout.toolsDir,
    layout.stagingDir,
    layout.cacheDir,
    runDirOf(layout),
  ];
}

/** Removes `paths` (whole: each is the product's), then the folders in `folders` left empty. */
export async function removeOwned(paths: readonly string[], folders: readonly string[] = []): Promise<void> {
  for (const path of paths) await rm(path, { recursive: true, force: true });
  // rmdir fails on a folder that still holds someone's file, which is what keeps it.
  for (const folder of folders) await rmdir(folder).catch(() => {});
}
