/**
 * What a failed request means, said once for the download: who refused (the proxy or the
 * server), whether another try can help, and which hint sends the user the right way.
 * Proxies come first because a wrong hint there is the commonest complaint of installers like
 * this one (setup-uv #305, playwright #14442, volta #798).
 */
import { InstallError } from '../../machines/errors.ts';
import { isCertificateError } from './ca.ts';
import { redactProxy } from './proxy.ts';

/** An answer with a status we do not take; `status` lets callers tell 404 from 503. */
export class HttpStatusError extends InstallError {
  constructor(
    readonly status: number,
    message: string,
    opts: { detail?: string | null; hint?: string } = {},
  ) {
    super('http_status', message, opts);
  }
}

/** The proxy a request goes through, as messages name it. */
export interface ProxyInUse {
  url: string;
  /** HTTPS_PROXY, http_proxy, ...; absent when the caller did not say. */
  variable?: string;
}

const PROXY_HINTS = {
  credentials:
    'The proxy wants credentials: put them in the proxy variable (http://user:password@host:port, with special characters percent-encoded), then retry.',
  policy:
    "The proxy's policy refuses this host: ask its administrator to allow it, or list the host in NO_PROXY if it can be reached directly.",
  unreachable:
    'Nothing answers at the proxy address: fix the host and port in the proxy variable, start the proxy, or unset the variable (or use NO_PROXY) to connect directly.',
};

/** Errors that mean nothing listens at the address (or the name does not resolve). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ConnectionRefused',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'FailedToOpenSocket',
]);

function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** A connect timeout: through a proxy, the silence may be the proxy's, so name it. */
export function noAnswer(url: string, proxy: ProxyInUse | null, timeoutMs: number): InstallError {
  const through = proxy ? ` through ${named(proxy)}` : '';
  return new InstallError('timeout', `${hostOf(url)} did not answer${through} within ${Math.round(timeoutMs / 100) / 10} s`, { detail: url });
}

function named(proxy: ProxyInUse): string {
  return `the proxy ${redactProxy(proxy.url)}${proxy.variable ? ` (${proxy.variable})` : ''}`;
}

function proxyError(proxy: ProxyInUse, said: string, status: number | null, url: string, cause?: unknown): InstallError {
  const hint = status === 407 ? PROXY_HINTS.credentials : status === null ? PROXY_HINTS.unreachable : PROXY_HINTS.policy;
  return new InstallError('proxy', `${named(proxy)} ${said}`, { hint, detail: url, cause });
}

/**
 * A thrown fetch error as an InstallError, and whether another attempt may help. Only a
 * network blip is retried: a refusing proxy, a certificate, a redirect loop say the same
 * thing every time.
 */
export function fetchFailure(error: unknown, url: string, proxy: ProxyInUse | null): { error: InstallError; retry: boolean } {
  const code = codeOf(error);
  const reason = reasonOf(error);
  if (code === 'ERR_PROXY_TUNNEL' && proxy) {
    // Bun: "Proxy refused to open a tunnel: 407 Proxy Authentication Required".
    const status = Number(/:\s*(\d{3})\b/.exec(reason)?.[1] ?? 0) || 403;
    const what = reason.replace(/^.*?:\s*/, '');
    return { error: proxyError(proxy, `refused to open a tunnel to ${hostOf(url)} (${what})`, status, url, error), retry: false };
  }
  if (proxy && code && UNREACHABLE.has(code)) {
    return { error: proxyError(proxy, `cannot be reached (${code})`, null, url, error), retry: false };
  }
  if (code === 'TooManyRedirects') {
    return {
      error: new HttpStatusError(0, `GET ${url} redirects too many times (a redirect loop)`, { detail: url }),
      retry: false,
    };
  }
  if (code === 'UnsupportedRedirectProtocol') {
    // file:, ftp:, data: ... a mirror must not send the download to the local disk.
    return {
      error: new HttpStatusError(0, `GET ${url} redirects to a URL that is not http(s) (such as file:), and such redirects are refused`, {
        detail: url,
        hint: 'The download server redirected away from http(s); point CARAPACE_UV_DOWNLOAD_BASE at the files themselves (file:// bases work directly).',
      }),
      retry: false,
    };
  }
  if (isCertificateError(error)) {
    return {
      error: new InstallError('tls_certificate', `the certificate of ${hostOf(url)} is not trusted: ${reason}`, { detail: url, cause: error }),
      retry: false,
    };
  }
  return {
    error: new InstallError('network', `cannot reach ${hostOf(url)}: ${reason}`, { detail: url, cause: error }),
    retry: true,
  };
}

/**
 * For a plain http:// request (forwarded by the proxy, not tunnelled), a 407, or a 401 or
 * 403 the proxy made itself, is the proxy's answer, not the server's.
 * RFC 9110 §7.6.3: a proxy MUST add Via to what it forwards, so a 401/403 without Via (or
 * with squid's X-Squid-Error) came from the proxy.
 */
export function proxyRefusal(response: Response, url: string, proxy: ProxyInUse | null): InstallError | null {
  // An https:// request goes through a CONNECT tunnel: the proxy's refusal is the tunnel's
  // (ERR_PROXY_TUNNEL above), and every answer after it comes from the server itself, with
  // no Via (a GitHub rate-limit 403 must stay the server's).
  if (!proxy || new URL(url).protocol !== 'http:') return null;
  const said = `${response.status} ${response.statusText}`.trim();
  const hasCredentials = /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(proxy.url);
  const credentials = hasCredentials ? 'did not accept the credentials' : 'wants credentials';
  if (response.status === 407) return proxyError(proxy, `${credentials} (${said})`, 407, url);
  const ownAnswer = !response.headers.has('via') || response.headers.has('x-squid-error');
  if (!ownAnswer) return null;
  // tinyproxy answers wrong credentials with its own 401 rather than 407.
  if (response.status === 401) return proxyError(proxy, `${credentials} (${said})`, 407, url);
  if (response.status === 403) return proxyError(proxy, `refused the request for ${hostOf(url)} (${said})`, 403, url);
  return null;
}
