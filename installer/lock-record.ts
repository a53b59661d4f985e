/**
 * What the install lock file says and how to read it (installer/lock.ts takes and keeps it):
 * the owner record {pid, host, boot, token, started, purpose}, whether its pid is alive on this
 * host and boot, and when a lock may be taken over. Doctor and the attempt coordinator read
 * these without taking the lock.
 */
import { constants, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { hostname } from 'node:os';
import { InstallError } from '../machines/errors.ts';

let bootId: string | null | undefined;

export interface LockOwner {
  pid: number;
  host: string;
  /** Linux boot id: a pid from before a reboot names nothing. */
  boot: string | null;
  token: string;
  started: string;
  /** What the holder does: install, upgrade, uninstall. */
  purpose: string;
}

export interface LockState {
  /** Null when the file does not parse (written by something else, or truncated by a full disk). */
  owner: LockOwner | null;
  /** Last heartbeat, ms since the epoch (the file's mtime). */
  heartbeat: number;
}

export function currentBoot(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

export function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** True unless the kernel says no such process (EPERM means it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errno(error) !== 'ESRCH';
  }
}

export function parseOwner(text: string): LockOwner | null {
  try {
    const data = JSON.parse(text) as Partial<LockOwner>;
    if (typeof data.pid !== 'number' || typeof data.host !== 'string' || typeof data.token !== 'string') return null;
    return {
      pid: data.pid,
      host: data.host,
      boot: typeof data.boot === 'string' ? data.boot : null,
      token: data.token,
      started: typeof data.started === 'string' ? data.started : '',
      purpose: typeof data.purpose === 'string' ? data.purpose : 'install',
    };
  } catch {
    return null;
  }
}

/** The lock as it is now, or null when nobody holds it. */
export async function readLock(path: string): Promise<LockState | null> {
  let file;
  try {
    // Not blocking, not through a link: a FIFO there would hang the read (and the Ctrl-C
    // clean-up waiting on it), a link to /dev/zero would never end, and neither is a lock.
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    if (errno(error) === 'ENOENT') return null;
    if (errno(error) === 'ELOOP') throw notALock(path, 'a link');
    throw error;
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) throw notALock(path, info.isDirectory() ? 'a folder' : 'a FIFO or a device');
    return { owner: parseOwner(await file.readFile('utf8')), heartbeat: info.mtimeMs };
  } finally {
    await file.close();
  }
}

/** Something other than the product's lock file at its name: never read as one, never removed. */
function notALock(path: string, what: string): InstallError {
  return new InstallError('locked', `${path} is ${what}, not the install lock`, {
    hint: `Remove ${path} if no carapace-sky install is running, then retry.`,
    detail: `lock: ${path}`,
  });
}

/** Whether `owner` runs on this machine, where its pid can be checked. */
export function sameMachine(owner: LockOwner, host = hostname(), boot = currentBoot()): boolean {
  return owner.host === host && (owner.boot === null || boot === null || owner.boot === boot);
}

export interface StaleInput {
  state: LockState;
  now: number;
  /** How long this waiter has seen the same holder with the same heartbeat. */
  unchangedMs: number;
  staleMs: number;
  confirmMs: number;
  host: string;
  boot: string | null;
  alive?: (pid: number) => boolean;
}

/** Why a lock may be taken over, or null while its holder must be respected. */
export function staleReason(input: StaleInput): string | null {
  const { state, now, host, boot } = input;
  const owner = state.owner;
  if (owner && owner.host === host && owner.boot !== null && boot !== null && owner.boot !== boot) {
    return `its holder (pid ${owner.pid}) ran before this machine restarted`;
  }
  if (owner && sameMachine(owner, host, boot) && !(input.alive ?? pidAlive)(owner.pid)) {
    return `its holder (pid ${owner.pid}) is no longer running`;
  }
  const age = now - state.heartbeat;
  if (age > input.staleMs && input.unchangedMs >= input.confirmMs) {
    return `no heartbeat for ${Math.round(age / 1000)} s`;
  }
  return null;
}

