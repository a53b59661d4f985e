/**
 * The gatekeeper answers GET /cluster/install-status many times a second; a full check costs
 * about 50 system calls (reads, a METADATA glob, the trust stats). This keeps the last answer
 * with the identity (inode, size, mtime, ctime, mode, owner) of every path it depends on, and
 * reuses it only while a fresh synchronous stat of each still matches: no time-based cache, so a
 * change on disk (sky removed, a new version, a chmod another user could exploit) shows on the
 * very next call (issue 14).
 *
 * The paths are those the check reads or whose entries it lists: the trust set (actors/trust.ts:
 * every folder above the home too, and python/ down to the interpreter), tools/bin and `sky` (a link added, removed or retargeted), and in sky's environment the
 * receipt, the interpreter, and each site-packages folder (an upgrade renames the dist-info).
 * Their identities are taken before the check runs, so anything that changes during it
 * differs at the next call and is read again.
 */
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { layoutOf } from '../actors/layout.ts';
import type { InstallStatus, StatusSettings } from '../machines/types.ts';

interface Memo {
  home: string;
  spec: string;
  paths: string[];
  identity: Float64Array;
  status: InstallStatus;
}

/** The environment `sky` resolves to (`<env>/bin/sky`), or null when it does not resolve. */
function envOfSky(sky: string): string | null {
  try {
    const target = realpathSync(sky);
    const bin = target.lastIndexOf('/bin/');
    return bin > 0 ? target.slice(0, bin) : null;
  } catch {
    return null;
  }
}

/** `path` and every folder above it, from `/` down. */
function withAncestors(path: string): string[] {
  const out: string[] = [];
  for (let at = path; ; at = at.slice(0, at.lastIndexOf('/')) || '/') {
    out.unshift(at);
    if (at === '/') return out;
  }
}

/** The folders from `from` down to the folder holding `path`, when `path` lies under `from`. */
function foldersBetween(from: string, path: string): string[] {
  if (!path.startsWith(`${from}/`)) return [];
  return withAncestors(path.slice(0, path.lastIndexOf('/'))).filter((dir) => dir === from || dir.startsWith(`${from}/`));
}

/**
 * Each path as itself (lstat: a link's own owner is what the trust check judges) and, for a
 * link, where it leads and the folder holding that, so a link retargeted or a target chmod-ed
 * is a change too.
 */
function withTargets(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const path of paths) {
    out.add(path);
    try {
      const real = realpathSync(path);
      if (real !== path) out.add(real).add(real.slice(0, real.lastIndexOf('/')) || '/');
    } catch {
      // Missing: its absence is part of the identity.
    }
  }
  return [...out];
}

function pathsOf(home: string): string[] {
  return withTargets(directPathsOf(home));
}

function directPathsOf(home: string): string[] {
  const layout = layoutOf(home);
  const base = home.endsWith('/') ? home.slice(0, -1) : home;
  // The trust check walks every folder above the home, and python/ down to the interpreter: a
  // chmod or chown of any of them changes its ctime, so each is part of the identity too.
  const paths = [...withAncestors(base), `${base}/uv`, layout.uvBinDir, layout.uv, layout.toolsDir, layout.toolDir, layout.generationsDir, layout.previousLink, layout.toolBinDir, layout.sky, layout.pythonDir];
  const env = envOfSky(layout.sky);
  if (env === null) return paths;
  paths.push(env, `${env}/bin`, `${env}/bin/python`, `${env}/uv-receipt.toml`, `${env}/lib`);
  try {
    const python = realpathSync(`${env}/bin/python`);
    paths.push(...foldersBetween(layout.pythonDir, python), python);
  } catch {
    // A lost interpreter: the check reports it, and its return changes `${env}/bin/python`.
  }
  try {
    // A new python folder changes lib; site-packages itself is statted, so its parent need not be.
    for (const python of readdirSync(`${env}/lib`)) paths.push(`${env}/lib/${python}/site-packages`);
  } catch {
    // No lib folder: the check finds no METADATA, and the folder's appearance changes `${env}`.
  }
  return paths;
}

const FIELDS = 7;

/** Numbers, not a string: formatting the times would cost more than the stats (the point is a cheap call). */
function identityOf(paths: readonly string[]): Float64Array {
  const identity = new Float64Array(paths.length * FIELDS);
  paths.forEach((path, i) => writeIdentity(path, identity, i * FIELDS));
  return identity;
}

function writeIdentity(path: string, into: Float64Array, at: number): void {
  const info = lstatSync(path, { throwIfNoEntry: false });
  if (!info) {
    into.fill(-1, at, at + FIELDS); // absent: no inode is -1
    return;
  }
  into[at] = info.ino;
  into[at + 1] = info.size;
  into[at + 2] = info.mtimeMs;
  into[at + 3] = info.ctimeMs;
  into[at + 4] = info.mode;
  into[at + 5] = info.uid;
  into[at + 6] = info.gid;
}

/** Whether every path still has the identity recorded; stops at the first difference. */
function unchanged(paths: readonly string[], identity: Float64Array): boolean {
  const now = new Float64Array(FIELDS);
  return paths.every((path, i) => {
    writeIdentity(path, now, 0);
    return now.every((value, f) => value === identity[i * FIELDS + f]);
  });
}

/** A status function that reads the disk only when something it depends on changed identity. */
export function memoizedStatus<S extends StatusSettings>(read: (settings: S) => Promise<InstallStatus>) {
  let memo: Memo | null = null;
  return async (settings: S): Promise<InstallStatus> => {
    if (memo && memo.home === settings.home && memo.spec === settings.skypilot_spec && unchanged(memo.paths, memo.identity)) {
      return memo.status;
    }
    memo = null;
    const paths = pathsOf(settings.home);
    const identity = identityOf(paths);
    const status = await read(settings); // a failure (home_not_trusted) is never kept
    memo = { home: settings.home, spec: settings.skypilot_spec, paths, identity, status };
    return status;
  };
}
