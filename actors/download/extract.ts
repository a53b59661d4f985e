/**
 * Unpacks uv and uvx from a release archive as its bytes arrive, into a staging folder only.
 * A release holds one top folder with `uv` and `uvx` (strip 1); anything that could write
 * elsewhere or be swapped for something else (absolute paths, `..`, links, devices, huge
 * entries) makes the whole archive invalid. Nothing here touches a final path.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { InstallError } from '../../machines/errors.ts';

export const WANTED = ['uv', 'uvx'] as const;
export const MAX_ENTRY_BYTES = 256 * 1024 * 1024;

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

function invalid(message: string, detail?: string): InstallError {
  return new InstallError('archive_invalid', message, { detail: detail ?? null });
}

/** The reason an entry may not be in a uv archive, or null when it is acceptable. */
export function entryProblem(path: string, type: string, size: number, maxBytes = MAX_ENTRY_BYTES): string | null {
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return `absolute path ${path}`;
  if (path.split(/[\\/]/).includes('..')) return `path ${path} leaves the archive`;
  if (type !== 'Directory' && !FILE_TYPES.has(type)) return `${type} entry ${path}`;
  if (size > maxBytes) return `entry ${path} is ${size} bytes (limit ${maxBytes})`;
  return null;
}

export class UvArchiveExtractor {
  private readonly parser: Parser;
  private readonly writes: Promise<void>[] = [];
  private readonly found = new Set<string>();
  private failure: Error | null = null;
  private readonly outputs: WriteStream[] = [];

  constructor(
    private readonly destDir: string,
    private readonly maxEntryBytes = MAX_ENTRY_BYTES,
  ) {
    this.parser = new Parser({ strict: true, onReadEntry: (entry) => this.onEntry(entry) });
    // abort() carries our own InstallError; the 'error' that follows only wraps it.
    this.parser.on('abort', (error: Error) => this.fail(error));
    this.parser.on('error', (error: Error) => this.fail(error));
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error instanceof InstallError ? error : invalid('the uv archive is not a readable .tar.gz', error.message);
    for (const out of this.outputs) out.destroy();
  }

  private onEntry(entry: ReadEntry): void {
    const problem = entryProblem(entry.path, entry.type, entry.size, this.maxEntryBytes);
    if (problem) {
      entry.resume();
      this.parser.abort(invalid(`the uv archive holds a forbidden entry: ${problem}`));
      return;
    }
    const stripped = entry.path.split('/').slice(1).filter(Boolean).join('/');
    if (entry.type === 'Directory' || !(WANTED as readonly string[]).includes(stripped) || this.failure) {
      entry.resume();
      return;
    }
    if (this.found.has(stripped)) {
      entry.resume();
      this.parser.abort(invalid(`the uv archive holds ${stripped} twice`));
      return;
    }
    this.found.add(stripped);
    const out = createWriteStream(join(this.destDir, stripped), { mode: 0o755 });
    this.outputs.push(out);
    entry.pipe(out);
    this.writes.push(
      new Promise<void>((resolve, reject) => {
        out.on('close', resolve);
        out.on('error', reject);
      }),
    );
  }

  /** Feeds bytes in order; waits when the parser asks for it. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure) return;
    if (!this.parser.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
      await Promise.race([once(this.parser, 'drain'), once(this.parser, 'error')]).catch(() => {});
    }
  }

  /** Ends the archive; resolves with the staged paths of uv and uvx. */
  async end(): Promise<{ uv: string; uvx: string | null }> {
    if (!this.failure) {
      const done = new Promise<void>((resolve) => {
        this.parser.on('end', resolve);
        this.parser.on('close', resolve);
        this.parser.on('error', () => resolve());
      });
      this.parser.end();
      await done;
    }
    const results = await Promise.allSettled(this.writes);
    if (this.failure) throw this.failure;
    const failedWrite = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failedWrite) throw failedWrite.reason;
    if (!this.found.has('uv')) throw invalid('the uv archive does not contain uv');
    return { uv: join(this.destDir, 'uv'), uvx: this.found.has('uvx') ? join(this.destDir, 'uvx') : null };
  }

  /** Stops without waiting for the parser; the caller removes the staging folder. */
  destroy(): void {
    this.fail(new InstallError('cancelled', 'extraction stopped'));
  }

  /** The first problem seen so far, if any, without ending the stream. */
  get error(): Error | null {
    return this.failure;
  }
}
