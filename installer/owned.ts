/**
 * What under CARAPACE_HOME is the product's (or uv's, on the product's behalf), by exact name
 * or pattern. CARAPACE_HOME may be a folder with other files in it (the desktop app keeps its
 * own data in ~/.carapace, and `--home` may name an existing project), so crash clean-up and
 * `uninstall` remove only the entries listed here and leave everything else, even inside the
 * product's own folders. A folder is removed only once it is empty.
 */
import { lstat, readdir, readlink, realpath, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { GENERATION_MARKER, isOwnGeneration } from '../actors/generations.ts';
import type { Layout } from '../actors/layout.ts';
import { LOG_NAME } from './install-log.ts';

/** `mkdtemp(<staging>/carapace-uv-)` in actors/download-uv.ts: six random characters. The prefix is
 * the product's own, so a user's `staging/uv-backup` or `uv-python` is never taken for one. */
const STAGING_ENTRY = /^carapace-uv-[A-Za-z0-9]{6}$/;

/**
 * Files written whole and renamed into place, `<final name>.<pid>[-<lock token>].tmp`: the
 * lock record (installer/lock.ts), last-attempt.json (install-log.ts), the uv version cache
 * (actors/check.ts) and the CA bundle (actors/uv-env.ts).
 */
const TEMP_FILE = /^(?:install\.lock|last-attempt\.json|uv-version\.json|ca-bundle\.pem)\.(\d+)(?:-[0-9a-f]+)?\.tmp$/;

/** A link being swapped into place, `<link>.<pid>.tmp` (actors/generations.ts): environments, previous, bin/sky. */
const LINK_TEMP = /^(?:environments|previous|sky)\.(\d+)\.tmp$/;

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

/**
 * Staging entries of crashed attempts, temporary files whose writer is dead, and links a killed
 * build was swapping in. (Generations it left half done are removed entry by entry instead:
 * actors/generations.ts abandonedGenerations and removeGeneration.)
 */
export async function leftoversOf(layout: Layout, alive: (pid: number) => boolean): Promise<string[]> {
  const out = (await list(layout.stagingDir)).filter(isStagingEntry).map((name) => `${layout.stagingDir}/${name}`);
  for (const dir of [layout.toolsDir, layout.toolBinDir]) {
    for (const name of await list(dir)) {
      const pid = LINK_TEMP.exec(name)?.[1];
      if (pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid))) out.push(`${dir}/${name}`);
    }
  }
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
 * The tool environment of `packageName` and the `sky` link made for it, by the tests
 * `allEntries` uses; with generations
 * (actors/generations.ts), every generation and the `environments` and `previous` links too.
 */
export async function skypilotEntries(layout: Layout, packageName: string | null): Promise<string[]> {
  const out: string[] = [];
  // uv and the product link executables on Unix (uv-tool): a regular file named sky, or a link
  // elsewhere, is not ours; an environment is uv's when it holds uv-receipt.toml.
  if (await isToolLink(layout, layout.sky)) out.push(layout.sky);
  if (packageName && (await present(`${layout.toolDir}/${packageName}/uv-receipt.toml`))) out.push(`${layout.toolDir}/${packageName}`);
  // Inside each generation only what uv and the product put there: a file someone else left
  // keeps its generation (and the link reaching it, see dropDanglingLinks).
  const current = await realpath(layout.toolDir).catch(() => null);
  for (const gen of await ownedIn(layout.generationsDir, (name) => isOwnGeneration(layout, name))) {
    // The current one's environment is already listed, by the path the contract gives it.
    // uv's environment holds its receipt; a folder of the same name without one is someone's.
    const env = async (name: string) =>
      name === packageName && !(gen === current && out.includes(`${layout.toolDir}/${name}`)) && (await present(`${gen}/${name}/uv-receipt.toml`));
    out.push(...(await ownedIn(gen, async (name) => (await env(name)) || UV_TOOL_DIR_FILES.test(name))));
    out.push(...(await ownedIn(`${gen}/bin`, async (name) => (await readlink(`${gen}/bin/${name}`).catch(() => '')).startsWith(`${gen}/`))));
  }
  return out;
}

/**
 * Removes the product's generations left empty but for its marker (and an empty `bin/`), then
 * `tools/generations` once empty: a generation holding someone's file stays, marker and all.
 */
export async function dropEmptyGenerations(layout: Layout): Promise<void> {
  for (const gen of await ownedIn(layout.generationsDir, (name) => isOwnGeneration(layout, name))) {
    await rmdir(`${gen}/bin`).catch(() => {});
    const left = await list(gen);
    if (left.length === 1 && left[0] === GENERATION_MARKER) {
      await rm(`${gen}/${GENERATION_MARKER}`, { force: true });
      await rmdir(gen).catch(() => {});
    }
  }
  await rmdir(layout.generationsDir).catch(() => {});
}

/** Removes `tools/environments` and `tools/previous` once the generation they name is gone. */
export async function dropDanglingLinks(layout: Layout): Promise<string[]> {
  const out: string[] = [];
  for (const link of [layout.toolDir, layout.previousLink]) {
    if ((await isLink(link)) && !(await stat(link).then(() => true, () => false))) {
      await rm(link, { force: true });
      out.push(link);
    }
  }
  return out;
}

/**
 * A symlink (uv links executables on Unix, uv-tool) into UV_TOOL_DIR or a generation, absolute
 * or relative to its folder: a regular file or a link elsewhere is not uv's.
 */
async function isToolLink(layout: Layout, path: string): Promise<boolean> {
  if (!(await isLink(path))) return false;
  const target = await readlink(path).catch(() => '');
  if (target === '') return false;
  const to = resolve(dirname(path), target);
  return to.startsWith(`${layout.toolDir}/`) || to.startsWith(`${layout.generationsDir}/`);
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

/** The pid in an attempt log's name, `<purpose>-<time>Z-<pid>[-<n>].log` (install-log.ts). */
const LOG_PID = /Z-(\d+)(?:-\d+)?\.log$/;

/**
 * What `uninstall --all --logs` also removes from logs/: the attempt logs
 * (`<purpose>-<time>-<pid>.log`), last-attempt.json and its temporary files. The log of a live
 * process other than this one stays: an installer opens its log before it waits for the lock.
 * A file anyone else put in logs/ stays, and so does the folder then.
 */
export async function logEntries(layout: Layout, alive: (pid: number) => boolean): Promise<string[]> {
  const writing = (name: string) => {
    const pid = Number(LOG_PID.exec(name)?.[1]);
    return pid !== process.pid && alive(pid);
  };
  return ownedIn(
    layout.logsDir,
    (name) => (LOG_NAME.test(name) && !writing(name)) || name === 'last-attempt.json' || /^last-attempt\.json\.\d+\.tmp$/.test(name),
  );
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
