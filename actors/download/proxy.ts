/**
 * Which proxy a download goes through, read from the settings' environment rather than
 * the process's, so the download and uv see the same values. Bun's fetch would read the
 * process environment on its own; we always pass `proxy` (a URL or `false`) to stop that.
 *
 * NO_PROXY follows curl (lib/noproxy.c), which uv's reqwest also mirrors closely: entries
 * are separated by commas or spaces, `*` alone matches everything, a name matches itself
 * and its subdomains (a leading `.` or `*.` is ignored), `host:port` only matches that
 * port, and IPv4/IPv6 addresses match exactly or by CIDR prefix.
 */
import { isIP } from 'node:net';
import { InstallError } from '../../machines/errors.ts';

type Env = Record<string, string | undefined>;

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** curl reads the lowercase names first; several tools only set the uppercase ones. */
function pick(env: Env, name: string): { variable: string; value: string } | null {
  for (const variable of [name.toLowerCase(), name.toUpperCase()]) {
    const value = env[variable]?.trim();
    if (value) return { variable, value };
  }
  return null;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : protocol === 'http:' ? '80' : '';
}

function bareHost(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
}

function ipv4Bits(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6Bits(ip: string): bigint | null {
  let text = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = ipv4Bits(v4[1]);
    text = text.slice(0, -v4[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail, extra] = text.split('::');
  if (extra !== undefined) return null;
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n);
}

function ipMatches(host: string, pattern: string): boolean {
  const [network = '', prefixText] = pattern.split('/');
  const family = isIP(host);
  if (family === 0 || isIP(network) !== family) return false;
  const width = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return false;
  const a = family === 4 ? ipv4Bits(host) : ipv6Bits(host);
  const b = family === 4 ? ipv4Bits(network) : ipv6Bits(network);
  if (a === null || b === null) return false;
  const shift = BigInt(width - prefix);
  return a >> shift === b >> shift;
}

/** Splits `host:port`, `[v6]:port`, a bare IPv6 address, or a CIDR into host and port. */
function splitEntry(entry: string): { host: string; port: string | null } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1]!.toLowerCase(), port: bracketed[2] ?? null };
  if (isIP(entry.split('/')[0] ?? '') === 6) return { host: entry.toLowerCase(), port: null };
  const withPort = /^(.*):(\d+)$/.exec(entry);
  if (withPort) return { host: withPort[1]!.toLowerCase(), port: withPort[2]! };
  return { host: entry.toLowerCase(), port: null };
}

/** True when NO_PROXY says `url` must be reached directly. */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = bareHost(url.hostname);
  const port = url.port || defaultPort(url.protocol);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim();
    if (!entry) continue;
    if (entry === '*') return true;
    const { host: pattern, port: wantPort } = splitEntry(entry);
    if (wantPort !== null && wantPort !== port) continue;
    if (isIP(host) !== 0) {
      if (ipMatches(host, pattern)) return true;
      continue;
    }
    const name = pattern.replace(/^\*?\./, '').replace(/\.$/, '');
    if (name && (host === name || host.endsWith(`.${name}`))) return true;
  }
  return false;
}

export interface ProxyChoice {
  /** The proxy URL as fetch takes it (credentials included). */
  url: string;
  /** The variable it came from: HTTPS_PROXY, http_proxy, ALL_PROXY... */
  variable: string;
}

/**
 * The proxy for `url`, or null to connect directly. A proxy without a scheme is http://,
 * as curl assumes; Bun's fetch speaks only http and https to proxies, so anything else
 * (socks5://) is a configuration error rather than a silent direct connection.
 */
export function chooseProxy(url: URL, env: Env): ProxyChoice | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (bypassesProxy(url, pick(env, 'no_proxy')?.value)) return null;
  const chosen = (url.protocol === 'https:' ? pick(env, 'https_proxy') : pick(env, 'http_proxy')) ?? pick(env, 'all_proxy');
  if (!chosen) return null;
  const value = SCHEME.test(chosen.value) ? chosen.value : `http://${chosen.value}`;
  let proxy: URL;
  try {
    proxy = new URL(value);
  } catch {
    throw new InstallError('invalid_config', `${chosen.variable}=${JSON.stringify(redactProxy(chosen.value))} is not a proxy URL`);
  }
  if (!hostAfterLastAt(value, proxy)) {
    throw new InstallError(
      'invalid_config',
      `${chosen.variable}=${JSON.stringify(redactProxy(chosen.value))} is not one proxy URL: its credentials hold a character that ends them early`,
      { hint: `Percent-encode the user name and password in ${chosen.variable} (/ as %2F, ? as %3F, # as %23, @ as %40, : as %3A), e.g. http://user:p%2Fss@proxy:3128.` },
    );
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw new InstallError(
      'invalid_config',
      `${chosen.variable} uses ${proxy.protocol.slice(0, -1)}, but the uv download supports only http:// and https:// proxies`,
    );
  }
  return { url: value, variable: chosen.variable };
}

/** The proxy URL for fetch's `proxy` option, or false to connect directly. */
export function proxyFor(url: URL, env: Env): string | false {
  return chooseProxy(url, env)?.url ?? false;
}

/**
 * A proxy URL fit for a message: the password (or a lone token) becomes ***. The credentials
 * run to the LAST `@`, as curl and WHATWG URL read them: a password may hold `@`, `/` or a
 * space typed unescaped. The user name stays only when it is plainly one.
 */
export function redactProxy(value: string): string {
  const scheme = SCHEME.exec(value)?.[0] ?? '';
  const rest = value.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at === -1) return value;
  const user = /^([A-Za-z0-9._~%-]+):/.exec(rest.slice(0, at))?.[1];
  return `${scheme}${user ? `${user}:` : ''}***@${rest.slice(at + 1)}`;
}

/**
 * True when the parser's host is the text after the last `@`. An unescaped `/` or `?` in a
 * password ends the authority early (`bob:Sup3r:S@cret/x@proxy` is host `cret`), so the request
 * would go to, and look up in DNS, a piece of the password.
 */
function hostAfterLastAt(value: string, proxy: URL): boolean {
  const rest = value.slice((SCHEME.exec(value)?.[0] ?? '').length);
  const at = rest.lastIndexOf('@');
  if (at === -1) return true;
  const authority = rest.slice(at + 1).split(/[/?#]/, 1)[0] ?? '';
  return URL.canParse(`${proxy.protocol}//${authority}`) && new URL(`${proxy.protocol}//${authority}`).host === proxy.host;
}

/** How a proxy is named in messages: `http://alice:***@proxy:3128 (HTTPS_PROXY)`. */
export function proxyLabel(choice: ProxyChoice): string {
  return `${redactProxy(choice.url)} (${choice.variable})`;
}
