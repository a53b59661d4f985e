/**
 * Who may talk to the gatekeeper: the local user's programs and pages, nobody else.
 * - Host: a page on evil.example can re-point its own name at 127.0.0.1 (DNS rebinding); the
 *   browser then sends `Host: evil.example:8787`, which is refused with 421.
 * - Origin: a page on another origin can still send simple requests (no preflight) to
 *   localhost; they are refused with 403 before anything runs, and get no CORS headers.
 *   Browsers omit Origin on some cross-site GETs (`<img>`, `<script>`), so Sec-Fetch-Site
 *   catches those.
 * - Token: with CARAPACE_GATEKEEPER_TOKEN set, other local users' programs are kept out too.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.ts';

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;

export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name === '[::1]' || name === '::1') return true;
  const v4 = IPV4_LOOPBACK.exec(name);
  return v4 !== null && v4.slice(1).every((part) => Number(part) <= 255);
}

/**
 * The shortest token a service other hosts can reach accepts. Anyone on the network may guess,
 * and tokens under MIN_SHORT characters are not even redacted (installer/redact.ts); 16 random
 * characters are out of reach of guessing over HTTP.
 */
export const MIN_REMOTE_TOKEN = 16;

/**
 * Why the service must not listen on `host` with this token, or null when it may. Off loopback,
 * any program that reaches the address can send a loopback Host header, so the Host and Origin
 * checks keep out browsers only: the token is the one guard left, and must be long.
 */
export function unguardedBind(host: string, token: string | null): string | null {
  if (isLoopbackName(host)) return null;
  if (token === null) return `refusing to listen on ${host}: it is not a loopback address and CARAPACE_GATEKEEPER_TOKEN is not set`;
  if (token.length < MIN_REMOTE_TOKEN) {
    return `refusing to listen on ${host}: it is not a loopback address and CARAPACE_GATEKEEPER_TOKEN is shorter than ${MIN_REMOTE_TOKEN} characters`;
  }
  return null;
}

/** `host[:port]` split, or null when it is not a plain host and optional port. */
export function parseHostHeader(value: string): { hostname: string; port: number | null } | null {
  const match = HOST_HEADER.exec(value.trim());
  if (!match) return null;
  return { hostname: match[1]!, port: match[2] === undefined ? null : Number(match[2]) };
}

function portMatches(port: number | null, scheme: string, served: number): boolean {
  return (port ?? (scheme === 'https:' ? 443 : 80)) === served;
}

/** The Host a request names: the header, or for an in-process Request the URL's host. */
function requestHost(req: Request): string | null {
  const header = req.headers.get('host');
  if (header !== null) return header;
  return URL.canParse(req.url) ? new URL(req.url).host : null;
}

export function checkHost(req: Request, servedPort: number): void {
  const host = requestHost(req);
  // What every local client sends, accepted without the parse (the status route is asked often).
  if (host === `127.0.0.1:${servedPort}` || host === `localhost:${servedPort}`) return;
  const parsed = host === null ? null : parseHostHeader(host);
  if (!parsed || !isLoopbackName(parsed.hostname) || !portMatches(parsed.port, 'http:', servedPort)) {
    throw new HttpError(421, 'misdirected_request', `this service answers only to 127.0.0.1:${servedPort} or localhost:${servedPort}`, {
      hint: `Call http://127.0.0.1:${servedPort}/ directly; other host names are refused to stop DNS rebinding.`,
    });
  }
}

export type OriginKind = 'none' | 'own' | 'allowed' | 'foreign';

export function classifyOrigin(origin: string | null, servedPort: number, allowed: readonly string[]): OriginKind {
  if (origin === null) return 'none';
  if (allowed.includes(origin)) return 'allowed';
  if (!URL.canParse(origin)) return 'foreign';
  const url = new URL(origin);
  const own = url.protocol === 'http:' && isLoopbackName(url.hostname) && portMatches(url.port === '' ? null : Number(url.port), 'http:', servedPort);
  return own ? 'own' : 'foreign';
}

/** Refuses a browser request from another site; returns the origin to echo in CORS headers. */
export function checkOrigin(req: Request, servedPort: number, allowed: readonly string[]): string | null {
  const origin = req.headers.get('origin');
  const kind = classifyOrigin(origin, servedPort, allowed);
  const site = req.headers.get('sec-fetch-site');
  if (kind === 'foreign' || (kind === 'none' && (site === 'cross-site' || site === 'same-site'))) {
    throw new HttpError(403, 'forbidden_origin', `requests from ${origin ?? 'another site'} are not allowed`, {
      hint: 'Only pages served by this service, and origins listed in CARAPACE_ALLOWED_ORIGINS, may call it.',
    });
  }
  return kind === 'own' || kind === 'allowed' ? origin : null;
}

export const ALLOWED_REQUEST_HEADERS = 'authorization, content-type, last-event-id';

export function corsHeaders(origin: string | null): Record<string, string> {
  if (origin === null) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    vary: 'Origin',
  };
}

export const TOKEN_COOKIE = 'carapace_gatekeeper_token';

function sameSecret(given: string, expected: string): boolean {
  // Hashing first makes the lengths equal, which timingSafeEqual needs, without leaking the length.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function cookieValue(header: string | null, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A malformed escape is no token: the request gets the ordinary 401.
      return null;
    }
  }
  return null;
}

/**
 * With a token configured, the request must carry it. `Authorization: Bearer` always works;
 * routes a browser opens without custom headers (EventSource, a page) may also take it from a
 * cookie or `?token=`. Routes that change anything never do, so a cookie cannot be ridden (CSRF).
 */
export function checkToken(req: Request, url: URL, token: string | null, allowBrowserForms: boolean): void {
  if (token === null) return;
  const auth = req.headers.get('authorization');
  const bearer = auth !== null && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : null;
  const candidates = [bearer];
  if (allowBrowserForms) candidates.push(url.searchParams.get('token'), cookieValue(req.headers.get('cookie'), TOKEN_COOKIE));
  if (candidates.some((c) => c !== null && sameSecret(c, token))) return;
  throw new HttpError(401, 'unauthorized', 'this service needs its access token', {
    hint: 'Send Authorization: Bearer <CARAPACE_GATEKEEPER_TOKEN> (the event stream also takes ?token=).',
    headers: { 'www-authenticate': 'Bearer realm="carapace"' },
  });
}
