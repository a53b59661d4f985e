/**
 * The path set behind the status memo (installer/status-paths.ts), on small trees made here:
 * every component met while following each path through its links, up to the first missing.
 */
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statusPaths } from '../../installer/status-paths.ts';

const SPEC = 'skypilot-nightly[aws]';
let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'status-paths-'));
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

test('a home that is a link to a folder not made yet: the name is in the real folder, every folder above it too', () => {
  mkdirSync(join(base, 'a/b'), { recursive: true });
  symlinkSync(join(base, 'a/b/home'), join(base, 'link'));
  const { paths, above } = statusPaths(join(base, 'link'), SPEC);
  expect(paths).toEqual(expect.arrayContaining([join(base, 'link'), join(base, 'a'), join(base, 'a/b'), join(base, 'a/b/home')]));
  expect(paths).not.toContain(join(base, 'link/uv'));
  expect([...above]).toEqual(expect.arrayContaining([base, join(base, 'link'), join(base, 'a'), join(base, 'a/b')]));
  expect(above.has(join(base, 'a/b/home'))).toBe(false);
});

/** A home whose `sky` links into environment `linked`, its entry point naming `named`'s interpreter. */
function home(linked: string, named: string): string {
  const at = join(base, 'home');
  mkdirSync(join(at, 'tools/bin'), { recursive: true });
  mkdirSync(join(at, `tools/environments/${linked}/bin`), { recursive: true });
  writeFileSync(join(at, `tools/environments/${linked}/bin/sky`), `#!${join(at, 'tools/environments', named, 'bin/python')}\n`);
  symlinkSync(`../environments/${linked}/bin/sky`, join(at, 'tools/bin/sky'));
  return at;
}

test('the environment sky’s first line names is in the set, as the check reads that one', () => {
  const at = home('skypilot-nightly', 'elsewhere');
  const { paths } = statusPaths(at, SPEC);
  expect(paths).toEqual(expect.arrayContaining([join(at, 'tools/environments/elsewhere'), join(at, 'tools/environments/skypilot-nightly/bin/sky')]));
});

test('a link whose target is gone names the missing target in its real folder', () => {
  const at = home('skypilot-nightly', 'skypilot-nightly');
  mkdirSync(join(at, 'python/cpython-3.12/bin'), { recursive: true });
  symlinkSync(join(at, 'python/cpython-3.12/bin/python3.12'), join(at, 'tools/environments/skypilot-nightly/bin/python'));
  const { paths } = statusPaths(at, SPEC);
  expect(paths).toContain(join(at, 'python/cpython-3.12/bin/python3.12'));
});
