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
 */
function sinkStream(fd: 1 | 2) {
  let sink: ReturnType<typeof Bun.stdout.writer> | null = null;
  return {
    write(text: string): unknown {
      sink ??= (fd === 1 ? Bun.stdout : Bun.stderr).writer();
      sink.write(text);
      return sink.flush();
    },
    get isTTY() {
      return process.getBuiltinModule('node:tty').isatty(fd);
    },
    /** Only a terminal has a width, and only progress bars ask: the stream's cost does not matter then. */
    get columns() {
      return (fd === 1 ? process.stdout : process.stderr).columns;
    },
    async drain(): Promise<void> {
      await sink?.flush();
    },
  };
}

export function processIO(): CommandIO & { drain(): Promise<void> } {
  const stdout = sinkStream(1);
  const stderr = sinkStream(2);
  return {
    env: process.env,
    stdout,
    stderr,
    cwd: process.cwd(),
    drain: async () => {
      await Promise.all([stdout.drain(), stderr.drain()]);
    },
  };
}
