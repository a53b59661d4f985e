import { describe, expect, test } from 'bun:test';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultDownloadBases, settingsFromEnv } from '../../installer/settings.ts';
import { resolveHome, statusSettingsFromEnv } from '../../installer/status-settings.ts';

describe('settings from the environment', () => {
  test('defaults follow the product contract', () => {
    const s = settingsFromEnv({});
    expect(s).toMatchObject({
      home: join(homedir(), '.carapace'),
      uv_version: '0.10.2',
      uv_sha256: null,
      skypilot_spec: 'skypilot-nightly[aws]',
      python: '3.12',
      download_retries: 3,
      install_timeout_ms: 20 * 60_000,
      stall_timeout_ms: 30_000,
      low_speed_limit: 1024,
      low_speed_time_ms: 60_000,
    });
    expect(s.download_bases).toEqual(['https://github.com/astral-sh/uv/releases/download']);
  });

  test("astral's mirror comes first from 0.10.7 on", () => {
    expect(defaultDownloadBases('0.10.7')[0]).toBe('https://releases.astral.sh/github/uv/releases/download');
    expect(defaultDownloadBases('0.11.12')).toHaveLength(2);
    expect(defaultDownloadBases('0.10.6')).toHaveLength(1);
  });

  test('overrides: comma-separated bases lose trailing slashes; digests are lower-cased; home is absolute', () => {
    const s = settingsFromEnv({
      CARAPACE_HOME: 'relative/home',
      CARAPACE_UV_DOWNLOAD_BASE: 'http://a.example/uv/, https://b.example/uv',
      CARAPACE_UV_SHA256: 'AB'.repeat(32),
      CARAPACE_INSTALL_TIMEOUT: '90',
    });
    expect(s.home.startsWith('/')).toBe(true);
    expect(s.download_bases).toEqual(['http://a.example/uv', 'https://b.example/uv']);
    expect(s.uv_sha256).toBe('ab'.repeat(32));
    expect(s.install_timeout_ms).toBe(90_000);
  });

  test.each([
    ['CARAPACE_UV_VERSION', 'v0.10.2'],
    ['CARAPACE_UV_SHA256', 'abc'],
    ['CARAPACE_PYTHON', '2.7'],
    ['CARAPACE_UV_DOWNLOAD_BASE', 'ftp://mirror'],
    ['CARAPACE_UV_DOWNLOAD_BASE', 'http://[::1'],
    ['CARAPACE_LOW_SPEED_LIMIT', '-1'],
    ['CARAPACE_INSTALL_TIMEOUT', 'soon'],
    ['CARAPACE_SKYPILOT_SPEC', '--index-url=http://evil'],
  ])('%s=%s is refused with invalid_config naming the variable', (name, value) => {
    expect(() => settingsFromEnv({ [name]: value })).toThrow(expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining(name) }));
  });
});

describe('timeouts', () => {
  const timeouts = ['CONNECT', 'STALL', 'INSTALL', 'VERIFY', 'LOW_SPEED_TIME'] as const;
  const field = {
    CONNECT: 'connect_timeout_ms',
    STALL: 'stall_timeout_ms',
    INSTALL: 'install_timeout_ms',
    VERIFY: 'verify_timeout_ms',
    LOW_SPEED_TIME: 'low_speed_time_ms',
  } as const;
  const variable = (t: (typeof timeouts)[number]) => (t === 'LOW_SPEED_TIME' ? 'CARAPACE_LOW_SPEED_TIME' : `CARAPACE_${t}_TIMEOUT`);

  test.each(timeouts)('CARAPACE_%s: 0 and anything past the 2^31-1 ms timer cap are 0, no limit', (t) => {
    expect(settingsFromEnv({ [variable(t)]: '0' })[field[t]]).toBe(0);
    expect(settingsFromEnv({ [variable(t)]: '2147484' })[field[t]]).toBe(0);
    expect(settingsFromEnv({ [variable(t)]: '2147483' })[field[t]]).toBe(2_147_483_000);
  });

  test.each(timeouts)('CARAPACE_%s: a tiny fraction is 1 ms, never "at once"', (t) => {
    expect(settingsFromEnv({ [variable(t)]: '0.0001' })[field[t]]).toBe(1);
  });
});

describe('CARAPACE_HOME', () => {
  test.each([
    ['/srv/carapace', '/srv/carapace'],
    ['/srv/carapace/', '/srv/carapace'],
    ['/srv//carapace', '/srv/carapace'],
    ['/srv/./x/../carapace', '/srv/carapace'],
    ['/srv/.carapace', '/srv/.carapace'],
    ['/srv/..carapace', '/srv/..carapace'],
  ])('%s is used as %s, the path path.resolve gives', (raw, home) => {
    expect(resolveHome({ CARAPACE_HOME: raw })).toBe(home);
    expect(resolve(raw)).toBe(home);
  });

  test('relative paths resolve against the working folder; ~/ is the user home', () => {
    expect(resolveHome({ CARAPACE_HOME: 'rel/home' })).toBe(join(process.cwd(), 'rel/home'));
    expect(resolveHome({ CARAPACE_HOME: '~/elsewhere/' })).toBe(join(homedir(), 'elsewhere'));
    expect(resolveHome({ CARAPACE_HOME: '' })).toBe(join(homedir(), '.carapace'));
  });

  test('status reads only the home and the requirement, so an install-only typo does not break it', () => {
    const env = { CARAPACE_HOME: '/srv/c', CARAPACE_SKYPILOT_SPEC: ' skypilot[gcp] ', CARAPACE_UV_SHA256: 'abc' };
    expect(statusSettingsFromEnv(env)).toEqual({ home: '/srv/c', skypilot_spec: 'skypilot[gcp]', env });
    expect(() => settingsFromEnv(env)).toThrow(expect.objectContaining({ code: 'invalid_config' }));
  });
});
