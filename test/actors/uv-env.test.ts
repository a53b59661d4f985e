/**
 * What uv runs with (actors/uv-env.ts), as the stand-in uv records it (STANDIN_UV_ENV_LOG):
 * only uv-managed Pythons unless the user chose otherwise, and the TLS variable the installed
 * uv release reads (UV_NATIVE_TLS before 0.11, UV_SYSTEM_CERTS from 0.11) with the user's value.
 */
import { describe, expect, test } from 'bun:test';
import { chmod, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uvVersionAt } from '../../actors/check.ts';
import { installSkypilot } from '../../actors/install-skypilot.ts';
import { verifySky } from '../../actors/verify.ts';
import { standinPythonScript } from '../../demo/standin-uv.ts';
import { homeWithUv, installCurrent } from './standin.ts';

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

/** A Python 3.12 "found on the system", the way pyenv lays one out. */
async function pyenvPython(): Promise<{ root: string; python: string }> {
  const root = await mkdtemp(join(tmpdir(), 'carapace-pyenv-'));
  const bin = join(root, 'versions/3.12.4/bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'python3.12'), standinPythonScript('3.12.4'));
  await chmod(join(bin, 'python3.12'), 0o755);
  return { root, python: join(bin, 'python3.12') };
}

describe('uv runs with managed Pythons only', () => {
  test('a pyenv Python on the machine is not what SkyPilot runs on (removing it breaks nothing), unless the user asks for system Pythons', async () => {
    const pyenv = await pyenvPython();
    const { layout, settings } = await homeWithUv({ STANDIN_UV_SYSTEM_PYTHON: pyenv.python });
    const install = () => installCurrent(settings, layout, true);
    const envPython = join(layout.toolDir, 'skypilot-nightly/bin/python');
    await install();
    expect(await readlink(envPython)).toStartWith(`${layout.pythonDir}/`);
    // The user's own choice: with no managed Python to prefer, uv takes the pyenv one.
    await rm(layout.pythonDir, { recursive: true });
    settings.env.UV_PYTHON_PREFERENCE = 'system';
    await install();
    expect(await readlink(envPython)).toBe(pyenv.python);
    delete settings.env.UV_PYTHON_PREFERENCE;
    await install();
    expect(await readlink(envPython)).toStartWith(`${layout.pythonDir}/`);
    await rm(pyenv.root, { recursive: true });
    expect(await verifySky({ settings, deps, report: () => {} }, new AbortController().signal)).toMatchObject({ sky_path: layout.sky });
  });

  test("UV_PYTHON_PREFERENCE=only-managed reaches uv tool install; a preference of the user's own is kept", async () => {
    expect((await uvSaw({})).UV_PYTHON_PREFERENCE).toBe('only-managed');
    expect((await uvSaw({ UV_PYTHON_PREFERENCE: 'system' })).UV_PYTHON_PREFERENCE).toBe('system');
  });
});

/** `uv --version` as each release line prints it (crates/uv-cli/src/version.rs). */
const HASH_DATE = '[0-9a-f]{9} \\d{4}-\\d\\d-\\d\\d';
const LINES: Array<[string, 'UV_NATIVE_TLS' | 'UV_SYSTEM_CERTS', RegExp]> = [
  ['0.10.2', 'UV_NATIVE_TLS', new RegExp(`^uv 0\\.10\\.2 \\(${HASH_DATE}\\)$`)],
  ['0.10.12', 'UV_NATIVE_TLS', new RegExp(`^uv 0\\.10\\.12 \\(${HASH_DATE} x86_64-unknown-linux-gnu\\)$`)],
  ['0.11.12', 'UV_SYSTEM_CERTS', new RegExp(`^uv 0\\.11\\.12 \\(${HASH_DATE} x86_64-unknown-linux-gnu\\)$`)],
  ['0.12.0', 'UV_SYSTEM_CERTS', new RegExp(`^uv 0\\.12\\.0 \\(${HASH_DATE} x86_64-unknown-linux-gnu\\)$`)],
];

async function printedVersion(uv: string, env: Record<string, string> = {}): Promise<string> {
  return Bun.spawnSync([uv, '--version'], { env: { PATH: process.env.PATH ?? '', ...env } }).stdout.toString().trim();
}

describe('uv release lines', () => {
  for (const [version, reads, shape] of LINES) {
    const other = reads === 'UV_NATIVE_TLS' ? 'UV_SYSTEM_CERTS' : 'UV_NATIVE_TLS';
    test(`uv ${version}: its --version is read, and it gets ${reads} with the value the user gave either name`, async () => {
      const { home, layout } = await homeWithUv({}, version);
      expect(await printedVersion(layout.uv)).toMatch(shape);
      expect(await uvVersionAt(layout.uv, { PATH: process.env.PATH }, undefined, home)).toBe(version);
      for (const given of ['UV_NATIVE_TLS', 'UV_SYSTEM_CERTS']) {
        const saw = await uvSaw({ [given]: 'true' }, version);
        expect(saw[reads]).toBe('true');
        expect(saw[other]).toBe('-');
      }
      // None set: none given.
      expect(await uvSaw({}, version)).toMatchObject({ UV_NATIVE_TLS: '-', UV_SYSTEM_CERTS: '-' });
    });
  }

  test("a uv built without git information prints only its triple, and is read; the name uv reads keeps the user's value", async () => {
    const { home, layout } = await homeWithUv({}, '0.11.16');
    const env = { STANDIN_UV_NO_GIT: '1' };
    expect(await printedVersion(layout.uv, env)).toBe('uv 0.11.16 (x86_64-unknown-linux-gnu)');
    expect(await uvVersionAt(layout.uv, { PATH: process.env.PATH, ...env }, undefined, home)).toBe('0.11.16');
    expect(await uvSaw({ UV_NATIVE_TLS: 'false', UV_SYSTEM_CERTS: 'true' }, '0.10.2')).toMatchObject({ UV_NATIVE_TLS: 'false', UV_SYSTEM_CERTS: '-' });
    expect(await uvSaw({ UV_NATIVE_TLS: 'false', UV_SYSTEM_CERTS: 'true' }, '0.11.16')).toMatchObject({ UV_NATIVE_TLS: '-', UV_SYSTEM_CERTS: 'true' });
  });
});
