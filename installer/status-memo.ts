/**
 * The gatekeeper answers GET /cluster/install-status many times a second; a full check costs
 * about 50 system calls (reads, a METADATA glob, the trust stats). This keeps the last answer
 * and reuses it only while nothing it depends on changed: no time-based cache, so a change on
 * disk (sky removed, a new version, a chmod another user could exploit) shows on the very next
 * call (issue 14).
 *
 * The paths (installer/status-paths.ts) are those the check reads, lists or trust-walks, and
 * every component met on the way to each through its links: the trust set (actors/trust.ts:
 * every folder above the home and above each link's target too, and python/ down to the
 * interpreter), tools/bin and `sky` (a link added, removed or retargeted), and in sky's
 * environment the receipt, the interpreter, and each site-packages folder (an upgrade renames
 * the dist-info).
 *
 * How a change is learnt: on Linux an inotify watch on each of those folders and on the folder
 * holding each path (installer/disk-watch.ts), so a call with nothing changed costs one poll(2).
 * Elsewhere, or when a folder cannot be watched, the identity (inode, size, mtime, ctime, mode,
 * owner) of every path, stat-ed again on each call. Identities are taken before the check runs,
 * so anything that changes during it differs, or is an event, at the next call.
 */
import { lstatSync } from 'node:fs';
import type { InstallStatus, StatusSettings } from '../machines/types.ts';
import { inotifyWatch, type DiskWatch, type Interest } from './disk-watch.ts';
import { statusPaths, type StatusPaths } from './status-paths.ts';

interface Memo {
  home: string;
  spec: string;
  paths: string[];
  identity: Float64Array;
  answer: Promise<InstallStatus>;
  /** The watch was armed for this answer: it holds while the watch stays quiet, with no stat. */
  watched: boolean;
}

type Lstat = (path: string, opts: { throwIfNoEntry: false }) => { ino: number; size: number; mtimeMs: number; ctimeMs: number; mode: number; uid: number; gid: number } | undefined;

export interface MemoDeps {
  /** How changes are learnt, made at the first read; null: every path stat-ed on each call. */
  watch?: () => DiskWatch | null;
  /** Replaceable so tests can count the stats a call costs. */
  lstat?: Lstat;
}

const FIELDS = 7;

/** Numbers, not a string: formatting the times would cost more than the stats (the point is a cheap call). */
function identityOf(paths: readonly string[], lstat: Lstat): Float64Array {
  const identity = new Float64Array(paths.length * FIELDS);
  paths.forEach((path, i) => writeIdentity(path, identity, i * FIELDS, lstat));
  return identity;
}

function writeIdentity(path: string, into: Float64Array, at: number, lstat: Lstat): void {
  let info: ReturnType<Lstat>;
  try {
    info = lstat(path, { throwIfNoEntry: false });
  } catch {
    info = undefined; // ENOTDIR (a file where a folder was), EACCES: nothing reachable there
  }
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
function unchanged(paths: readonly string[], identity: Float64Array, lstat: Lstat): boolean {
  const now = new Float64Array(FIELDS);
  return paths.every((path, i) => {
    writeIdentity(path, now, 0, lstat);
    return now.every((value, f) => value === identity[i * FIELDS + f]);
  });
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/**
 * What to watch: each of `paths` that exists, itself (a folder for any change of its entries, as
 * its mtime would tell), and the folder holding each path, for that name (created, removed,
 * renamed, written, chmod-ed or chown-ed: IN_ATTRIB). Each path's folder is a real one (every
 * link on the way was followed), so a name is watched where it appears. The folders above the
 * home count only for the next name down, so a file written in /tmp or ~ is no change; the
 * trust walk reads nothing else there.
 */
function watchTargets({ paths, above }: StatusPaths, identity: Float64Array): Map<string, Interest> {
  const targets = new Map<string, Interest>();
  const want = (dir: string, name: string | null) => {
    const had = targets.get(dir);
    if (had !== null) targets.set(dir, name === null ? null : new Set([...(had ?? []), ...(name ? [name] : [])]));
  };
  paths.forEach((path, i) => {
    const slash = path.lastIndexOf('/');
    want(path.slice(0, slash) || '/', path.slice(slash + 1));
    const mode = identity[i * FIELDS + 4] ?? -1;
    if (mode !== -1) want(path, (mode & S_IFMT) === S_IFDIR && above.has(path) ? '' : null);
  });
  return targets;
}

/** Whether the disk still looks as `paths` and `identity` recorded it: read again, after the watches took hold. */
function settled(settings: StatusSettings, paths: readonly string[], identity: Float64Array, lstat: Lstat): boolean {
  const again = statusPaths(settings.home, settings.skypilot_spec).paths;
  return again.length === paths.length && again.every((path, i) => path === paths[i]) && unchanged(paths, identity, lstat);
}

/**
 * A status function that reads the disk only when something it depends on changed; `close()`
 * releases the watch (the next call reads and watches again).
 */
export function memoizedStatus<S extends StatusSettings>(read: (settings: S) => Promise<InstallStatus>, deps: MemoDeps = {}) {
  const lstat = deps.lstat ?? (lstatSync as Lstat);
  // Made once: where there is none (null), asking again on every read would reload libc for nothing.
  let watch: DiskWatch | null = null;
  let watchTried = false;
  let memo: Memo | null = null;
  const holds = (m: Memo) => (m.watched ? (watch?.quiet() ?? false) : unchanged(m.paths, m.identity, lstat));
  const status = async (settings: S): Promise<InstallStatus> => {
    if (memo && memo.home === settings.home && memo.spec === settings.skypilot_spec && holds(memo)) return memo.answer;
    memo = null;
    if (!watchTried) {
      watchTried = true;
      watch = (deps.watch ?? inotifyWatch)();
    }
    const found = statusPaths(settings.home, settings.skypilot_spec);
    const identity = identityOf(found.paths, lstat);
    // The watches first, then the paths and identities again: a change before the watches took
    // hold shows as a difference (the answer is then not kept), one after as an event.
    const watched = watch?.arm(watchTargets(found, identity)) ?? false;
    const keep = !watched || settled(settings, found.paths, identity, lstat);
    // Kept from the start, so calls that come while it reads share it, as long as nothing changed
    // since it began (the same test as a hit): it reads what they would. Without that, eight
    // clients at once each start a read, and each new watch overtakes the last.
    const entry: Memo = { home: settings.home, spec: settings.skypilot_spec, paths: found.paths, identity, watched, answer: read(settings) };
    if (keep) memo = entry;
    entry.answer.catch(() => {
      if (memo === entry) memo = null; // a failure (home_not_trusted) is never kept
    });
    return entry.answer;
  };
  return Object.assign(status, {
    close(): void {
      memo = null;
      watch?.close();
    },
  });
}
