/**
 * The trust walks of one read share what they learnt (TrustWalk), but never a lenient answer
 * for a strict question: above the home a sticky, world-writable folder passes (/tmp), inside
 * it nothing writable by others does, whichever walk looked first.
 */
import { describe, expect, test } from 'bun:test';
import { chmod, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertTrusted, trustedHome, TrustWalk } from '../../actors/trust.ts';

describe('TrustWalk', () => {
  test('a folder passed under the rule above the home is looked at again under the rule inside it', async () => {
    const base = await mkdtemp(join(tmpdir(), 'carapace-trust-walk-'));
    try {
      const home = join(base, 'home');
      const tools = join(home, 'tools');
      await mkdir(tools, { recursive: true });
      await chmod(home, 0o700);
      await chmod(tools, 0o1777);
      // CARAPACE_HOME through a link that passes tools/ on its way: the home's walk sees tools/
      // before it knows it is inside the home, and /tmp's rule lets a sticky folder pass.
      await symlink('home/tools/..', join(base, 'link'));
      const memo = new TrustWalk();
      expect(await trustedHome(join(base, 'link'), memo)).toBe(home);
      const refused = assertTrusted(home, [tools], memo);
      await expect(refused).rejects.toMatchObject({ code: 'home_not_trusted', message: `${tools} is writable by every user; nothing in it is run` });
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
