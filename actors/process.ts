/**
 * Child processes for the actors: execa with argument arrays (never a shell), each child
 * the leader of its own process group so a timeout or a cancel ends it and everything it
 * started (uv spawns Python builds; sky spawns ssh and cloud CLIs).
 *
 * Output is streamed, never buffered whole: `sky launch` follows the job's log and may print
 * gigabytes. execa's own buffer is off (its 100 MB `maxBuffer` killed sky, issue 15); a
 * result keeps only the last TAIL_CHARS of each stream, and a line longer than
 * MAX_LINE_CHARS reaches the callback cut short, so memory stays bounded whatever the child prints.
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
  /** The child's working directory; the parent's when absent. */
  cwd?: string;
}

export interface RunResult {
  exitCode: number;
  /** The whole output when short, else its last TAIL_CHARS characters. */
  stdout: string;
  stderr: string;
}

/** Per stream: far more than any error detail shows (machines/errors.ts `tail`), and still small. */
export const TAIL_CHARS = 64 * 1024;
/** A longer line is cut here: a child printing without newlines must not grow one string forever. */
export const MAX_LINE_CHARS = 8 * 1024;

const KILL_GRACE_MS = 3_000;

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

interface LineBuffer {
  text: string;
  /** Characters dropped from the current line since it reached MAX_LINE_CHARS. */
  dropped: number;
}

function finish(line: string, dropped: number): string {
  return dropped > 0 ? `${line} … [${dropped} more characters not shown]` : line;
}

function* lines(buffer: LineBuffer, chunk: string, flush = false): Generator<string> {
  const parts = (buffer.text + chunk).split(/\r?\n|\r/);
  let rest = flush ? '' : (parts.pop() ?? '');
  for (const [i, part] of parts.entries()) {
    const dropped = i === 0 ? buffer.dropped : 0;
    if (i === 0) buffer.dropped = 0;
    if (part.trim() !== '') yield finish(part.slice(0, MAX_LINE_CHARS), dropped + Math.max(0, part.length - MAX_LINE_CHARS));
  }
  if (rest.length > MAX_LINE_CHARS) {
    buffer.dropped += rest.length - MAX_LINE_CHARS;
    rest = rest.slice(0, MAX_LINE_CHARS);
  }
  buffer.text = rest;
}

function keepTail(kept: string, chunk: string): string {
  const text = kept + chunk;
  return text.length > TAIL_CHARS ? text.slice(-TAIL_CHARS) : text;
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
    encoding: 'utf8',
  });

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
  const outBuf: LineBuffer = { text: '', dropped: 0 };
  const errBuf: LineBuffer = { text: '', dropped: 0 };
  // execa's `encoding` applies to the result, not to the streams: decode them ourselves, or
  // a multi-byte character (uv's `×`, `╰─▶`) split across two reads turns into U+FFFD.
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    stdout = keepTail(stdout, chunk);
    if (opts.onStdoutLine) for (const line of lines(outBuf, chunk)) opts.onStdoutLine(line);
  });
  child.stderr?.on('data', (chunk: string) => {
    stderr = keepTail(stderr, chunk);
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
    opts.signal?.removeEventListener('abort', onAbort);
    clearTimeout(watchdog);
    clearTimeout(killTimer);
  }
}
