/**
 * Child processes for the actors: execa with argument arrays (never a shell), each child
 * the leader of its own process group so a timeout or a cancel ends it and everything it
 * started (uv spawns Python builds; sky spawns ssh and cloud CLIs).
 */
import { execa } from 'execa';
import { InstallError, tail } from '../machines/errors.ts';

export interface RunOptions {
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** Ends the whole process group with `timeout` when exceeded. */
  timeoutMs?: number;
  onStderrLine?: (line: string) => void;
  onStdoutLine?: (line: string) => void;
  /** What the command is, for messages: "uv tool install". */
  label: string;
}

export interface RunResult {
  exitCode: number;
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

function* lines(buffer: { text: string }, chunk: string, flush = false): Generator<string> {
  buffer.text += chunk;
  const parts = buffer.text.split(/\r?\n|\r/);
  buffer.text = flush ? '' : (parts.pop() ?? '');
  for (const part of parts) if (part.trim() !== '') yield part;
}

/** Runs a command to completion; a non-zero exit is returned, not thrown. */
export async function runProcess(file: string, args: string[], opts: RunOptions): Promise<RunResult> {
  opts.signal?.throwIfAborted();
  const child = execa(file, args, {
    env: opts.env as Record<string, string>,
    extendEnv: false,
    detached: true,
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    encoding: 'utf8',
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

  let stdout = '';
  let stderr = '';
  const outBuf = { text: '' };
  const errBuf = { text: '' };
  // execa's `encoding` applies to the result, not to the streams: decode them ourselves, or
  // a multi-byte character (uv's `×`, `╰─▶`) split across two reads turns into U+FFFD.
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk;
    if (opts.onStdoutLine) for (const line of lines(outBuf, chunk)) opts.onStdoutLine(line);
  });
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
    if (opts.onStderrLine) for (const line of lines(errBuf, chunk)) opts.onStderrLine(line);
  });

  try {
    const result = await child;
    if (opts.onStdoutLine) for (const line of lines(outBuf, '', true)) opts.onStdoutLine(line);
    if (opts.onStderrLine) for (const line of lines(errBuf, '', true)) opts.onStderrLine(line);
    // The leader may exit before its children; make sure nothing it started outlives a stop.
    if (ended) killGroup(child.pid, 'SIGKILL');
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
