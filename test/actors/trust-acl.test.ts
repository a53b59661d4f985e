/**
 * actors/trust.ts against POSIX ACLs on Linux: a named entry with write shows in the mode only
 * as group write (the ACL's mask) with the owner's own group, which the mode rule allows, so
 * a path showing its own group's write is refused when it has an access ACL. The other user is
 * uid 12345, which setfacl needs no account for; setfacl comes from Debian's `acl`
 * (test/system-deps.sh installs it).
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layoutOf } from '../../actors/layout.ts';
import { assertTrusted, trustedHome, uvPaths } from '../../actors/trust.ts';
import { InstallError } from '../../machines/errors.ts';

const OTHER = 12345;

function setfacl(...args: string[]): void {
  if (!Bun.which('setfacl')) throw new Error('setfacl is missing: apt-get install -y acl (npm test does this as root)');
  const run = Bun.spawnSync(['setfacl', ...args]);
  if (run.exitCode !== 0) throw new Error(`setfacl ${args.join(' ')}: ${run.stderr.toString()}`);
}

/** What the check threw, or null when it passed. */
async function refusal(check: Promise<unknown>): Promise<InstallError | null> {
  try {
    await check;
    return null;
  } catch (error) {
    if (error instanceof InstallError) return error;
    throw error;
  }
}

let base: string;
let home: string;
let uvBin: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'trust-acl-'));
  home = join(base, 'home');
  uvBin = join(home, 'uv/bin');
  mkdirSync(uvBin, { recursive: true, mode: 0o755 });
  chmodSync(home, 0o700);
  writeFileSync(join(uvBin, 'uv'), '#!/bin/sh\n', { mode: 0o755 });
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

const checkUv = () => refusal(assertTrusted(home, uvPaths(layoutOf(home))));

describe.skipIf(process.platform !== 'linux')('the trust check and access ACLs', () => {
  test('a folder another user may write through a named-user entry is refused, with code, message, hint and path', async () => {
    setfacl('-m', `u:${OTHER}:rwx`, uvBin);
    const error = await checkUv();
    expect(error).toMatchObject({
      code: 'home_not_trusted',
      message: `${uvBin} has an access ACL (setfacl) that may grant others write; nothing in it is run`,
      detail: `path: ${uvBin}`,
    });
    expect(error?.hint).toContain('setfacl -b');
  });

  test('a file given to a named group, the home itself and a folder above it are refused as well', async () => {
    setfacl('-m', `g:${OTHER}:rwx`, join(uvBin, 'uv'));
    expect((await checkUv())?.detail).toBe(`path: ${join(uvBin, 'uv')}`);
    setfacl('-b', join(uvBin, 'uv'));
    expect(await checkUv()).toBeNull();

    setfacl('-m', `u:${OTHER}:rwx`, home);
    expect((await refusal(trustedHome(home)))?.detail).toBe(`path: ${home}`);
    setfacl('-b', home);
    chmodSync(home, 0o700);
    setfacl('-m', `u:${OTHER}:rwx`, base);
    expect((await refusal(trustedHome(home)))?.detail).toBe(`path: ${base}`);
  });

  test('an ACL that lets no other entry write shows no group write, and passes', async () => {
    // Read only, and write masked off (the mask, not the entry, decides: acl(5)).
    setfacl('-m', `u:${OTHER}:r-x`, uvBin);
    setfacl('-m', `u:${OTHER}:rwx,m::r-x`, join(uvBin, 'uv'));
    expect(await checkUv()).toBeNull();
  });

  test('group write of this user’s own group without an ACL (umask 002) passes', async () => {
    chmodSync(uvBin, 0o775);
    chmodSync(join(uvBin, 'uv'), 0o775);
    expect(await checkUv()).toBeNull();
    expect(await refusal(trustedHome(home))).toBeNull();
  });

  test('a default ACL on the home is not refused; what is made under it is, once a named entry can write', async () => {
    setfacl('-d', '-m', `u:${OTHER}:rwx`, home);
    expect(await refusal(trustedHome(home))).toBeNull();
    // The product's own modes leave the inherited entry no right; uv's 0777 folders do not.
    const own = join(home, 'logs');
    mkdirSync(own, { mode: 0o700 });
    expect(await refusal(assertTrusted(home, [own]))).toBeNull();
    const uvMade = join(home, 'tools');
    mkdirSync(uvMade, { mode: 0o777 });
    expect((await refusal(assertTrusted(home, [uvMade])))?.detail).toBe(`path: ${uvMade}`);
  });
});
