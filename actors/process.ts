/**
 * Child processes for the actors: execa with argument arrays (never a shell), each child
 * the leader of its own process group so a timeout or a cancel ends it and everything it
 * started (uv spawns Python builds; sky spawns ssh and cloud CLIs).
 *
 * Output is streamed, never buffered whole: `sky launch` follows the job's log and may print
 * gigabytes. execa's own buffer is off (its 100 MB `maxBuffer` killed sky, issue 15); each
 * stream goes through OutputLines (lines for the callbacks, a bounded tail for the result),
 * so memory stays bounded whatever the child prints.
 */
import { execa } from 'execa';
import { InstallError, tail } from '../machines/errors.ts';
import { OutputLines } from './output-lines.ts';

export interface RunOptions {
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** Ends the whole process group with `timeout` when exceeded. */
  timeoutMs?: number;
  onStderrLine?: (line: string) => void;
  onStdoutLine?: (line: string) => void;
  /** What the command is, for messages: "uv tool install". */
  label: string;
  /** The child's working directory; the parent's when absent. */
  cwd?: string;
}

export interface RunResult {
  exitCode: number;
  /** The whole output when short, else its last TAIL_BYTES (output-lines.ts). */
  stdout: string;
  stderr: string;
}

const KILL_GRACE_MS = 3_000;

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Groups of children still running. A process that exits before their clean-up finishes (a
 * second Ctrl-C exits at once, during the SIGTERM grace) takes them with it, rather than leave
 * uv orphaned with the lock released.
 */
const liveGroups = new Set<number>();
let killOnExit = false;

function trackGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  if (!killOnExit) {
    killOnExit = true;
    process.on('exit', () => {
      for (const group of liveGroups) killGroup(group, 'SIGKILL');
    });
  }
  liveGroups.add(pid);
}

/**
 * Each line read becomes garbage once handed on (redacted, framed for the event stream), and
 * JSC lets that garbage grow the heap before it collects: while sky printed 1 GB the service
 * went from 60 MB idle to 132 MB without this, 101 MB with it (docs/performance.md). A
 * synchronous collection every GC_EVERY_BYTES read costs a few ms on a heap of some 20 MB.
 */
const GC_EVERY_BYTES = 4 * 1024 * 1024;
let sinceGc = 0;
function collectEvery(bytes: number): void {
  sinceGc += bytes;
  if (sinceGc < GC_EVERY_BYTES) return;
  sinceGc = 0;
  (globalThis as { Bun?: { gc(sync: boolean): void } }).Bun?.gc(true);
}

/** Runs a command to completion; a non-zero exit is returned, not thrown. */
export async function runProcess(file: string, args: string[], opts: RunOptions): Promise<RunResult> {
  opts.signal?.throwIfAborted();
  const child = execa(file, args, {
    env: opts.env as Record<string, string>,
    extendEnv: false,
    detached: true,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    // Off: execa would keep every byte and kill the child past `maxBuffer`.
    buffer: false,
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    // Bytes: OutputLines decodes whole lines, so a character split across reads arrives whole.
    encoding: 'buffer',
  });

  trackGroup(child.pid);
  let ended: 'timeout' | 'cancelled' | null = null;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (why: 'timeout' | 'cancelled') => {
    if (ended) return;
    ended = why;
    killGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  const onAbort = () => stop('cancelled');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const watchdog = opts.timeoutMs ? setTimeout(() => stop('timeout'), opts.timeoutMs) : undefined;

  const out = new OutputLines(opts.onStdoutLine);
  const err = new OutputLines(opts.onStderrLine);
  // Pulled, not pushed: a slow consumer (redaction, the event stream) holds sky back through
  // the pipe instead of queueing what it printed in this process.
  const pump = async (stream: NodeJS.ReadableStream | null, into: OutputLines) => {
    if (!stream) return;
    try {
      for await (const chunk of stream) {
        collectEvery(chunk.length);
        into.push(chunk as Buffer);
      }
    } catch {
      // A child that could not start, or was killed, closes its pipes early (Node's "Premature
      // close"): what it printed so far is kept, and its result says what happened.
    }
  };
  const pumped = Promise.all([pump(child.stdout, out), pump(child.stderr, err)]);

  try {
    const result = await child;
    // The leader may exit before its children; make sure nothing it started outlives a stop
    // (nor holds its pipes open, which the pumps below wait for).
    if (ended) killGroup(child.pid, 'SIGKILL');
    await pumped;
    out.end();
    err.end();
    const stdout = out.tail();
    const stderr = err.tail();
    if (ended === 'cancelled') {
      throw new InstallError('cancelled', `${opts.label} was cancelled`, { detail: tail(stderr) || null });
    }
    if (ended === 'timeout') {
      throw new InstallError('timeout', `${opts.label} did not finish within ${Math.round(opts.timeoutMs! / 1000)} s`, {
        detail: tail(stderr) || null,
      });
    }
    if (result.failed && result.exitCode === undefined) {
      const cause = (result as { cause?: unknown }).cause;
      throw cause instanceof Error ? cause : new Error(result.message);
    }
    return { exitCode: result.exitCode ?? 1, stdout, stderr };
  } finally {
    if (child.pid !== undefined) liveGroups.delete(child.pid);
    opts.signal?.removeEventListener('abort', onAbort);
    clearTimeout(watchdog);
    clearTimeout(killTimer);
  }
}
