/**
 * Every attempt's progress ends with exactly one event of phase `complete` or `error`
 * (product contract, issue 13 item 2), after which no progress of that attempt follows.
 */
import { describe, expect, test } from 'bun:test';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInstaller, type InstallerActors, type InstallerEvent } from '../../installer/installer.ts';
import { InstallError } from '../../machines/errors.ts';
import type { InstallProgress } from '../../machines/types.ts';
import { CHECKS, SETTINGS, STAGED, fakeActivate } from '../machines/harness.ts';

const ACTORS: InstallerActors = {
  lock: async () => {},
  check: async () => CHECKS.nothing,
  downloadUv: async () => ({ uv_path: '/h/uv/bin/uv', uv_version: '0.10.2' }),
  installSkypilot: async () => STAGED,
  verify: async () => ({ sky_path: '/h/tools/bin/sky', sky_version: '1.0.0.dev20260214' }),
  activate: fakeActivate(),
};

async function progressOf(run: (events: InstallerEvent[]) => Promise<unknown>): Promise<InstallProgress[]> {
  const events: InstallerEvent[] = [];
  await run(events);
  return events.flatMap((e) => (e.type === 'install-progress' ? [e.progress] : []));
}

function ends(progress: InstallProgress[]) {
  return progress.filter((p) => p.phase === 'complete' || p.phase === 'error');
}

describe('the event that ends an attempt', () => {
  test('a successful attempt ends with one "SkyPilot ready" event carrying the version and path', async () => {
    const installer = createInstaller({ settings: SETTINGS, actors: ACTORS });
    const progress = await progressOf(async (events) => {
      installer.subscribe((e) => events.push(e));
      await installer.ensureSkypilot();
    });
    expect(progress.map((p) => p.message)).toEqual([
      'Checking for SkyPilot...',
      'Downloading uv...',
      'Installing SkyPilot...',
      'Verifying SkyPilot...',
      'SkyPilot ready',
    ]);
    expect(ends(progress)).toEqual([
      { phase: 'complete', message: 'SkyPilot ready', percent: null, sky_version: '1.0.0.dev20260214', sky_path: '/h/tools/bin/sky' },
    ]);
  });

  test('a failed attempt ends with one error event: the message, and the error with hint, detail and the kept log', async () => {
    const home = join(await mkdtemp(join(tmpdir(), 'carapace-final-')), 'home');
    const failing: InstallerActors = {
      ...ACTORS,
      installSkypilot: async () => {
        throw new InstallError('uv_install_failed', 'uv tool install exited with 1', { detail: 'No solution found' });
      },
    };
    const installer = createInstaller({ settings: { ...SETTINGS, home }, actors: failing, coordinate: true });
    let result: Awaited<ReturnType<typeof installer.ensureSkypilot>> | undefined;
    const progress = await progressOf(async (events) => {
      installer.subscribe((e) => events.push(e));
      result = await installer.ensureSkypilot();
    });
    expect(ends(progress)).toEqual([progress.at(-1)!]);
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ phase: 'error', message: 'uv tool install exited with 1', percent: null });
    expect(last.error).toMatchObject({ code: 'uv_install_failed', phase: 'installing_skypilot', hint: expect.any(String) });
    expect(last.error!.log_path).toStartWith(join(home, 'logs', 'install-'));
    expect(last.error!.detail).toContain('No solution found');
    expect(result).toEqual({ ok: false, error: { code: last.error!.code, phase: last.error!.phase, message: last.error!.message, hint: last.error!.hint, detail: last.error!.detail } });
    expect(await Bun.file(last.error!.log_path!).exists()).toBe(true);
  });

  test('settings that cannot be read still end the attempt with an error event', async () => {
    const installer = createInstaller({
      settings: () => {
        throw new InstallError('invalid_config', 'CARAPACE_PYTHON is not a Python version');
      },
      actors: ACTORS,
    });
    const progress = await progressOf(async (events) => {
      installer.subscribe((e) => events.push(e));
      await installer.ensureSkypilot();
    });
    expect(progress).toEqual([
      expect.objectContaining({ phase: 'error', message: 'CARAPACE_PYTHON is not a Python version', error: expect.objectContaining({ code: 'invalid_config', log_path: null }) }),
    ]);
  });

  test('a cancelled attempt ends with one error event of code cancelled', async () => {
    const slow: InstallerActors = {
      ...ACTORS,
      downloadUv: (_, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new InstallError('cancelled', 'stopped')))),
    };
    const installer = createInstaller({ settings: SETTINGS, actors: slow });
    const progress = await progressOf(async (events) => {
      installer.subscribe((e) => events.push(e));
      const done = installer.ensureSkypilot();
      await Bun.sleep(10);
      await installer.cancel('the user pressed Cancel');
      await done;
    });
    expect(ends(progress)).toEqual([expect.objectContaining({ phase: 'error', error: expect.objectContaining({ code: 'cancelled' }) })]);
    expect(progress.at(-1)!.phase).toBe('error');
  });
});
