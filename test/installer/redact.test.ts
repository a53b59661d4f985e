import { describe, expect, test } from 'bun:test';
import { redact, redactorFor, secretsIn } from '../../installer/redact.ts';

describe('redaction', () => {
  test('values of secret-named variables are masked, the current folder is not', () => {
    const secrets = secretsIn({
      PWD: '/home/alice/projects/app',
      OLDPWD: '/home/alice',
      DB_PWD: 'hunter2hunter2',
      CARAPACE_GATEKEEPER_TOKEN: 'tok-0123456789',
    });
    expect(secrets.sort()).toEqual(['hunter2hunter2', 'tok-0123456789']);
    const text = redact('log: /home/alice/projects/app/.carapace/logs/x.log token tok-0123456789', secrets);
    expect(text).toBe('log: /home/alice/projects/app/.carapace/logs/x.log token ***');
  });
});

describe('proxy credentials', () => {
  const cases: Array<[string, string]> = [
    ['HTTPS_PROXY=user:pass@proxy.corp:3128', 'HTTPS_PROXY=***@proxy.corp:3128'],
    ['via http://user:tPa55@word@proxy.corp:3128/x', 'via http://***@proxy.corp:3128/x'],
    ['via http://user:pa/ss@proxy.corp:3128', 'via http://***@proxy.corp:3128'],
    ['via http://us%40er:p%3Ass%2F@10.0.0.1:3128', 'via http://***@10.0.0.1:3128'],
    ['proxy me@corp.com:pa:ss@proxy.corp:3128 refused', 'proxy ***@proxy.corp:3128 refused'],
    ['"https_proxy": "u:p@[::1]:3128"', '"https_proxy": "***@[::1]:3128"'],
  ];
  for (const [input, output] of cases) {
    test(`masks ${input}`, () => expect(redact(input)).toBe(output));
  }

  const hosts: Array<[string, string]> = [
    ['via http://bob:p@ssw0rdX@proxy_01.corp.invalid:3128 refused', 'via http://***@proxy_01.corp.invalid:3128 refused'],
    ['via bob:p@ssw0rdX@proxy_01:3128 refused', 'via ***@proxy_01:3128 refused'],
    ['via http://bob:p@ssw0rdX@127.0.0.1: refused', 'via http://***@127.0.0.1: refused'],
    ['via http://bob:p@ssw0rdX@[fe80::1%25eth0]:3128 refused', 'via http://***@[fe80::1%25eth0]:3128 refused'],
  ];
  for (const [input, output] of hosts) {
    test(`masks up to the last @ before an _ host, an empty port or an IPv6 zone: ${input}`, () => expect(redact(input)).toBe(output));
  }

  test('leaves e-mail addresses, git remotes, times and plain URLs alone', () => {
    const text = 'mail me@corp.com; git@github.com:org/repo.git at 12:30:45 from https://pypi.org/simple/';
    expect(redact(text)).toBe(text);
  });
});

describe('secret values from the environment', () => {
  test('a proxy password is masked wherever it appears, as written and decoded', () => {
    const secrets = secretsIn({ HTTPS_PROXY: 'http://user:p%40ss%2Fw0rd@proxy:3128' });
    expect(redact('auth p@ss/w0rd and p%40ss%2Fw0rd', secrets)).toBe('auth *** and ***');
  });

  test('a *_PROXY userinfo is secret whole: a lone token, a password with @ or a space (F6, F7)', () => {
    const text = (value: string) => redact(`doctor: HTTPS_PROXY=${value}; uv: ${encodeURI(value)}`, secretsIn({ HTTPS_PROXY: value }));
    expect(text('tok3nSecretValue99@127.0.0.1:9')).not.toContain('tok3nSecretValue99');
    expect(text('http://alice:pass word12@127.0.0.1:9')).not.toMatch(/pass.word12/);
    expect(text('http://bob:p@ssw0rdX@proxy_01.corp.invalid:3128')).not.toContain('ssw0rdX');
    // An e-mail in any other variable is not a proxy's credentials.
    expect(secretsIn({ EMAIL: 'alice@example.com', UPSTREAM: 'git@github.com:org/repo.git' })).toEqual([]);
  });

  test('short values are masked as whole words only; trivial ones not at all', () => {
    const secrets = secretsIn({ DEPLOY_KEY: 'k9x2', FEATURE_TOKEN: 'true', MY_SECRET: 'ab' });
    expect(secrets).toEqual(['k9x2']);
    expect(redact('key k9x2, "k9x2" but not k9x2abc', secrets)).toBe('key ***, "***" but not k9x2abc');
  });

  test('names ending in _KEY, _SECRET, _TOKEN, _PASSWORD count; AWS region and profile do not', () => {
    const secrets = secretsIn({
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      GPG_SIGNING_KEY: 'signing-key-1',
      APP_PASSWORD: 'pw-123456',
      AWS_REGION: 'us-east-1',
      AWS_PROFILE: 'work',
      SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1',
    });
    expect(secrets.sort()).toEqual(['AKIAIOSFODNN7EXAMPLE', 'pw-123456', 'signing-key-1']);
  });

  test('extra secrets (the gatekeeper token) are masked too', () => {
    expect(redactorFor({}, ['gk-0123456789'])('Bearer-less gk-0123456789')).toBe('Bearer-less ***');
  });
});
