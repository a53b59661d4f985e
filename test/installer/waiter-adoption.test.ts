/**
 * A process waiting behind another's install lock takes that attempt's failure as its own only
 * when the holder installed the same thing (spec, Python, uv version, sources); otherwise it
 * runs its own attempt once the lock is free. Real lock and records under a temp home.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { createInstaller, type InstallerActors } from '../../installer/installer.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import { InstallError } from '../../machines/errors.ts';
import type { CheckResult } from '../../machines/types.ts';
import { STAGED, fakeActivate } from '../machines/harness.ts';
import { tempHome } from '../e2e/cli.ts';

const nothing = (home: string): CheckResult => ({
  status: { uv_installed: false, uv_version: null, sky_installed: false, sky_version: null, carapace_home: home },
  uv_path: null,
  sky_path: null,
  sky_problem: null,
  sky_outdated: null,
});

/** The holder fails in installing_skypilot once `fail` is called; the waiter's installs are counted. */
async function race(waiterEnv: Record<string, string>) {
  const home = await tempHome('carapace-adopt-');
  let fail!: () => void;
  const failing = new Promise<void>((r) => (fail = r));
  let waiterInstalls = 0;
  const common = (onInstall: () => Promise<typeof STAGED>): Partial<InstallerActors> => ({
    check: async () => nothing(home),
    downloadUv: async () => ({ uv_path: join(home, 'uv/bin/uv'), uv_version: '0.10.2' }),
    installSkypilot: onInstall,
    verify: async () => ({ sky_path: join(home, 'tools/bin/sky'), sky_version: '1.0' }),
    activate: fakeActivate(join(home, 'tools/bin/sky')),
  });
  const holder = createInstaller({
    settings: settingsFromEnv({ CARAPACE_HOME: home }),
    coordinate: true,
    actors: common(async () => {
      await failing;
      throw new InstallError('uv_install_failed', 'the holder failed');
    }),
  });
  const waiter = createInstaller({
    settings: settingsFromEnv({ CARAPACE_HOME: home, ...waiterEnv }),
    coordinate: true,
    lock: { pollMs: 20 },
    actors: common(async () => {
      waiterInstalls++;
      return STAGED;
    }),
  });
  const first = holder.ensureSkypilot();
  while (holder.phase() !== 'installing_skypilot') await Bun.sleep(5);
  const waited: string[] = [];
  waiter.subscribe((e) => e.type === 'install-progress' && waited.push(e.progress.message));
  const second = waiter.ensureSkypilot();
  while (!waited.some((m) => m.startsWith('waiting for another installer'))) await Bun.sleep(5);
  fail();
  return { holder: await first, waiter: await second, waiterInstalls: () => waiterInstalls };
}

describe('a waiter adopts only the same install', () => {
  test('same settings: the waiter ends with the holder failure and installs nothing', async () => {
    const run = await race({});
    expect(run.holder).toMatchObject({ ok: false, error: { code: 'uv_install_failed' } });
    expect(run.waiter).toMatchObject({ ok: false, error: { code: 'uv_install_failed' } });
    expect(run.waiter.ok ? '' : run.waiter.error.message).toContain('in another installer');
    expect(run.waiterInstalls()).toBe(0);
  });

  for (const [what, env] of [
    ['another SkyPilot spec', { CARAPACE_SKYPILOT_SPEC: 'skypilot-nightly[aws,gcp]' }],
    ['another Python', { CARAPACE_PYTHON: '3.11' }],
    ['another uv version', { CARAPACE_UV_VERSION: '0.11.12' }],
    ['another package index', { UV_DEFAULT_INDEX: 'http://127.0.0.1:9/simple' }],
    ['another uv source', { CARAPACE_UV_DOWNLOAD_BASE: 'http://127.0.0.1:9/uv' }],
  ] as const) {
    test(`${what}: the waiter runs its own attempt once the lock is free`, async () => {
      const run = await race(env);
      expect(run.holder).toMatchObject({ ok: false, error: { code: 'uv_install_failed' } });
      expect(run.waiter).toMatchObject({ ok: true });
      expect(run.waiterInstalls()).toBe(1);
    });
  }
});
