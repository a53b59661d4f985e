/**
 * Not a benchmark (run.ts skips `_` files): the release folders the benchmarks serve, laid out
 * as `<root>/<version>/uv-<triple>.tar.gz` plus its `.sha256`, for nginx to serve as a mirror.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildUvArchive, hostTriple, sidecarText } from '../demo/release.ts';
import { standinUvScript, standinUvxScript } from '../demo/standin-uv.ts';

export interface Release {
  version: string;
  name: string;
  path: string;
  sha256: string;
  size: number;
}

/** A stand-in release under `root/<version>/`: `uvBytes` makes uv itself that big (uv-shaped), `padBytes` adds a padding entry. */
export async function release(root: string, version: string, opts: { uvBytes?: number; padBytes?: number }): Promise<Release> {
  const dir = join(root, version);
  const built = await buildUvArchive({ version, triple: hostTriple(), outDir: `${dir}.build`, ...opts });
  await mkdir(dir, { recursive: true });
  const path = join(dir, built.name);
  await rename(built.path, path);
  await writeFile(`${path}.sha256`, sidecarText(built.sha256, built.name));
  return { version, name: built.name, path, sha256: built.sha256, size: built.size };
}

/** A ustar header for a regular file (POSIX.1-1988): enough for node-tar and GNU tar. */
function header(path: string, size: number, mode = 0o755): Uint8Array {
  const block = new Uint8Array(512);
  const put = (at: number, text: string) => block.set(new TextEncoder().encode(text), at);
  const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, '0') + '\0';
  put(0, path);
  put(100, octal(mode, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(size, 12));
  put(136, octal(0, 12));
  put(148, '        ');
  put(156, '0');
  put(257, 'ustar\u000000');
  put(148, octal(block.reduce((a, b) => a + b, 0), 7));
  return block;
}

function entry(path: string, body: Uint8Array): Uint8Array {
  const padded = new Uint8Array(Math.ceil(body.byteLength / 512) * 512);
  padded.set(body);
  return Buffer.concat([header(path, body.byteLength), padded]);
}

/**
 * A gzip bomb with a valid digest: a working uv and uvx, then `count` gzip members (RFC 1952
 * 2.2) each inflating to a `entryBytes` entry of zeros, so 30 GB costs one deflate to build.
 */
export async function gzipBomb(root: string, version: string, entryBytes: number, count: number): Promise<Release> {
  const top = `uv-${hostTriple()}`;
  const text = (s: string) => new TextEncoder().encode(s);
  const head = gzipSync(Buffer.concat([entry(`${top}/uv`, text(standinUvScript({ version }))), entry(`${top}/uvx`, text(standinUvxScript({ version })))]));
  const filler = gzipSync(entry(`${top}/filler`, new Uint8Array(entryBytes)), { level: 9 });
  const bytes = Buffer.concat([head, ...Array<Buffer>(count).fill(filler), gzipSync(new Uint8Array(1024))]);
  const dir = join(root, version);
  await mkdir(dir, { recursive: true });
  const name = `${top}.tar.gz`;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await writeFile(join(dir, name), bytes);
  await writeFile(join(dir, `${name}.sha256`), sidecarText(sha256, name));
  return { version, name, path: join(dir, name), sha256, size: bytes.byteLength };
}
