/**
 * One question to a server without downloading: does this URL exist? Used to tell a missing
 * release (archive and sidecar both 404) from a missing sidecar, and by doctor to try a proxy.
 */
import { InstallError } from '../../machines/errors.ts';
import { fetchFailure, HttpStatusError, noAnswer, proxyRefusal, type ProxyInUse } from './failures.ts';
import type { FetchWithRetryOptions } from './fetch-with-retry.ts';
import { checkLocalFile, discard, requestInit } from './http.ts';

/**
 * The status `url` answers a HEAD with: one try, failures classified as a download's are (a
 * refusing proxy is `proxy`, not a missing file). A server that refuses HEAD (some signed
 * object-store URLs) answers 403 or 405, which callers read as "not known to be missing".
 */
export async function probeStatus(url: string, opts: FetchWithRetryOptions): Promise<number> {
  const control = new AbortController();
  const timer = opts.connectTimeoutMs > 0 ? setTimeout(() => control.abort(), opts.connectTimeoutMs) : undefined;
  const proxy: ProxyInUse | null = opts.proxy ? { url: opts.proxy, variable: opts.proxyVariable } : null;
  try {
    await checkLocalFile(url);
    if (url.startsWith('file:')) return 200;
    const response = await opts.fetch(
      url,
      requestInit(opts, { 'accept-encoding': 'identity' }, AbortSignal.any([opts.signal, control.signal]), 'HEAD'),
    );
    await discard(response);
    const refusal = proxyRefusal(response, url, proxy);
    if (refusal) throw refusal;
    return response.status;
  } catch (error) {
    if (opts.signal.aborted) throw new InstallError('cancelled', `the download of ${opts.what} was cancelled`);
    if (error instanceof HttpStatusError && url.startsWith('file:')) return error.status;
    if (error instanceof InstallError) throw error;
    if (control.signal.aborted) {
      throw noAnswer(url, proxy, opts.connectTimeoutMs);
    }
    throw fetchFailure(error, url, proxy).error;
  } finally {
    clearTimeout(timer);
  }
}
