import { describe, expect, test } from 'bun:test';
import { backoffDelayMs, isRetryableStatus, parseRetryAfter } from '../../actors/download/backoff.ts';
import { bypassesProxy, chooseProxy, proxyFor, redactProxy } from '../../actors/download/proxy.ts';
import { archiveSources } from '../../actors/download/sources.ts';
import { defaultDownloadBases, settingsFromEnv } from '../../installer/settings.ts';
import { InstallError } from '../../machines/errors.ts';

const url = (u: string) => new URL(u);

describe('NO_PROXY', () => {
  const cases: Array<[string, string, boolean]> = [
    ['https://releases.astral.sh/x', '*', true],
    ['https://releases.astral.sh/x', 'astral.sh', true],
    ['https://astral.sh/x', 'astral.sh', true],
    ['https://releases.astral.sh/x', '.astral.sh', true],
    ['https://releases.astral.sh/x', '*.astral.sh', true],
    ['https://notastral.sh/x', 'astral.sh', false],
    ['https://RELEASES.Astral.SH/x', 'releases.astral.sh', true],
    ['https://github.com/x', 'astral.sh,github.com', true],
    ['https://github.com/x', 'astral.sh github.com', true],
    ['https://github.com/x', 'github.com:443', true],
    ['https://github.com/x', 'github.com:8443', false],
    ['http://github.com:8080/x', 'github.com:8080', true],
    ['http://10.1.2.3/x', '10.0.0.0/8', true],
    ['http://11.1.2.3/x', '10.0.0.0/8', false],
    ['http://10.1.2.3/x', '10.1.2.3', true],
    ['http://[::1]:8080/x', '::1', true],
    ['http://[fd00::5]/x', 'fd00::/8', true],
    ['http://[fe80::5]/x', 'fd00::/8', false],
    ['http://[::1]:8080/x', '[::1]:8080', true],
    ['http://127.0.0.1/x', 'localhost', false],
    ['https://github.com/x', '', false],
  ];
  for (const [target, noProxy, expected] of cases) {
    test(`${target} with NO_PROXY=${JSON.stringify(noProxy)} ${expected ? 'bypasses' : 'uses'} the proxy`, () => {
      expect(bypassesProxy(url(target), noProxy)).toBe(expected);
    });
  }
});

describe('proxy choice', () => {
  test('https uses HTTPS_PROXY, http uses HTTP_PROXY, ALL_PROXY is the fallback', () => {
    const env = { HTTPS_PROXY: 'http://s:1', HTTP_PROXY: 'http://p:2', ALL_PROXY: 'http://a:3' };
    expect(proxyFor(url('https://x/'), env)).toBe('http://s:1');
    expect(proxyFor(url('http://x/'), env)).toBe('http://p:2');
    expect(proxyFor(url('https://x/'), { ALL_PROXY: 'http://a:3' })).toBe('http://a:3');
  });

  test('lowercase names win, as in curl', () => {
    expect(proxyFor(url('https://x/'), { https_proxy: 'http://low:1', HTTPS_PROXY: 'http://up:2' })).toBe('http://low:1');
  });

  test('no proxy configured, or NO_PROXY matching, is a direct connection (false, so Bun does not read its own env)', () => {
    expect(proxyFor(url('https://x/'), {})).toBe(false);
    expect(proxyFor(url('https://x.corp/'), { HTTPS_PROXY: 'http://s:1', no_proxy: 'corp' })).toBe(false);
    expect(proxyFor(url('file:///tmp/x'), { HTTPS_PROXY: 'http://s:1' })).toBe(false);
  });

  test('a bare host:port is http://, a socks proxy is refused by name', () => {
    expect(proxyFor(url('https://x/'), { HTTPS_PROXY: 'proxy.corp:3128' })).toBe('http://proxy.corp:3128');
    expect(() => proxyFor(url('https://x/'), { HTTPS_PROXY: 'socks5://p:1' })).toThrow(InstallError);
    expect(() => proxyFor(url('https://x/'), { HTTPS_PROXY: 'socks5://p:1' })).toThrow(/HTTPS_PROXY uses socks5/);
  });
});

describe('naming a proxy', () => {
  test('the variable it came from is kept for messages', () => {
    expect(chooseProxy(url('https://x/'), { https_proxy: 'proxy.corp:3128' })).toEqual({ url: 'http://proxy.corp:3128', variable: 'https_proxy' });
  });

  test('passwords and lone tokens are masked, the user name kept', () => {
    expect(redactProxy('http://alice:s3cret@proxy:3128')).toBe('http://alice:***@proxy:3128');
    expect(redactProxy('http://tok3n@proxy:3128')).toBe('http://***@proxy:3128');
    expect(redactProxy('http://proxy:3128')).toBe('http://proxy:3128');
  });

  test('credentials run to the last @, whatever the host looks like (F5)', () => {
    expect(redactProxy('http://bob:p@ssw0rdX@proxy_01.corp.invalid:3128')).toBe('http://bob:***@proxy_01.corp.invalid:3128');
    expect(redactProxy('bob:p@ssw0rdX@proxy_01:3128')).toBe('bob:***@proxy_01:3128');
    expect(redactProxy('http://bob:p@ssw0rdX@127.0.0.1:')).toBe('http://bob:***@127.0.0.1:');
    expect(redactProxy('http://bob:p@ssw0rdX@[fe80::1%25eth0]:3128')).toBe('http://bob:***@[fe80::1%25eth0]:3128');
    expect(redactProxy('http://alice:pass word12@127.0.0.1:9')).toBe('http://alice:***@127.0.0.1:9');
    expect(redactProxy('tok3n@secret@127.0.0.1:9')).toBe('***@127.0.0.1:9');
  });

  test('a proxy whose parsed host is not what follows the last @ is refused, the password unshown (F7)', () => {
    const value = 'http://bob:Sup3r:S@cret/x@127.0.0.1:9';
    let error: unknown;
    try {
      chooseProxy(url('https://x/'), { HTTPS_PROXY: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InstallError);
    const { code, message, hint } = error as InstallError;
    expect(code).toBe('invalid_config');
    expect(hint).toMatch(/percent-encode/i);
    expect(`${message} ${hint}`).not.toMatch(/Sup3r|cret/);
  });

  test('proxies with _ in the host, an empty port or encoded credentials are still taken', () => {
    for (const value of ['http://bob:p@ssw0rdX@proxy_01.corp.invalid:3128', 'http://bob:p%40ss%2Fw@proxy:3128', 'http://alice:pass word12@127.0.0.1:9']) {
      expect(chooseProxy(url('https://x/'), { HTTPS_PROXY: value })?.variable).toBe('HTTPS_PROXY');
    }
  });

  test('an unparsable proxy URL is refused without showing its password', () => {
    expect(() => chooseProxy(url('https://x/'), { HTTPS_PROXY: 'http://alice:s3cret@[broken' })).toThrow(/HTTPS_PROXY="http:\/\/alice:\*\*\*@\[broken"/);
    expect(() => chooseProxy(url('https://x/'), { HTTPS_PROXY: 'http://bob:p@ssw0rdX@[fe80::1%25eth0]:3128' })).not.toThrow(/ssw0rdX/);
  });
});

describe('backoff', () => {
  const policy = { baseMs: 1000, maxMs: 30_000, maxRetryAfterMs: 60_000 };

  test('doubles per retry, with jitter in the upper half, up to the cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, policy, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, policy, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelayMs(20, policy, () => 1)).toBe(30_000);
  });

  test('Retry-After is seconds or an HTTP date', () => {
    const now = Date.parse('Sat, 14 Feb 2026 00:00:00 GMT');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Sat, 14 Feb 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 13 Feb 2026 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  test('retries 408, 429 and 5xx, never other 4xx', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410, 416].some(isRetryableStatus)).toBe(false);
  });
});

describe('sources', () => {
  test("astral's mirror comes first from 0.10.7, GitHub alone before it", () => {
    const urls = (version: string) => archiveSources(defaultDownloadBases(version), version, 'x86_64-unknown-linux-gnu').map((s) => s.url);
    expect(urls('0.10.7')).toEqual([
      'https://releases.astral.sh/github/uv/releases/download/0.10.7/uv-x86_64-unknown-linux-gnu.tar.gz',
      'https://github.com/astral-sh/uv/releases/download/0.10.7/uv-x86_64-unknown-linux-gnu.tar.gz',
    ]);
    expect(urls('0.11.12')).toHaveLength(2);
    expect(urls('0.10.2')).toEqual(['https://github.com/astral-sh/uv/releases/download/0.10.2/uv-x86_64-unknown-linux-gnu.tar.gz']);
  });

  test('CARAPACE_UV_DOWNLOAD_BASE replaces the list, in its order', () => {
    const settings = settingsFromEnv({ CARAPACE_UV_DOWNLOAD_BASE: 'https://a.example/uv/, http://b.example/uv', CARAPACE_UV_VERSION: '0.11.12' });
    expect(archiveSources(settings.download_bases, '0.11.12', 't').map((s) => s.sidecarUrl)).toEqual([
      'https://a.example/uv/0.11.12/uv-t.tar.gz.sha256',
      'http://b.example/uv/0.11.12/uv-t.tar.gz.sha256',
    ]);
  });
});
