import { describe, expect, test } from 'bun:test';
import { redact, secretsIn } from '../../installer/redact.ts';

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
