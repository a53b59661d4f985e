/**
 * Where the uv archive's bytes go as they arrive: a sha256 and the streaming extractor,
 * both fed in order, so a resumed download simply keeps feeding them from the offset and a
 * restart from zero replaces both and empties the staging folder.
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { UvArchiveExtractor, type ExtractorOptions } from './extract.ts';
import type { BodySink } from './fetch-with-retry.ts';
import { atPath, LOCAL_FAILURES } from './fs-errors.ts';
import { InstallError } from '../../machines/errors.ts';

export class ArchiveSink implements BodySink {
  offset = 0;
  private hash: Hash = createHash('sha256');
  private extractor: UvArchiveExtractor;

  constructor(
    private readonly stage: string,
    private readonly extractorOptions: ExtractorOptions = {},
  ) {
    this.extractor = new UvArchiveExtractor(stage, extractorOptions);
  }

  async restart(): Promise<void> {
    await this.extractor.dispose();
    await atPath(this.stage, async () => {
      await rm(this.stage, { recursive: true, force: true });
      await mkdir(this.stage, { mode: 0o700 });
    });
    this.hash = createHash('sha256');
    this.extractor = new UvArchiveExtractor(this.stage, this.extractorOptions);
    this.offset = 0;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    await this.extractor.write(chunk);
    this.offset += chunk.byteLength;
    // A bad entry waits for the digest (a damaged download is a checksum problem, not a
    // bad release); a full disk or a read-only folder cannot wait.
    const problem = this.extractor.error;
    if (problem instanceof InstallError && LOCAL_FAILURES.has(problem.code)) throw problem;
  }

  /** The sha256 of every byte written since the last restart. */
  digest(): string {
    return this.hash.digest('hex');
  }

  /** Ends extraction: the staged uv and uvx, or why the archive is refused. */
  finish(): Promise<{ uv: string; uvx: string | null }> {
    return this.extractor.end();
  }

  dispose(): Promise<void> {
    return this.extractor.dispose();
  }
}

/** Collects a small text body (the `.sha256` sidecar). */
export class TextSink implements BodySink {
  private chunks: Uint8Array[] = [];
  offset = 0;

  async restart(): Promise<void> {
    this.chunks = [];
    this.offset = 0;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk.slice());
    this.offset += chunk.byteLength;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
