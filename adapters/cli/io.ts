import { writeSync } from 'node:fs';

/** What a command may touch of its process: injectable so tests need no globals. */
export interface CommandIO {
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  cwd: string;
}

/**
 * Bun builds process.stdout and process.stderr on first access, for about 10 ms of CPU: most
 * of a `status` run. So plain writes go straight to the file descriptor until something needs
 * the stream itself (isTTY, columns, a progress bar), and from then on all go through it.
 */
function lazyStream(fd: 1 | 2, open: () => NodeJS.WriteStream) {
  let stream: NodeJS.WriteStream | null = null;
  const real = () => (stream ??= open());
  return {
    write(text: string): unknown {
      if (stream) return stream.write(text);
      try {
        const bytes = Buffer.from(text);
        for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
        return true;
      } catch {
        // EAGAIN on a non-blocking pipe: the stream knows how to wait.
        return real().write(text);
      }
    },
    get isTTY() {
      return real().isTTY;
    },
    get columns() {
      return real().columns;
    },
  };
}

export function processIO(): CommandIO {
  return {
    env: process.env,
    stdout: lazyStream(1, () => process.stdout),
    stderr: lazyStream(2, () => process.stderr),
    cwd: process.cwd(),
  };
}
