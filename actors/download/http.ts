/**
 * Small pieces of HTTP the download shares: how a request is made (identity encoding, no
 * decompression, the chosen proxy and CAs), reading Content-Range / Content-Length and
 * validators, and a `file://` source that answers like a server.
 */
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { HttpStatusError } from './failures.ts';

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** RFC 9110 §14.4: `bytes first-last/complete`, or null when unreadable. */
export function contentRange(value: string | null): { start: number; size: number | null } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (!match) return null;
  return { start: Number(match[1]), size: match[3] === '*' ? null : Number(match[3]) };
}

export function lengthOf(response: Response): number | null {
  const header = response.headers.get('content-length');
  return header !== null && /^\d+$/.test(header.trim()) ? Number(header) : null;
}

/** A strong ETag, else Last-Modified: the two validators If-Range may carry (RFC 9110 §13.1.5). */
export function validatorOf(response: Response): string | null {
  const etag = response.headers.get('etag');
  if (etag && !etag.startsWith('W/')) return etag;
  return response.headers.get('last-modified');
}

export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}

export function requestInit(
  opts: { proxy: string | false; ca: string[] | null },
  headers: Record<string, string>,
  signal: AbortSignal,
  method: 'GET' | 'HEAD' = 'GET',
): BunFetchRequestInit {
  return {
    method,
    signal,
    headers,
    redirect: 'follow',
    decompress: false,
    proxy: opts.proxy,
    ...(opts.ca ? { tls: { ca: opts.ca } } : {}),
  };
}

/**
 * A `file://` source answers like a server would: Bun's fetch says 200 for a missing file and
 * only fails when the body is read, which would look like a bug rather than a wrong path.
 */
export async function checkLocalFile(url: string): Promise<void> {
  if (!url.startsWith('file:')) return;
  try {
    const info = await stat(fileURLToPath(url));
    if (info.isFile()) return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'cannot be read' : 'does not exist';
    throw new HttpStatusError(why === 'cannot be read' ? 403 : 404, `${url} ${why}`, { detail: url });
  }
  throw new HttpStatusError(404, `${url} is not a file`, { detail: url });
}
