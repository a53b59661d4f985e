import { describe, expect, test } from 'bun:test';
import { hostPlatform, uvTriple } from '../../actors/platform.ts';

describe('uv release triple', () => {
  test.each([
    [{ platform: 'linux', arch: 'x64', glibc: '2.36', musl: false }, 'x86_64-unknown-linux-gnu'],
    [{ platform: 'linux', arch: 'arm64', glibc: '2.31', musl: false }, 'aarch64-unknown-linux-gnu'],
    [{ platform: 'linux', arch: 'arm64', glibc: '2.27', musl: false }, 'aarch64-unknown-linux-musl'],
    [{ platform: 'linux', arch: 'x64', glibc: null, musl: true }, 'x86_64-unknown-linux-musl'],
    [{ platform: 'darwin', arch: 'arm64', glibc: null, musl: false }, 'aarch64-apple-darwin'],
    [{ platform: 'darwin', arch: 'x64', glibc: null, musl: false }, 'x86_64-apple-darwin'],
  ])('%o → %s', (facts, triple) => {
    expect(uvTriple(facts)).toBe(triple);
  });

  test.each([
    { platform: 'win32', arch: 'x64', glibc: null, musl: false },
    { platform: 'linux', arch: 'ia32', glibc: '2.36', musl: false },
    { platform: 'freebsd', arch: 'x64', glibc: null, musl: false },
  ])('%o is unsupported_platform', (facts) => {
    expect(() => uvTriple(facts)).toThrow(expect.objectContaining({ code: 'unsupported_platform' }));
  });

  test('this machine maps to a triple uv publishes', () => {
    expect(uvTriple(hostPlatform())).toMatch(/^(x86_64|aarch64)-(unknown-linux-(gnu|musl)|apple-darwin)$/);
  });
});
