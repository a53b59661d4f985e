/**
 * The cross-process install lock: one file, CARAPACE_HOME/install.lock, holding who owns it
 * ({pid, host, boot, token, started, purpose}). The app's gatekeeper, `bin/setup` and a
 * terminal may all install at once; whoever holds the lock does the work, the others wait.
 *
 * Why a file and not flock(2): neither Bun nor Node exposes flock, and a file works on a home
 * shared between hosts, where a pid means nothing. So liveness has two signals:
 * - the holder's pid, trusted only on the same host and boot;
 * - a heartbeat, the file's mtime, touched every 10 s. Touching in place never exposes a
 *   half-written file and never replaces a lock another process took over.
 * A lock is stale when its pid is dead on this host, or its heartbeat is older than 2 minutes
 * and this waiter itself watched it stand still for a while. The second condition is for
 * laptops: after a sleep every heartbeat looks old, yet the holder wakes up too and touches the
 * lock within one interval, so a waiter must not take it over on the first look.
 *
 * Creation is atomic: the record is written to a private file, then hard-linked to the lock
 * path (link fails with EEXIST when the lock is held), so a reader never sees half a record.
 * Taking over a stale lock goes through a claim file (see takeOver). Should all of that still
 * be beaten by an unlucky interleaving, the loser learns at its next heartbeat that the lock
 * is no longer in its name (`onLost`).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { InstallError } from '../machines/errors.ts';
import { lockTempPath, takeoverPath } from './owned.ts';
import { currentBoot, errno, parseOwner, pidAlive, readLock, sameMachine, staleReason, type LockOwner, type LockState } from './lock-record.ts';

export { pidAlive, readLock, sameMachine, staleReason, type LockOwner, type LockState, type StaleInput } from './lock-record.ts';

export interface LockOptions {
  purpose?: string;
  signal?: AbortSignal;
  /** Called once for each holder this process starts waiting behind. */
  onWait?: (holder: LockOwner) => void;
  /** When false, a live holder makes acquire fail at once with code `locked`. */
  wait?: boolean;
  heartbeatMs?: number;
  staleMs?: number;
  pollMs?: number;
  /** How long a waiter must see an old heartbeat stand still before taking the lock over. */
  confirmMs?: number;
  now?: () => number;
  /** For tests: a pid/host to write instead of this process's. */
  identity?: Partial<Pick<LockOwner, 'pid' | 'host' | 'boot'>>;
}

export interface LockLease {
  readonly owner: LockOwner;
  readonly path: string;
  /** Holders this process waited behind before it got the lock, oldest first. */
  readonly waitedOn: LockOwner[];
  /** True once a heartbeat found the lock in someone else's name. */
  readonly lost: boolean;
  onLost(listener: () => void): void;
  release(): Promise<void>;
}

export const HEARTBEAT_MS = 10_000;
export const STALE_MS = 120_000;
const POLL_MS = 200;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Creates `path` holding `record` unless it exists: a hard link of the complete private file
 * `mine`, so nobody ever reads half a record. On file systems without hard links (some FUSE
 * and SMB mounts) an exclusive create is the fallback; a half-written record then reads as a
 * garbled lock, which is respected until its heartbeat is old.
 */
async function createExclusive(path: string, mine: string, record: string): Promise<boolean> {
  try {
    await link(mine, path);
    return true;
  } catch (error) {
    if (errno(error) === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(errno(error) ?? '')) throw error;
  }
  try {
    await writeFile(path, record, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (error) {
    if (errno(error) === 'EEXIST') return false;
    throw error;
  }
}

/** A takeover claim older than this was left by a process that died while holding it. */
const CLAIM_STALE_MS = 10_000;

/**
 * Removes a stale lock, if it is still the one judged stale. Takeovers are serialised by a
 * claim file (created the same way as the lock), so of several waiters that saw the same stale
 * lock only one removes it, and none removes the fresh lock a faster one has just taken.
 * A claim lives for two system calls; one older than CLAIM_STALE_MS is from a crash.
 */
async function takeOver(path: string, stale: LockState, mine: string, record: string, now: () => number): Promise<boolean> {
  const claim = takeoverPath(path);
  if (!(await createExclusive(claim, mine, record))) {
    const other = await readLock(claim).catch(() => null);
    const dead = other?.owner && sameMachine(other.owner) && !pidAlive(other.owner.pid);
    if (other && (dead || now() - other.heartbeat > CLAIM_STALE_MS)) await unlink(claim).catch(() => {});
    return false;
  }
  try {
    const current = await readLock(path);
    if (!current || current.owner?.token !== stale.owner?.token || current.heartbeat !== stale.heartbeat) return false;
    await unlink(path);
    return true;
  } finally {
    await unlink(claim).catch(() => {});
  }
}

function cancelled(holder: LockOwner | null): InstallError {
  const who = holder ? ` (pid ${holder.pid})` : '';
  return new InstallError('cancelled', `stopped waiting for another installer${who}`);
}

function describe(owner: LockOwner): string {
  return owner.host === hostname() ? `pid ${owner.pid}` : `pid ${owner.pid} on ${owner.host}`;
}

export function lockedError(holder: LockOwner | null, path: string): InstallError {
  const what = holder ? `${holder.purpose === 'install' ? 'an install' : `an ${holder.purpose}`} is running (${describe(holder)})` : 'another installer holds the lock';
  return new InstallError('locked', what, {
    detail: holder ? `lock: ${path}\nstarted: ${holder.started}` : `lock: ${path}`,
  });
}

/** Takes the lock, waiting for live holders and taking over stale ones. */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<LockLease> {
  const now = opts.now ?? Date.now;
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  const staleMs = opts.staleMs ?? STALE_MS;
  const confirmMs = opts.confirmMs ?? Math.min(staleMs / 4, 3 * heartbeatMs);
  const pollMs = opts.pollMs ?? POLL_MS;
  const host = opts.identity?.host ?? hostname();
  const boot = opts.identity?.boot !== undefined ? opts.identity.boot : currentBoot();
  const owner: LockOwner = {
    pid: opts.identity?.pid ?? process.pid,
    host,
    boot,
    token: randomBytes(12).toString('hex'),
    started: new Date(now()).toISOString(),
    purpose: opts.purpose ?? 'install',
  };
  const mine = lockTempPath(path, owner.pid, owner.token);
  const record = JSON.stringify(owner) + '\n';
  try {
    await writeFile(mine, record, { mode: 0o600 });
  } catch (error) {
    // A full disk fails the write after the file was created: leave no empty record behind.
    await unlink(mine).catch(() => {});
    throw error;
  }

  const waitedOn: LockOwner[] = [];
  let watched: { token: string | null; heartbeat: number; since: number } | null = null;
  try {
    for (;;) {
      if (opts.signal?.aborted) throw cancelled(waitedOn.at(-1) ?? null);
      // The lock's first heartbeat is the moment it is taken, not when this waiter started.
      const fresh = new Date(now());
      // Another host on a shared home may have swept the record as a dead process's leftover.
      await utimes(mine, fresh, fresh).catch(() => writeFile(mine, record, { mode: 0o600 }));
      if (await createExclusive(path, mine, record)) break;
      const state = await readLock(path);
      if (!state) continue;
      const token = state.owner?.token ?? null;
      const seenAt = performance.now();
      if (!watched || watched.token !== token || watched.heartbeat !== state.heartbeat) {
        watched = { token, heartbeat: state.heartbeat, since: seenAt };
      }
      const stale = staleReason({
        state,
        now: now(),
        unchangedMs: seenAt - watched.since,
        staleMs,
        confirmMs,
        host,
        boot: boot ?? null,
      });
      if (stale) {
        if (!(await takeOver(path, state, mine, record, now))) await sleep(Math.min(pollMs, 20), opts.signal);
        continue;
      }
      if (opts.wait === false) throw lockedError(state.owner, path);
      if (state.owner && waitedOn.at(-1)?.token !== state.owner.token) {
        waitedOn.push(state.owner);
        opts.onWait?.(state.owner);
      }
      await sleep(pollMs, opts.signal);
    }
  } finally {
    await unlink(mine).catch(() => {});
  }
  return lease(path, owner, waitedOn, heartbeatMs);
}

function lease(path: string, owner: LockOwner, waitedOn: LockOwner[], heartbeatMs: number): LockLease {
  let lost = false;
  let released = false;
  const lostListeners: Array<() => void> = [];
  const ours = async () => (await readLock(path).catch(() => null))?.owner?.token === owner.token;
  const beat = async () => {
    if (released || lost) return;
    if (await ours()) {
      const t = new Date();
      await utimes(path, t, t).catch(() => {});
      return;
    }
    if (released) return;
    lost = true;
    clearInterval(timer);
    for (const listener of lostListeners) listener();
  };
  const timer = setInterval(() => void beat(), heartbeatMs);
  // The heartbeat alone must not keep a process alive once its work is done.
  timer.unref?.();
  // A CLI that exits on Ctrl-C before the attempt's cleanup ran still frees the lock at once
  // instead of leaving a dead pid for the next process to notice.
  const onExit = () => {
    try {
      if (parseOwner(readFileSync(path, 'utf8'))?.token === owner.token) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
  process.once('exit', onExit);
  return {
    owner,
    path,
    waitedOn,
    get lost() {
      return lost;
    },
    onLost(listener) {
      lostListeners.push(listener);
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      process.removeListener('exit', onExit);
      if (await ours()) await unlink(path).catch(() => {});
    },
  };
}
