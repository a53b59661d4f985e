/**
 * Whether anything in a set of folders and files changed since they were watched, asked
 * synchronously in one system call: Linux inotify, through libc with bun:ffi. The kernel queues
 * an inotify event inside the system call that makes the change (fsnotify runs in the rename,
 * chmod, unlink or write itself), so once a client's `rm` or `chmod` has returned, the next
 * poll(2) sees it.
 * fs.watch would not do: it hands events to the event loop later, so the request right after a
 * change could still get the old answer (issue 14).
 *
 * A mount or unmount is not an inotify event (a bind mount over a watched folder changes what
 * its path names without touching the folder), so the same poll(2) also asks
 * /proc/self/mountinfo, which reports any change of this process's mount table as POLLPRI
 * (proc(5)). Any change of interest, a lost watch, a full queue or a mount ends the watch:
 * quiet() answers false until the caller, having read the disk again, arms it anew.
 *
 * Filesystems whose changes can come from elsewhere (NFS, SMB, FUSE, 9p: another machine
 * writes, no local system call runs) are refused, like a missing libc or a watch limit: arm()
 * returns false and the caller stats every path on each call instead.
 */
import { dlopen, FFIType } from 'bun:ffi';
import { lstatSync, statfsSync } from 'node:fs';

/**
 * For a folder, the entries whose changes count (a link to a folder is followed: the names are
 * watched where it leads); null: every entry, or a file or link watched as itself, not followed.
 * Changes of the watched folder or file itself always count.
 */
export type Interest = ReadonlySet<string> | null;

export interface DiskWatch {
  /** Watches each path afresh (earlier watches are dropped); false when it cannot, watching nothing then. */
  arm(targets: ReadonlyMap<string, Interest>): boolean;
  /** True while nothing watched has changed since arm(): one poll(2). Once false, false until armed again. */
  quiet(): boolean;
  close(): void;
}

// <sys/inotify.h>, <poll.h>, <fcntl.h> (x86-64 and aarch64 values).
const IN_MODIFY = 0x2;
const IN_ATTRIB = 0x4;
const IN_CLOSE_WRITE = 0x8;
const IN_MOVED_FROM = 0x40;
const IN_MOVED_TO = 0x80;
const IN_CREATE = 0x100;
const IN_DELETE = 0x200;
const IN_DELETE_SELF = 0x400;
const IN_MOVE_SELF = 0x800;
const IN_UNMOUNT = 0x2000;
const IN_Q_OVERFLOW = 0x4000;
const IN_IGNORED = 0x8000;
const IN_DONT_FOLLOW = 0x0200_0000;
// No IN_ONLYDIR: files and links are watched too, each as itself (IN_DONT_FOLLOW), because a
// chmod or a write through another name (a hard link elsewhere) reaches the inode's own
// watchers and the folder that name is in, not the folder watched here.
const MASK = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF;
/** Events about the watch itself, never about one entry: always a change. */
const LOST = IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED;
const O_NONBLOCK = 0o4000; // IN_NONBLOCK
const O_CLOEXEC = 0o2000000; // IN_CLOEXEC
const POLLIN = 0x1;
const POLLPRI = 0x2;

/** statfs f_type of filesystems where every change is a local system call (linux/magic.h). */
const LOCAL_FILESYSTEMS = new Set([
  0xef53, // ext2, ext3, ext4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0x858458f6, // ramfs
  0x794c7630, // overlayfs (containers)
  0x2fc12fc1, // zfs
  0xf2f52010, // f2fs
  0xca451a4e, // bcachefs
  0x3153464a, // jfs
  0x52654973, // reiserfs
]);

function libc() {
  const { i32, u32, u64, ptr, cstring } = FFIType;
  return dlopen('libc.so.6', {
    inotify_init1: { args: [i32], returns: i32 },
    inotify_add_watch: { args: [i32, cstring, u32], returns: i32 },
    inotify_rm_watch: { args: [i32, i32], returns: i32 },
    // ssize_t, read as i32: a read returns at most the buffer's 64 KiB, and a BigInt per call costs.
    read: { args: [i32, ptr, u64], returns: i32 },
    poll: { args: [ptr, u64, i32], returns: i32 },
    open: { args: [cstring, i32], returns: i32 },
    close: { args: [i32], returns: i32 },
  }).symbols;
}

const cString = (text: string) => Buffer.from(`${text}\0`);
const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';

function isLocal(path: string): boolean {
  let type: number;
  try {
    type = Number(statfsSync(path).type);
  } catch {
    type = Number(statfsSync(parentOf(path)).type); // a dangling link: it lives in its folder
  }
  return LOCAL_FILESYSTEMS.has(type >>> 0);
}

/** Whether anything is at `path` (ENOTDIR, a file where a folder was, is nothing). */
function present(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

/** An inotify watch, or null where there is none (not Linux, no glibc, no bun:ffi). */
export function inotifyWatch(): DiskWatch | null {
  let c: ReturnType<typeof libc>;
  try {
    if (process.platform !== 'linux') return null;
    c = libc();
  } catch {
    return null;
  }
  // struct pollfd[2] { int fd; short events; short revents; }: the inotify queue, then the mount table.
  const fds = new Int32Array(4);
  const flags = new Int16Array(fds.buffer);
  const events = new Uint8Array(64 * 1024);
  const words = new Int32Array(events.buffer);
  const names = new TextDecoder();
  const interests = new Map<number, Interest>();
  let fd = -1;
  let mounts = -1;
  let armed = false;

  /** Removes every watch and reads away what is queued (older events, an IN_IGNORED for each). */
  function clear(): void {
    for (const wd of interests.keys()) c.inotify_rm_watch(fd, wd);
    interests.clear();
    while (c.read(fd, events, events.length) > 0);
  }

  function merge(wd: number, want: Interest): void {
    const had = interests.get(wd);
    interests.set(wd, had === null || want === null ? null : new Set([...(had ?? []), ...want]));
  }

  /** Watches `path`; a missing one through its parent, for its name. */
  function add(path: string, want: Interest): boolean {
    for (let at = path, wanted = want; ; ) {
      // Names are watched where a link leads: the link's own inode has no entries, no events.
      const wd = c.inotify_add_watch(fd, cString(at), wanted === null ? MASK | IN_DONT_FOLLOW : MASK);
      if (wd >= 0) {
        merge(wd, wanted);
        return isLocal(at);
      }
      // There, yet not watchable (no read permission, the watch limit): nothing is watched.
      if (at === '/' || present(at)) return false;
      wanted = new Set([at.slice(at.lastIndexOf('/') + 1)]);
      at = parentOf(at);
    }
  }

  /** Whether one event is a change the caller cares about. */
  function matters(at: number): boolean {
    const wd = words[at / 4] ?? -1;
    const mask = (words[at / 4 + 1] ?? 0) >>> 0;
    const length = words[at / 4 + 3] ?? 0;
    if (mask & LOST || length === 0) return true;
    const want = interests.get(wd);
    if (!want) return true; // null (every entry) or a watch not asked for
    const name = events.subarray(at + 16, at + 16 + length);
    const end = name.indexOf(0);
    return want.has(names.decode(end < 0 ? name : name.subarray(0, end)));
  }

  /** Reads the queue empty; true when only entries nobody asked about changed. */
  function onlyOthers(): boolean {
    for (let first = true; ; first = false) {
      const n = c.read(fd, events, events.length);
      // poll(2) said readable: an empty or failed first read is not understood, so it is a change.
      if (n <= 0) return !first;
      for (let at = 0; at < n; at += 16 + (words[at / 4 + 3] ?? 0)) if (matters(at)) return false;
    }
  }

  return {
    arm(targets) {
      armed = false;
      try {
        if (mounts < 0) mounts = c.open(cString('/proc/self/mountinfo'), O_CLOEXEC);
        // One queue for the watch's life, its watches replaced: closing an inotify descriptor
        // waits for the kernel's grace period (about 13 ms here), removing a watch does not.
        if (fd < 0 && mounts >= 0) fd = c.inotify_init1(O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) return false;
        clear();
        for (const [path, want] of targets) {
          if (!add(path, want)) {
            clear();
            return false;
          }
        }
      } catch {
        if (fd >= 0) clear(); // statfs or lstat failed: a path changed under us
        return false;
      }
      fds[0] = fd;
      flags[2] = POLLIN;
      fds[2] = mounts;
      flags[6] = POLLPRI;
      armed = true;
      return true;
    },
    quiet() {
      if (!armed) return false;
      // A signal (a profiler's) can interrupt even a poll that does not wait: EINTR, asked again.
      let ready = c.poll(fds, 2, 0);
      for (let tries = 0; ready < 0 && tries < 3; tries++) ready = c.poll(fds, 2, 0);
      if (ready === 0) return true;
      // A mount, an error (revents beyond POLLIN) or a change of interest ends the watch.
      if (ready < 0 || flags[7] !== 0 || flags[3] !== POLLIN || !onlyOthers()) armed = false;
      return armed;
    },
    close() {
      armed = false;
      if (fd >= 0) c.close(fd);
      if (mounts >= 0) c.close(mounts);
      fd = mounts = -1;
      interests.clear();
    },
  };
}
