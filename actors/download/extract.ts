/**
 * Unpacks uv and uvx from a release archive as its bytes arrive, into a staging folder only.
 * A release holds one top folder with `uv` and `uvx` (strip 1); anything that could write
 * elsewhere or be swapped for something else (absolute paths, `..`, links, devices, huge
 * entries) makes the whole archive invalid. Nothing here touches a final path.
 *
 * Memory stays flat for any archive, gzip bombs included, because every stage waits for the
 * next: a chunk of the download goes into node:zlib's gunzip, which inflates only while its
 * output is read (a paused readable stops inflation, nodejs lib/zlib.js processCallback); its
 * output goes to the tar parser, which is paused while the entry being written waits for the
 * file; and write() resolves only once gunzip has taken the chunk. The tar parser is never
 * handed gzip: its own inflater turns a whole input chunk into output at once.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { InstallError } from '../../machines/errors.ts';
import { fsFailure } from './fs-errors.ts';

export const WANTED = ['uv', 'uvx'] as const;
export const MAX_ENTRY_BYTES = 256 * 1024 * 1024;
/** A real uv archive unpacks to about 60 MB; past this much the archive is refused. */
export const MAX_TOTAL_BYTES = 1024 * 1024 * 1024;

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const GZIP_MAGIC = [0x1f, 0x8b];

export interface ExtractorOptions {
  maxEntryBytes?: number;
  /** Refuses the archive once its tar stream inflates past this many bytes. */
  maxTotalBytes?: number;
  /** Opens a staged output file; replaceable so tests can make a write fail. */
  createOutput?: (path: string) => Writable;
}

function invalid(message: string, detail?: string): InstallError {
  return new InstallError('archive_invalid', message, { detail: detail ?? null });
}

function corrupt(message: string, detail?: string): InstallError {
  return new InstallError('archive_corrupt', message, { detail: detail ?? null });
}

/** zlib failures and a tar cut short are damage in transit or storage, not a wrong archive. */
function parserFailure(error: Error): InstallError {
  const { code, tarCode } = error as { code?: unknown; tarCode?: unknown };
  if ((typeof code === 'string' && code.startsWith('Z_')) || /zlib|unexpected end of file|incorrect/i.test(error.message)) {
    return corrupt('the uv archive is not a valid gzip stream', error.message);
  }
  if (tarCode === 'TAR_BAD_ARCHIVE' && /truncated/i.test(error.message)) {
    return corrupt('the uv archive ends in the middle of a file', error.message);
  }
  return invalid('the uv archive is not a readable tar archive', error.message);
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
  private readonly gunzip: Gunzip;
  private inflated = 0;
  private innerGzip = true;
  private readonly maxTotalBytes: number;
  private readonly writes: Promise<void>[] = [];
  private readonly found = new Set<string>();
  private failure: Error | null = null;
  private readonly outputs: Writable[] = [];
  private readonly maxEntryBytes: number;
  private readonly createOutput: (path: string) => Writable;
  private seen = 0;
  /** Settles on the first failure, so a write waiting for 'drain' cannot wait forever. */
  private readonly stopped: Promise<void>;
  private stop: () => void = () => {};

  constructor(
    private readonly destDir: string,
    opts: ExtractorOptions = {},
  ) {
    this.stopped = new Promise((resolve) => (this.stop = resolve));
    this.maxEntryBytes = opts.maxEntryBytes ?? MAX_ENTRY_BYTES;
    this.createOutput = opts.createOutput ?? ((path) => createWriteStream(path, { mode: 0o755 }));
    this.maxTotalBytes = opts.maxTotalBytes ?? MAX_TOTAL_BYTES;
    // brotli and zstd off: the parser gets plain tar and must never inflate anything itself.
    this.parser = new Parser({ strict: true, brotli: false, zstd: false, onReadEntry: (entry) => this.onEntry(entry) });
    // 32 KiB blocks, not zlib's 16: half the chunks through gunzip, the parser and the file
    // writes, about 12% off a fresh process's 24 MB download (docs/performance.md); 64 KiB was
    // faster again but took a gzip bomb's peak RSS past 100 MB in 2 runs of 10.
    this.gunzip = createGunzip({ chunkSize: 32 * 1024 });
    this.gunzip.on('data', (chunk: Buffer) => this.unpack(chunk));
    this.gunzip.on('error', (error: Error) => this.fail(error));
    // abort() carries our own InstallError; the 'error' that follows only wraps it.
    this.parser.on('abort', (error: Error) => this.fail(error));
    this.parser.on('error', (error: Error) => this.fail(error));
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error instanceof InstallError ? error : parserFailure(error);
    this.stop();
    this.gunzip.destroy();
    for (const out of this.outputs) out.destroy();
  }

  /** Hands inflated tar bytes to the parser, pausing gunzip while the parser is full. */
  private unpack(chunk: Buffer): void {
    if (this.failure) return;
    // The tar parser would inflate an inner gzip itself, a whole chunk at once: refuse it.
    for (let i = 0; this.inflated + i < GZIP_MAGIC.length && i < chunk.byteLength; i++) {
      this.innerGzip &&= chunk[i] === GZIP_MAGIC[this.inflated + i];
    }
    if (this.innerGzip && this.inflated + chunk.byteLength >= GZIP_MAGIC.length) {
      this.fail(invalid('the uv archive is gzip inside gzip, not a tar archive'));
      return;
    }
    this.inflated += chunk.byteLength;
    if (this.inflated > this.maxTotalBytes) {
      this.fail(
        invalid(
          `the uv archive unpacks to more than ${this.maxTotalBytes} bytes (a real uv is about 60 MB): refused as a decompression bomb`,
        ),
      );
      return;
    }
    if (!this.parser.write(chunk) && !this.failure) {
      this.gunzip.pause();
      this.parser.once('drain', () => this.gunzip.resume());
    }
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
    const path = join(this.destDir, stripped);
    const out = this.createOutput(path);
    this.outputs.push(out);
    entry.pipe(out);
    const written = new Promise<void>((resolve, reject) => {
      out.on('close', resolve);
      out.on('error', (error) => {
        // A full disk or a read-only folder ends the download now, not at the last byte.
        const mapped = fsFailure(error, path);
        this.fail(mapped instanceof Error ? mapped : error);
        reject(mapped);
      });
    });
    // Read later by end() or dispose(); until then a failure must not count as unhandled.
    written.catch(() => {});
    this.writes.push(written);
  }

  /** Feeds bytes in order; waits when the parser asks for it. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure) return;
    for (let i = 0; this.seen + i < GZIP_MAGIC.length && i < chunk.byteLength; i++) {
      if (chunk[i] !== GZIP_MAGIC[this.seen + i]) {
        // Not damaged gzip but another kind of file (an HTML error page): the wrong archive.
        this.fail(invalid('the uv archive is not gzip-compressed'));
        return;
      }
    }
    this.seen += chunk.byteLength;
    const flowing = this.gunzip.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    // A failure inside write() emits before anyone could listen; no 'drain' follows it.
    if (!flowing && !this.failure) {
      await Promise.race([once(this.gunzip, 'drain').catch(() => {}), this.stopped]);
    }
  }

  /** Ends the archive; resolves with the staged paths of uv and uvx. */
  async end(): Promise<{ uv: string; uvx: string | null }> {
    if (!this.failure) {
      const inflatedAll = new Promise<void>((resolve) => {
        this.gunzip.on('end', resolve);
        this.gunzip.on('close', resolve);
      });
      this.gunzip.end();
      await Promise.race([inflatedAll, this.stopped]);
    }
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
    if (this.seen === 0) throw corrupt('the uv archive is empty');
    if (!this.found.has('uv')) throw invalid('the uv archive does not contain uv');
    return { uv: join(this.destDir, 'uv'), uvx: this.found.has('uvx') ? join(this.destDir, 'uvx') : null };
  }

  /** Stops and waits until no staged file is still open, so the caller can remove them. */
  async dispose(): Promise<void> {
    this.fail(new InstallError('cancelled', 'extraction stopped'));
    await Promise.allSettled(this.writes);
  }

  /** The first problem seen so far, if any, without ending the stream. */
  get error(): Error | null {
    return this.failure;
  }
}
