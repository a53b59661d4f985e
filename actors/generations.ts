/**
 * Generations of SkyPilot's tool environment, so an upgrade or a repair can never break a
 * working install: `uv tool upgrade` and `uv tool install --force` rebuild the environment in
 * place (uv-skypilot-facts.md), so a failure halfway leaves a broken SkyPilot. Instead each
 * build goes into a folder of its own, `tools/generations/<id>/` (UV_TOOL_DIR, with its own
 * `bin/` as UV_TOOL_BIN_DIR, so uv never touches `tools/bin/sky`), and becomes current only
 * after it is verified, in one rename(2) of a symlink over `tools/environments`: readers see
 * the old generation or the new one, never half of either. `tools/previous` names the one
 * before, for `rollback`. `tools/bin/sky` is a relative link through
 * `../environments/<package>/bin/sky`, so the contract's paths always reach the current one.
 *
 * A folder `tools/environments` of the old layout (uv wrote into it directly) is moved once
 * to `generations/legacy`; its scripts' absolute shebangs name
 * `tools/environments/<package>/bin/python`, which keeps resolving through the link while it
 * is current (and again after a rollback to it).
 */
import { lstat, mkdir, readdir, readlink, rename, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { InstallError } from '../machines/errors.ts';
import type { Layout } from './layout.ts';

/** The generation an old-layout `tools/environments` folder becomes. */
export const LEGACY_GENERATION = 'legacy';
/** `<base36 ms>-<pid of the builder>`: the pid tells crash clean-up whose build it was. */
const GENERATION = /^[0-9a-z]+-(\d+)$/;

export function isGenerationName(name: string): boolean {
  return name === LEGACY_GENERATION || GENERATION.test(name);
}

/**
 * Written into every generation the product makes: a folder whose name only looks like one
 * (`backup-1`, `old-999999`) is someone else's and is never pruned or cleaned up.
 */
export const GENERATION_MARKER = '.carapace-generation';

const markGeneration = (dir: string) => writeFile(`${dir}/${GENERATION_MARKER}`, `${process.pid}\n`);

/** A generation the product made: a real folder with a generation's name and the marker. */
export async function isOwnGeneration(layout: Layout, name: string): Promise<boolean> {
  if (!isGenerationName(name)) return false;
  const dir = generationDir(layout, name);
  const [folder, marker] = await Promise.all([lstat(dir).catch(() => null), lstat(`${dir}/${GENERATION_MARKER}`).catch(() => null)]);
  return folder !== null && folder.isDirectory() && marker !== null && marker.isFile();
}

async function ownGenerations(layout: Layout): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(layout.generationsDir).catch(() => [] as string[])) {
    if (await isOwnGeneration(layout, name)) out.push(name);
  }
  return out;
}

/**
 * Removes what uv and the product put in a generation (environments holding uv's receipt, the
 * links in its `bin/` that lead into it, uv's lock, the marker), then the folder once empty: a
 * file someone else left there keeps it.
 */
export async function removeGeneration(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = `${dir}/${name}`;
    if (name === 'bin') {
      for (const entry of await readdir(path).catch(() => [] as string[])) {
        if ((await readlink(`${path}/${entry}`).catch(() => '')).startsWith(`${dir}/`)) await rm(`${path}/${entry}`, { force: true });
      }
      await rmdir(path).catch(() => {});
    } else if (name === '.lock' || name === '.gitignore' || (await lstat(`${path}/uv-receipt.toml`).then(() => true, () => false))) {
      await rm(path, { recursive: true, force: true });
    }
  }
  await rm(`${dir}/${GENERATION_MARKER}`, { force: true });
  await rmdir(dir).catch(() => {});
}

/** The pid that built a generation, or null (legacy, or not a generation name). */
export function generationBuilder(name: string): number | null {
  const pid = GENERATION.exec(name)?.[1];
  return pid === undefined ? null : Number(pid);
}

export const generationDir = (layout: Layout, id: string) => `${layout.generationsDir}/${id}`;
/** Where uv links `sky` inside a generation (its UV_TOOL_BIN_DIR). */
export const generationBin = (layout: Layout, id: string) => `${generationDir(layout, id)}/bin`;

/** The generation a link names (`generations/<id>`), or null when there is no such link. */
async function linkedGeneration(path: string): Promise<string | null> {
  const target = await readlink(path).catch(() => null);
  if (target === null) return null;
  const id = target.slice(target.lastIndexOf('/') + 1);
  return isGenerationName(id) ? id : null;
}

export const currentGeneration = (layout: Layout) => linkedGeneration(layout.toolDir);
export const previousGeneration = (layout: Layout) => linkedGeneration(layout.previousLink);

/** Points `link` at `target` in one step: a new link beside it, renamed over it (atomic, POSIX rename). */
async function swapLink(link: string, target: string): Promise<void> {
  const staged = `${link}.${process.pid}.tmp`;
  await rm(staged, { force: true });
  await symlink(target, staged);
  await rename(staged, link);
}

/**
 * Brings an old layout and a migration cut short into the current one: a real
 * `tools/environments` folder moves to `generations/legacy` and a link takes its place.
 * Run under the install lock, before anything reads or builds generations.
 */
export async function migrateLayout(layout: Layout): Promise<void> {
  const info = await lstat(layout.toolDir).catch(() => null);
  const legacy = generationDir(layout, LEGACY_GENERATION);
  if (info?.isDirectory()) {
    await mkdir(layout.generationsDir, { recursive: true });
    await rename(layout.toolDir, legacy);
  } else if (info !== null || !(await lstat(legacy).then(() => true, () => false))) {
    return; // already a link, or nothing to migrate
  }
  // Killed between the rename and here, the next run lands here with the folder moved.
  await markGeneration(legacy);
  await swapLink(layout.toolDir, `generations/${LEGACY_GENERATION}`);
}

/** Creates an empty generation for this process to build in. */
export async function newGeneration(layout: Layout, now: number): Promise<string> {
  await mkdir(layout.generationsDir, { recursive: true });
  for (let n = 0; ; n++) {
    const id = `${(now + n).toString(36)}-${process.pid}`;
    try {
      await mkdir(generationDir(layout, id));
      await markGeneration(generationDir(layout, id));
      return id;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST' || n > 100) throw error;
    }
  }
}

/** The stable `tools/bin/sky`: a relative link through the current generation. */
async function ensureSkyLink(layout: Layout, packageName: string): Promise<void> {
  const target = `../environments/${packageName}/bin/sky`;
  if ((await readlink(layout.sky).catch(() => null)) === target) return;
  // uv and the product only ever made a link there; a file someone put there is theirs.
  const info = await lstat(layout.sky).catch(() => null);
  if (info !== null && !info.isSymbolicLink()) {
    throw new InstallError('uv_install_failed', `${layout.sky} exists and is not a link the product made; move it away and retry`);
  }
  await mkdir(layout.toolBinDir, { recursive: true });
  await swapLink(layout.sky, target);
}

export interface Switched {
  current: string;
  previous: string | null;
}

/**
 * Makes generation `id` current; the one it replaces becomes `previous`, and every other
 * generation goes (the one before previous, builds that failed). Each step is atomic and
 * leaves a runnable install if the process dies after it.
 */
export async function activateGeneration(layout: Layout, id: string, packageName: string): Promise<Switched> {
  await ensureSkyLink(layout, packageName);
  const old = await currentGeneration(layout);
  if (old !== null && old !== id) await swapLink(layout.previousLink, `generations/${old}`);
  await swapLink(layout.toolDir, `generations/${id}`);
  const previous = old !== null && old !== id ? old : await previousGeneration(layout);
  await pruneGenerations(layout, [id, ...(previous ? [previous] : [])]);
  return { current: id, previous };
}

/** Makes `previous` current again and the current one `previous`. Null when there is none. */
export async function rollbackGeneration(layout: Layout, packageName: string): Promise<Switched | null> {
  const [current, previous] = await Promise.all([currentGeneration(layout), previousGeneration(layout)]);
  // previous = current is what an upgrade killed between its two link swaps leaves: nothing to go back to.
  if (previous === null || previous === current || !(await lstat(generationDir(layout, previous)).then(() => true, () => false))) return null;
  await ensureSkyLink(layout, packageName);
  if (current !== null) await swapLink(layout.previousLink, `generations/${current}`);
  await swapLink(layout.toolDir, `generations/${previous}`);
  return { current: previous, previous: current };
}

/** Removes the product's generations not in `keep` (the one before previous, builds that failed). */
export async function pruneGenerations(layout: Layout, keep: readonly string[]): Promise<void> {
  for (const name of await ownGenerations(layout)) {
    if (!keep.includes(name)) await removeGeneration(generationDir(layout, name));
  }
}

/**
 * The product's generations no link names whose builder is dead: builds a killed attempt left
 * half done, never current, so all of what is in them is uv's and the product's.
 */
export async function abandonedGenerations(layout: Layout, alive: (pid: number) => boolean): Promise<string[]> {
  const keep = [await currentGeneration(layout), await previousGeneration(layout)];
  const out: string[] = [];
  for (const name of await ownGenerations(layout)) {
    if (keep.includes(name)) continue;
    const pid = generationBuilder(name);
    if (pid === null || (pid !== process.pid && !alive(pid))) out.push(generationDir(layout, name));
  }
  return out;
}

/**
 * Generation-named folders of dead builders without the marker: a build killed between its
 * mkdir and the marker, or one whose uv, in a process group of its own, went on writing after
 * the build's folder was removed. Only those holding nothing but what uv writes
 * (`uvLeftoversOnly`) may go; `old-999999` with someone's notes in it stays.
 */
export async function unmarkedGenerations(layout: Layout, alive: (pid: number) => boolean): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(layout.generationsDir).catch(() => [] as string[])) {
    const pid = generationBuilder(name);
    if (pid === null || pid === process.pid || alive(pid) || (await isOwnGeneration(layout, name))) continue;
    // A file or a link with such a name is not a build folder at all.
    if (!(await lstat(generationDir(layout, name)).then((info) => info.isDirectory(), () => false))) continue;
    out.push(generationDir(layout, name));
  }
  return out;
}

/** Whether `dir` holds only what uv writes in a UV_TOOL_DIR: its `.tmp-*` staging, environments, `bin/`, its lock. */
export async function uvLeftoversOnly(dir: string): Promise<boolean> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith('.tmp-') || name === 'bin' || name === '.lock' || name === '.gitignore') continue;
    const venv = await lstat(`${dir}/${name}/pyvenv.cfg`).then(() => true, () => false);
    if (!venv) return false;
  }
  return true;
}
