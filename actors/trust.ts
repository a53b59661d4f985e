/**
 * Whether the product may run what CARAPACE_HOME holds. A folder, link or file that another
 * user owns, or can write, lets that user swap `uv`, `sky` or SkyPilot's Python for their own
 * program, which would then run as this user with this user's cloud credentials. Such a home
 * is not run from, nor written to: callers stop with `home_not_trusted` first.
 *
 * Paths are walked from `/` one component at a time with lstat, the way the kernel resolves
 * them, so a link is checked itself (its owner) and then everything it leads to: a folder
 * above the home another user can write (F2: a home reached through /tmp/<theirs>/), a
 * `tools/bin/sky` link, or the environment's `bin/python` link into python/ all count.
 * Above the home, a folder may be root's and may be world-writable when sticky (/tmp), the
 * rule installer/task-file.ts uses; inside it, everything must be this user's. Group write
 * is allowed only for this user's own primary group (the per-user group of umask 002), and
 * on Linux only without an access ACL, whose mask those bits may be. Elsewhere (macOS, a libc
 * other than glibc) ACLs are not read: the mode bits are all that is judged.
 * node:fs is loaded for lstat and readlink, which Bun's file calls lack (docs/performance.md).
 */
import type { Layout } from './layout.ts';

const STICKY = 0o1000;

type Info = { uid: number; gid: number; mode: number; isSymbolicLink(): boolean; isDirectory(): boolean };

class Untrusted {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {}
}

/** Why `info` of `path` lets another user change what it is, or null when it does not. */
function foreign(path: string, info: Info, inside: boolean, me: number): string | null {
  if (info.uid !== me && (inside || info.uid !== 0)) return `${path} is owned by uid ${info.uid}, not by this user (uid ${me})`;
  // A link's own mode is always 0777 and means nothing: only its owner may replace it.
  if (info.isSymbolicLink()) return null;
  const sticky = !inside && info.isDirectory() && (info.mode & STICKY) !== 0;
  if (info.mode & 0o002 && !sticky) return `${path} is writable by every user`;
  if (!(info.mode & 0o020) || sticky) return null;
  if (info.gid !== process.getgid?.()) return `${path} is writable by group ${info.gid}`;
  // With an access ACL the group bits are its mask (acl(5)), and any named user or group entry
  // with write forces write into the mask: the group write that looks like our own group's may
  // be someone else's. Without write in the mask no named entry can write, so only this case
  // needs the ACL read. Default ACLs on folders are not refused: the product creates its files
  // with explicit 0600/0700 modes, whose empty group bits become the new file's mask, and what
  // uv creates under one inherits it as an access ACL, found here once a named entry can write.
  return accessAcl(path);
}

// <errno.h> on Linux (the same on x86-64 and aarch64).
const ENOENT = 2;
const ENOTDIR = 20;
const ENODATA = 61;
const ENOTSUP = 95;

/** The size of `path`'s access ACL, or minus the errno of lgetxattr(2). */
type AclProbe = (path: string) => number;
let aclProbe: AclProbe | null | undefined;

/** lgetxattr through libc with bun:ffi; null where there is none (not Linux, no glibc). */
function loadAclProbe(): AclProbe | null {
  if (process.platform !== 'linux') return null;
  try {
    const { dlopen, FFIType, read } = process.getBuiltinModule('bun:ffi') as typeof import('bun:ffi');
    const { ptr, cstring, u64, i64_fast } = FFIType;
    const c = dlopen('libc.so.6', {
      lgetxattr: { args: [cstring, cstring, ptr, u64], returns: i64_fast },
      __errno_location: { args: [], returns: ptr },
    }).symbols;
    const name = Buffer.from('system.posix_acl_access\0');
    return (path) => {
      const size = Number(c.lgetxattr(Buffer.from(`${path}\0`), name, null, 0));
      // Read at once: no other call in between can have set errno.
      return size >= 0 ? size : -read.i32(c.__errno_location()!, 0);
    };
  } catch {
    return null;
  }
}

/** Why `path`'s access ACL may let others write it, or null when it has none or ACLs cannot be read here. */
function accessAcl(path: string): string | null {
  // Loaded on first need only: status pays for FFI only when a path shows our group's write.
  if (aclProbe === undefined) aclProbe = loadAclProbe();
  if (aclProbe === null) return null;
  const found = aclProbe(path);
  if (found >= 0) return `${path} has an access ACL (setfacl) that may grant others write`;
  // No ACL, a filesystem without ACLs, or gone since the lstat (the walk's next step sees that).
  if ([ENODATA, ENOTSUP, ENOENT, ENOTDIR].includes(-found)) return null;
  const name = Object.entries(process.getBuiltinModule('node:os').constants.errno).find(([, n]) => n === -found)?.[0];
  return `${path} may have an access ACL that cannot be read (${name ?? `errno ${-found}`})`;
}

const nodeFs = () => process.getBuiltinModule('node:fs');

/**
 * null when nothing is at `path` as far as this user can tell (ENOENT, ENOTDIR, EACCES: the
 * kernel fails there for this user too). Any other failure (ENAMETOOLONG, ELOOP, EIO) means
 * the walk cannot see what the kernel may still reach, link by link: refused.
 */
function lstatOrNull(path: string): Info | null {
  try {
    return nodeFs().lstatSync(path, { throwIfNoEntry: false }) ?? null;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOTDIR' || code === 'EACCES') return null;
    throw new Untrusted(path, `${path} cannot be checked (${typeof code === 'string' ? code : String(error)})`);
  }
}

/**
 * What the walks of one read learnt, so checks that share it look at each component once: a
 * status read walks the home, uv, the tool folders and the environment, all below the same
 * folders, and the `sky` link twice. A component is kept with the rule it passed (`inside`,
 * the strict one, also answers for the other) and, for a link, its target. One per read,
 * never kept: the next read looks at the disk again.
 */
export class TrustWalk {
  private readonly known = new Map<string, { inside: boolean; target: string | null }>();

  /** undefined when `path` still needs a look under this rule; else null, or a link's target. */
  recall(path: string, inside: boolean): string | null | undefined {
    const entry = this.known.get(path);
    return entry && (entry.inside || !inside) ? entry.target : undefined;
  }

  remember(path: string, inside: boolean, target: string | null): void {
    this.known.set(path, { inside, target });
  }
}

/** What a component is after its checks: null for a folder or file, a link's target, or undefined when missing. */
function look(next: string, inside: boolean, me: number): string | null | undefined {
  const info = lstatOrNull(next);
  // Missing, or not reachable (ENOTDIR, EACCES): nothing there can be run, and what the
  // caller does next fails on its own with a message that says why.
  if (!info) return undefined;
  const reason = foreign(next, info, inside, me);
  if (reason) throw new Untrusted(next, reason);
  if (!info.isSymbolicLink()) return null;
  try {
    return nodeFs().readlinkSync(next);
  } catch {
    return undefined; // replaced since the lstat: as missing
  }
}

/** More links than this in one path is a loop (Linux's MAXSYMLINKS). */
const MAX_LINKS = 40;

interface Resolved {
  /** The path resolved to; or the first component missing, or the link that made a loop. */
  end: string;
  /** What was left to resolve after `end` when it is missing. */
  rest: string[];
  missing: boolean;
  /** More than MAX_LINKS links were followed. */
  loop: boolean;
}

/**
 * Takes absolute `path` one component at a time, the way the kernel resolves it: `.` and `..`
 * apply to the path so far, a link's target is spliced in (from `/` when absolute). The trust
 * walk and the status memo's path set (installer/status-paths.ts) both resolve with this, so
 * the components one checks are the components the other watches. `look` says what each
 * component `next` (reached from the folder `done`) is: null for anything but a link, a
 * link's target, or undefined when nothing is there, which ends the walk.
 */
export function resolvePath(path: string, look: (next: string, done: string) => string | null | undefined): Resolved {
  const parts = path.split('/').filter(Boolean);
  let done = '';
  for (let links = 0; parts.length > 0; ) {
    const name = parts.shift() as string;
    if (name === '.') continue;
    if (name === '..') {
      done = done.slice(0, done.lastIndexOf('/'));
      continue;
    }
    const next = `${done}/${name}`;
    const target = look(next, done);
    if (target === undefined) return { end: next, rest: parts, missing: true, loop: false };
    if (target === null) {
      done = next;
      continue;
    }
    if (++links > MAX_LINKS) return { end: next, rest: parts, missing: false, loop: true };
    parts.unshift(...target.split('/').filter(Boolean));
    if (target.startsWith('/')) done = '';
  }
  return { end: done || '/', rest: [], missing: false, loop: false };
}

/**
 * Checks every component of absolute `path`, following links; returns the path it resolves to
 * (a missing tail is appended as it is: nothing there can run). `home` is the resolved home,
 * inside which the strict rule applies; `memo` skips components already checked.
 */
function walk(path: string, home: string | null, me: number, memo: TrustWalk): string {
  const resolved = resolvePath(path, (next, done) => {
    const inside = home !== null && (next === home || next.startsWith(`${home}/`));
    let target = memo.recall(next, inside);
    if (target === undefined) {
      target = look(next, inside, me);
      if (target === undefined) {
        if (home !== null) openToOthers(next, done || '/', home);
        return undefined;
      }
      memo.remember(next, inside, target);
    }
    return target;
  });
  if (resolved.loop) throw new Untrusted(path, `${path} has too many symbolic links`);
  return resolved.missing ? [resolved.end, ...resolved.rest].join('/') : resolved.end;
}

/**
 * A name missing from a folder every user can write (a sticky /tmp) is a name another user
 * may create between this check and the use of the path: a link there from the home
 * (`tools -> /tmp/t`) would then lead into their folder. Refused, except for the home and the
 * folders above it, whose absence callers handle before anything under them is touched.
 */
function openToOthers(missing: string, folder: string, home: string): void {
  if (home === missing || home.startsWith(`${missing}/`)) return;
  const info = lstatOrNull(folder);
  if (info && info.mode & 0o002) throw new Untrusted(missing, `${missing} does not exist, in ${folder}, which every user can write: another user could put their own there`);
}

/** Whether `path` is a link, from what a walk already saw there when it did. */
function isLink(path: string, memo: TrustWalk): boolean {
  const known = memo.recall(path, false);
  return known === undefined ? lstatOrNull(path)?.isSymbolicLink() === true : known !== null;
}

async function refuse(error: Untrusted): Promise<never> {
  // Loaded only on refusal: status runs this check every time.
  const { InstallError } = await import('../machines/errors.ts');
  throw new InstallError('home_not_trusted', `${error.reason}; nothing in it is run`, { detail: `path: ${error.path}` });
}

async function guarded<T>(run: (me: number) => T, fallback: T): Promise<T> {
  const me = process.getuid?.();
  if (me === undefined) return fallback;
  try {
    return run(me);
  } catch (error) {
    if (error instanceof Untrusted) return refuse(error);
    throw error;
  }
}

/**
 * CARAPACE_HOME with every link resolved, once every folder on the way and the home itself
 * were found this user's (or root's, above it). Every operation uses this path after: a link
 * flipped later cannot move it elsewhere. Throws `home_not_trusted`.
 */
export function trustedHome(home: string, memo = new TrustWalk()): Promise<string> {
  const wanted = home.length > 1 && home.endsWith('/') ? home.slice(0, -1) : home;
  return guarded((me) => {
    const resolved = walk(wanted, null, me, memo);
    // The home itself under the inside rule: root's is not enough there, nor a sticky bit.
    const info = lstatOrNull(resolved);
    const reason = info ? foreign(resolved, info, true, me) : null;
    if (reason) throw new Untrusted(resolved, reason);
    if (info && !info.isSymbolicLink()) memo.remember(resolved, true, null);
    return resolved;
  }, wanted);
}

/** The files whose owners decide what `uv` runs. */
export function uvPaths(layout: Layout): string[] {
  return [layout.uvBinDir, layout.uv];
}

/**
 * What decides what `sky` runs: the tool folders, the generations, the `sky` link and where it
 * leads, the environment, and its interpreter through to the Python under python/.
 */
export function toolEnvPaths(layout: Layout, envDir: string | null): string[] {
  return [layout.toolsDir, layout.toolBinDir, layout.toolDir, layout.generationsDir, layout.pythonDir, layout.sky, ...(envDir ? [envDir, `${envDir}/bin`, `${envDir}/bin/python`] : [])];
}

/**
 * Throws `home_not_trusted` naming the first of `paths` (under the resolved `home`) that
 * another user controls, or whose chain of links does.
 */
export function assertTrusted(home: string, paths: readonly string[], memo = new TrustWalk()): Promise<void> {
  return guarded((me) => {
    for (const path of paths) walk(path, home, me, memo);
  }, undefined);
}

/**
 * Why the `sky` link does not lead into SkyPilot's environment `envDir`, or null when it does
 * (or is not a link). Such a link is not uv's: it is not run, and an install replaces it.
 */
export function skyOutside(home: string, sky: string, envDir: string, memo = new TrustWalk()): Promise<string | null> {
  return guarded((me) => {
    if (!isLink(sky, memo)) return null;
    const real = walk(sky, home, me, memo);
    const env = walk(envDir, home, me, memo);
    return real.startsWith(`${env}/`) ? null : `${sky} leads to ${real}, outside SkyPilot's environment ${env}`;
  }, null);
}

/**
 * Checks the folders the product writes in (logs/, staging/, cache/, run/) are real folders
 * of this user's when they exist: a link there would send logs, clean-up or log pruning into
 * someone else's folder. A missing one is created later inside the checked home, which no
 * one else can write. Call after trustedHome.
 */
export function assertOwnFolders(folders: readonly string[]): Promise<void> {
  return guarded((me) => {
    for (const folder of folders) {
      const info = lstatOrNull(folder);
      if (!info) continue;
      if (!info.isDirectory()) throw new Untrusted(folder, `${folder} is not a folder (a link or a file is there)`);
      const reason = foreign(folder, info, true, me);
      if (reason) throw new Untrusted(folder, reason);
    }
  }, undefined);
}
