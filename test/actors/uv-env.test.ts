/**
 * What uv runs with (actors/uv-env.ts), as the stand-in uv records it (STANDIN_UV_ENV_LOG):
 * only uv-managed Pythons unless the user chose otherwise, and the TLS variable the installed
 * uv release reads (UV_NATIVE_TLS before 0.11, UV_SYSTEM_CERTS from 0.11) with the user's value.
 */
import { describe, expect, test } from 'bun:test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { uvVersionAt } from '../../actors/check.ts';
import { installSkypilot } from '../../actors/install-skypilot.ts';
import { homeWithUv } from './standin.ts';

const deps = { fetch, now: Date.now };

/** Runs `uv tool install` with the stand-in at `uvVersion`; the variables uv was given, by name. */
async function uvSaw(env: Record<string, string>, uvVersion = '0.10.2'): Promise<Record<string, string>> {
  const { home, layout, settings } = await homeWithUv(env, uvVersion);
  const log = join(home, '..', 'uv-env.log');
  settings.env.STANDIN_UV_ENV_LOG = log;
  await installSkypilot({ settings, deps, uv_path: layout.uv, force: false, report: () => {} }, new AbortController().signal);
  const line = (await readFile(log, 'utf8')).split('\n').find((l) => l.startsWith('tool install ')) ?? '';
  return Object.fromEntries(line.split(' ').slice(2).map((pair) => pair.split('=') as [string, string]));
}

describe('uv runs with managed Pythons only', () => {
  test('UV_PYTHON_PREFERENCE=only-managed reaches uv tool install', async () => {
    expect((await uvSaw({})).UV_PYTHON_PREFERENCE).toBe('only-managed');
  });

  test("a preference of the user's own is kept", async () => {
    expect((await uvSaw({ UV_PYTHON_PREFERENCE: 'system' })).UV_PYTHON_PREFERENCE).toBe('system');
  });
});

describe("uv's TLS variable follows the installed release", () => {
  const lines: Array<[string, 'UV_NATIVE_TLS' | 'UV_SYSTEM_CERTS']> = [
    ['0.10.2', 'UV_NATIVE_TLS'],
    ['0.10.12', 'UV_NATIVE_TLS'],
    ['0.11.12', 'UV_SYSTEM_CERTS'],
    ['0.12.0', 'UV_SYSTEM_CERTS'],
  ];
  for (const [version, reads] of lines) {
    const other = reads === 'UV_NATIVE_TLS' ? 'UV_SYSTEM_CERTS' : 'UV_NATIVE_TLS';
    test(`uv ${version} gets ${reads}, with the value the user gave either name`, async () => {
      for (const given of ['UV_NATIVE_TLS', 'UV_SYSTEM_CERTS']) {
        const saw = await uvSaw({ [given]: 'true' }, version);
        expect(saw[reads]).toBe('true');
        expect(saw[other]).toBe('-');
      }
    });
  }

  test('neither variable is set when the user set none', async () => {
    for (const version of ['0.10.2', '0.11.12']) {
      expect(await uvSaw({}, version)).toMatchObject({ UV_NATIVE_TLS: '-', UV_SYSTEM_CERTS: '-' });
    }
  });

  test("the name uv reads keeps the user's own value when both are set", async () => {
    expect(await uvSaw({ UV_NATIVE_TLS: 'false', UV_SYSTEM_CERTS: 'true' }, '0.10.2')).toMatchObject({ UV_NATIVE_TLS: 'false', UV_SYSTEM_CERTS: '-' });
    expect(await uvSaw({ UV_NATIVE_TLS: 'false', UV_SYSTEM_CERTS: 'true' }, '0.11.12')).toMatchObject({ UV_NATIVE_TLS: '-', UV_SYSTEM_CERTS: 'true' });
  });
});

describe("uv's --version on each release line", () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['0.10.2', {}, /^uv 0\.10\.2 \([0-9a-f]{9} \d{4}-\d\d-\d\d\)$/],
    ['0.10.12', {}, /^uv 0\.10\.12 \([0-9a-f]{9} \d{4}-\d\d-\d\d x86_64-unknown-linux-gnu\)$/],
    ['0.11.12', {}, /^uv 0\.11\.12 \([0-9a-f]{9} \d{4}-\d\d-\d\d x86_64-unknown-linux-gnu\)$/],
    ['0.11.16', { STANDIN_UV_NO_GIT: '1' }, /^uv 0\.11\.16 \(x86_64-unknown-linux-gnu\)$/],
    ['0.12.0', {}, /^uv 0\.12\.0 \([0-9a-f]{9} \d{4}-\d\d-\d\d x86_64-unknown-linux-gnu\)$/],
  ];
  for (const [version, env, shape] of cases) {
    test(`uv ${version}${env.STANDIN_UV_NO_GIT ? ' (built without git)' : ''}: printed as uv prints it, read as ${version}`, async () => {
      const { home, layout } = await homeWithUv({}, version);
      const printed = Bun.spawnSync([layout.uv, '--version'], { env: { PATH: process.env.PATH ?? '', ...env } }).stdout.toString().trim();
      expect(printed).toMatch(shape);
      expect(await uvVersionAt(layout.uv, { PATH: process.env.PATH, ...env }, undefined, home)).toBe(version);
    });
  }
});
