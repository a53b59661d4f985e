/**
 * The task file a launch runs, taken once when the request arrives. sky runs for minutes after
 * the check (install, `sky check aws`), so it must not read the path again: a symlink swapped
 * in between made sky run another user's YAML with this user's cloud credentials (issue 15).
 *
 * So the file is opened once, through a folder chain no other user can change, and checked on
 * the opened descriptor (fstat, not stat of the path): a regular file, owned by this user, not
 * writable by group or others. Its bytes go to a private copy, CARAPACE_HOME/run/launch-*.yaml
 * (0600 in a 0700 folder), which is what sky is given; sky's working directory is the task's
 * own folder, so a relative `workdir` or `file_mounts` source means what it did. The copy is
 * removed when sky ends.
 *
 * The folder chain: every folder from / to the file (symlinks resolved first, then each real
 * folder looked at without following links) must belong to this user or root, and must not be
 * writable by group or others unless it is sticky (like /tmp). In a sticky folder only an
 * entry's owner can rename or remove it, and every entry below it on the chain belongs to this
 * user or root, so nobody else can swap any part of the path between the check and the open.
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { trustedHome } from '../actors/trust.ts';
import { pidAlive } from './lock.ts';
import { LAUNCH_COPY } from './owned.ts';

/** A task YAML is a page of text; a bigger file is not a task. */
export const MAX_TASK_BYTES = 1024 * 1024;
/** Copies left by a gatekeeper that died; older than this and of a dead pid, they are removed. */
const LEFTOVER_MS = 60 * 60_000;
/** S_ISVTX, which node:fs does not export. */
const STICKY = 0o1000;

export type TaskFileProblem = 'invalid_request' | 'task_not_trusted';

/** Why a task file is refused; the gatekeeper answers 400 or 403 with it. */
export class TaskFileError extends Error {
  constructor(
    readonly code: TaskFileProblem,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'TaskFileError';
  }
}

export interface TaskSnapshot {
  /** The path the caller named. */
  task: string;
  /** The private copy sky reads. */
  copy: string;
  /** The real folder of the task file: sky's working directory. */
  cwd: string;
  /** Removes the copy; safe to call more than once. */
  remove(): Promise<void>;
}

const OWN_HINT = 'Launch a task YAML that you own and that only you can write (chmod go-w), in a folder only you (or root) can write.';

function untrusted(message: string): TaskFileError {
  return new TaskFileError('task_not_trusted', message, OWN_HINT);
}

function missing(task: string): TaskFileError {
  return new TaskFileError('invalid_request', `the task file ${task} does not exist or is not a file`, 'Check the path of the task YAML.');
}

/**
 * Kernel file systems: their "files" are the service's environment (/proc/self/environ),
 * devices whose mere opening acts (/dev/cpu_dma_latency), or knobs. No task lives there, and
 * any local caller may name a path when no token is set.
 */
const SYSTEM_TREE = /^\/(?:proc|sys|dev)(?:\/|$)/;

function systemPath(task: string): TaskFileError {
  return new TaskFileError(
    'invalid_request',
    `the task file ${task} is under /proc, /sys or /dev, which hold no task files`,
    'Name a SkyPilot task YAML in your own folders.',
  );
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** Refuses a folder another user could use to replace what is inside it. */
function checkFolder(path: string, info: Stats, me: number): void {
  if (!info.isDirectory()) throw untrusted(`${path} changed while the task file was checked`);
  if (info.uid !== me && info.uid !== 0) throw untrusted(`the folder ${path} belongs to another user (uid ${info.uid})`);
  const sticky = (info.mode & STICKY) !== 0;
  if ((info.mode & 0o022) !== 0 && !sticky) throw untrusted(`the folder ${path} is writable by group or others`);
}

function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    out.unshift(d);
    if (dirname(d) === d) return out;
  }
}

/** Reads the checked task's bytes through one descriptor. */
async function readChecked(task: string, me: number | undefined): Promise<{ bytes: Uint8Array; cwd: string }> {
  if (SYSTEM_TREE.test(resolve(task))) throw systemPath(task);
  let real: string;
  try {
    real = await realpath(task);
  } catch {
    throw missing(task);
  }
  if (SYSTEM_TREE.test(real)) throw systemPath(task);
  const cwd = dirname(real);
  if (me !== undefined) for (const dir of ancestors(cwd)) checkFolder(dir, await lstat(dir), me);
  // Only a regular file is opened: opening a device or a FIFO can act by itself (wake a
  // writer, set a kernel knob). fstat below still checks the file that was opened.
  const entry = await lstat(real).catch(() => null);
  if (!entry?.isFile()) throw missing(task);
  let handle;
  try {
    // O_NOFOLLOW: the last component must still be the file realpath found; O_NONBLOCK: a FIFO
    // put there must not hang the open (fstat refuses it next).
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    if (errno(error) === 'ELOOP') throw untrusted(`the task file ${task} changed into a symbolic link while it was checked`);
    throw missing(task);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw missing(task);
    if (me !== undefined && (info.uid !== me || (info.mode & 0o022) !== 0)) {
      throw untrusted(`the task file ${task} is not owned by this user, or others can write it`);
    }
    if (info.size > MAX_TASK_BYTES) {
      throw new TaskFileError('invalid_request', `the task file ${task} is larger than ${MAX_TASK_BYTES} bytes`, 'Name a SkyPilot task YAML.');
    }
    const buffer = Buffer.alloc(MAX_TASK_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_TASK_BYTES) {
        throw new TaskFileError('invalid_request', `the task file ${task} is larger than ${MAX_TASK_BYTES} bytes`, 'Name a SkyPilot task YAML.');
      }
    }
    return { bytes: buffer.subarray(0, length), cwd };
  } finally {
    await handle.close();
  }
}

/** CARAPACE_HOME/run, private to this user; copies of crashed launches are swept. */
async function runFolder(home: string, me: number | undefined): Promise<string> {
  const dir = join(home, 'run');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  if (!info.isDirectory() || (me !== undefined && info.uid !== me) || (info.mode & 0o077) !== 0) {
    throw untrusted(`${dir} is not a folder private to this user`);
  }
  const now = Date.now();
  for (const name of await readdir(dir)) {
    const pid = Number(LAUNCH_COPY.exec(name)?.[1]);
    if (!pid || pid === process.pid || pidAlive(pid)) continue;
    const entry = await lstat(join(dir, name)).catch(() => null);
    if (entry?.isFile() && now - entry.mtimeMs > LEFTOVER_MS) await rm(join(dir, name), { force: true });
  }
  return dir;
}

/**
 * Checks `task` and copies it for sky. Throws TaskFileError when the file is missing or not
 * trusted; the copy exists only once it is whole (written under a .tmp name, then renamed).
 */
export async function snapshotTask(task: string, home: string): Promise<TaskSnapshot> {
  const me = process.getuid?.();
  const { bytes, cwd } = await readChecked(task, me);
  // The copy goes into the home as resolved and checked, never through a link someone could flip.
  const dir = await runFolder(await trustedHome(home), me);
  const copy = join(dir, `launch-${process.pid}-${randomBytes(8).toString('hex')}.yaml`);
  const staged = `${copy}.tmp`;
  try {
    const out = await open(staged, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await out.writeFile(bytes);
    } finally {
      await out.close();
    }
    await rename(staged, copy);
  } catch (error) {
    await rm(staged, { force: true });
    throw error;
  }
  return { task, copy, cwd, remove: () => rm(copy, { force: true }) };
}
