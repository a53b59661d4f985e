import { OutputError } from './errors.ts';

/** What a command may touch of its process: injectable so tests need no globals. */
export interface CommandIO {
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  cwd: string;
}

/**
 * Writes go through Bun's file sink for the descriptor, flushed on every write: Bun builds
 * process.stdout and process.stderr on first access for about 10 ms of CPU, and node:fs
 * costs 2 ms to load, either one most of a `status` run. One sink per descriptor keeps the
 * writes in order, and it holds what a full pipe cannot take yet until `drain`.
 *
 * A reader that went away (`carapace-sky graph | head -2`) is not an error: like other CLIs
 * it stops the output and nothing else. Any other failure on stdout (a full disk behind a
 * redirect) is an OutputError, never an install error; one on stderr is dropped, as there
 * is nowhere left to say it.
 */
function sinkStream(fd: 1 | 2) {
  let sink: ReturnType<typeof Bun.stdout.writer> | null = null;
  let closed = false;
  let failure: OutputError | null = null;
  const fail = (error: unknown): void => {
    closed = true;
    if (fd === 1 && (error as { code?: unknown } | null)?.code !== 'EPIPE') {
      failure ??= new OutputError(`cannot write to stdout: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  return {
    write(text: string): boolean {
      if (closed) return false;
      try {
        sink ??= (fd === 1 ? Bun.stdout : Bun.stderr).writer();
        sink.write(text);
        const flushed = sink.flush();
        if (flushed instanceof Promise) flushed.catch(fail);
        return true;
      } catch (error) {
        fail(error);
        if (failure) throw failure;
        return false;
      }
    },
    get isTTY() {
      return process.getBuiltinModule('node:tty').isatty(fd);
    },
    /** Only a terminal has a width, and only progress bars ask: the stream's cost does not matter then. */
    get columns() {
      return (fd === 1 ? process.stdout : process.stderr).columns;
    },
    /** Waits for what a full pipe held back; the failure that stopped the output, if any. */
    async drain(): Promise<OutputError | null> {
      if (!closed && sink) await Promise.resolve(sink.flush()).catch(fail);
      return failure;
    },
  };
}

export function processIO(): CommandIO & { drain(): Promise<OutputError | null> } {
  const stdout = sinkStream(1);
  const stderr = sinkStream(2);
  return {
    env: process.env,
    stdout,
    stderr,
    cwd: process.cwd(),
    drain: async () => {
      const [failed] = await Promise.all([stdout.drain(), stderr.drain()]);
      return failed;
    },
  };
}
