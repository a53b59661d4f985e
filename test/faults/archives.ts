/**
 * Hand-written tar archives for fault injection. node-tar refuses to create most of what
 * these tests need (absolute paths, `..`, devices, a size the body does not have), so the
 * ustar headers are written byte by byte (POSIX.1-1988 ustar layout) and gzipped.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { standinUvScript, standinUvxScript } from '../../demo/standin-uv.ts';

export type TarType = 'file' | 'hardlink' | 'symlink' | 'chardev' | 'directory' | 'fifo';

export interface TarEntry {
  path: string;
  type?: TarType;
  body?: Uint8Array | string;
  /** The size the header claims; defaults to the body's. */
  size?: number;
  linkpath?: string;
  mode?: number;
}

const TYPEFLAG: Record<TarType, string> = { file: '0', hardlink: '1', symlink: '2', chardev: '3', directory: '5', fifo: '6' };

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(entry: TarEntry, size: number): Uint8Array {
  const block = Buffer.alloc(512);
  const put = (text: string, offset: number, width: number) => block.write(text.slice(0, width), offset, width, 'latin1');
  put(entry.path, 0, 100);
  put(octal(entry.mode ?? (entry.type === 'directory' ? 0o755 : 0o755), 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(1_771_027_200, 12), 136, 12);
  put(TYPEFLAG[entry.type ?? 'file'], 156, 1);
  put(entry.linkpath ?? '', 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  // The checksum is computed with its own field read as eight spaces.
  put('        ', 148, 8);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

/** A tar of exactly these entries, in this order; `truncateLast` ends it after the last header, `open` leaves off the end blocks. */
export function tar(entries: TarEntry[], opts: { truncateLast?: boolean; open?: boolean } = {}): Buffer {
  const parts: Uint8Array[] = [];
  for (const [index, entry] of entries.entries()) {
    const body = typeof entry.body === 'string' ? Buffer.from(entry.body) : (entry.body ?? new Uint8Array());
    const size = entry.size ?? body.byteLength;
    parts.push(header(entry, size));
    if (opts.truncateLast && index === entries.length - 1) break;
    parts.push(body);
    const pad = (512 - (body.byteLength % 512)) % 512;
    parts.push(new Uint8Array(pad));
  }
  if (!opts.truncateLast && !opts.open) parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

/** A gzipped tar of exactly these entries, in this order; `truncateLast` ends it after the last header. */
export function tarGz(entries: TarEntry[], opts: { truncateLast?: boolean } = {}): Uint8Array {
  return new Uint8Array(gzipSync(tar(entries, opts)));
}

/**
 * A working release followed by `count` entries of `entryBytes` zeros each (every one under
 * the per-entry limit; `uvBytes` makes uv itself that many zeros, written to disk), as concatenated gzip members (RFC 1952 2.2), so a bomb that inflates
 * to gigabytes costs one deflate of one entry to build.
 */
export function gzipBomb(triple: string, version: string, opts: { entryBytes: number; count: number; uvBytes?: number }): Uint8Array {
  const entries = releaseEntries(triple, version).map((e) =>
    opts.uvBytes !== undefined && e.path.endsWith('/uv') ? { ...e, body: new Uint8Array(opts.uvBytes) } : e,
  );
  const release = gzipSync(tar(entries, { open: true }), { level: 9 });
  const filler = gzipSync(tar([{ path: `uv-${triple}/filler`, body: new Uint8Array(opts.entryBytes) }], { open: true }), { level: 9 });
  return new Uint8Array(Buffer.concat([release, ...Array<Buffer>(opts.count).fill(filler), gzipSync(new Uint8Array(1024))]));
}

/** The entries of a working uv release for `triple`, ready to add faults to. */
export function releaseEntries(triple: string, version: string): TarEntry[] {
  const top = `uv-${triple}`;
  return [
    { path: `${top}/`, type: 'directory' },
    { path: `${top}/uv`, body: standinUvScript({ version }) },
    { path: `${top}/uvx`, body: standinUvxScript({ version }) },
  ];
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
