import { describe, expect, test } from 'bun:test';
import { createInstaller, type InstallerActors, type InstallerEvent } from '../../installer/installer.ts';
import { InstallError } from '../../machines/errors.ts';
import { CHECKS, SETTINGS, STAGED, fakeActivate } from '../machines/harness.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

function fakeActors(over: Partial<InstallerActors> = {}) {
  const calls = { check: 0, downloadUv: 0, installSkypilot: 0, verify: 0 };
  const actors: Omit<InstallerActors, 'lock'> = {
    check: async () => (calls.check++, CHECKS.nothing),
    downloadUv: async () => (calls.downloadUv++, { uv_path: '/h/uv/bin/uv', uv_version: '0.10.2' }),
    installSkypilot: async () => (calls.installSkypilot++, STAGED),
    verify: async () => (calls.verify++, { sky_path: '/h/tools/bin/sky', sky_version: '1.0.0.dev1' }),
    activate: fakeActivate(),
    ...over,
  };
  return { actors, calls };
}

describe('installer (the singleton factory)', () => {
  test('concurrent callers join one attempt and get the same result', async () => {
    const slow = gate();
    const { actors, calls } = fakeActors({
      downloadUv: async () => {
        calls.downloadUv++;
        await slow.opened;
        return { uv_path: '/h/uv/bin/uv', uv_version: '0.10.2' };
      },
    });
    const installer = createInstaller({ settings: SETTINGS, actors });
    const results = Array.from({ length: 50 }, () => installer.ensureSkypilot());
    await Bun.sleep(10);
    expect(installer.phase()).toBe('downloading_uv');
    slow.open();
    const outputs = await Promise.all(results);
    expect(calls).toEqual({ check: 1, downloadUv: 1, installSkypilot: 1, verify: 1 });
    expect(new Set(outputs.map((o) => JSON.stringify(o))).size).toBe(1);
    expect(outputs[0]).toMatchObject({ ok: true, sky_path: '/h/tools/bin/sky' });
    expect(installer.phase()).toBeNull();
  });

  test('upgrade is an attempt of its own after the running install, with the next attempt id and real state events', async () => {
    const slow = gate();
    const inputs: Array<{ upgrade?: boolean }> = [];
    const { actors } = fakeActors({
      check: async () => CHECKS.ready,
      installSkypilot: async (input) => {
        inputs.push({ upgrade: input.upgrade });
        await slow.opened;
        return STAGED;
      },
    });
    const installer = createInstaller({ settings: SETTINGS, actors });
    const events: InstallerEvent[] = [];
    installer.subscribe((e) => events.push(e));
    const install = installer.ensureSkypilot();
    const upgraded = installer.upgrade();
    slow.open();
    expect(await install).toMatchObject({ ok: true });
    expect(await upgraded).toMatchObject({ ok: true, sky_path: '/h/tools/bin/sky' });
    expect(inputs).toEqual([{ upgrade: true }]);
    const states = events.flatMap((e) => (e.type === 'install-state' ? [`${e.attempt}:${e.to}`] : []));
    expect(states).toEqual(['1:checking', '1:complete', '2:checking', '2:installing_skypilot', '2:verifying', '2:complete']);
  });

  test('after an attempt ends in error, the next call starts a fresh one', async () => {
    let fail = true;
    const { actors, calls } = fakeActors({
      installSkypilot: async () => {
        calls.installSkypilot++;
        if (fail) throw new InstallError('uv_install_failed', 'boom');
        return STAGED;
      },
    });
    const installer = createInstaller({ settings: SETTINGS, actors });
    const first = await installer.ensureSkypilot();
    expect(first).toMatchObject({ ok: false, error: { code: 'uv_install_failed', phase: 'installing_skypilot' } });
    fail = false;
    const second = await installer.ensureSkypilot();
    expect(second.ok).toBe(true);
    expect(calls.check).toBe(2);
  });

  test('subscribers see every transition, then its progress, for every attempt', async () => {
    const { actors } = fakeActors({ check: async () => CHECKS.ready });
    const installer = createInstaller({ settings: SETTINGS, actors });
    const events: InstallerEvent[] = [];
    const stop = installer.subscribe((e) => events.push(e));
    await installer.ensureSkypilot();
    await installer.ensureSkypilot();
    stop();
    await installer.ensureSkypilot();
    const summary = events.map((e) => (e.type === 'install-state' ? `${e.attempt}:${e.from}->${e.to}` : `${e.attempt}:${e.progress.phase}`));
    expect(summary).toEqual(['1:null->checking', '1:checking', '1:checking->complete', '1:complete', '2:null->checking', '2:checking', '2:checking->complete', '2:complete']);
  });

  test('a listener that throws does not break the install or other listeners', async () => {
    const { actors } = fakeActors();
    const installer = createInstaller({ settings: SETTINGS, actors });
    let seen = 0;
    installer.subscribe(() => {
      throw new Error('listener bug');
    });
    installer.subscribe(() => seen++);
    expect((await installer.ensureSkypilot()).ok).toBe(true);
    expect(seen).toBeGreaterThan(5);
  });

  test('a caller that stops waiting alone cancels the attempt, and the actor sees the abort', async () => {
    let aborted = false;
    const { actors } = fakeActors({
      downloadUv: (_input, signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new InstallError('cancelled', 'stopped'));
          }),
        ),
    });
    const installer = createInstaller({ settings: SETTINGS, actors });
    const controller = new AbortController();
    const pending = installer.ensureSkypilot({ signal: controller.signal });
    await Bun.sleep(10);
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'cancelled', phase: 'downloading_uv' } });
    await Bun.sleep(10);
    expect(aborted).toBe(true);
    expect(installer.phase()).toBeNull();
  });

  test('one caller stopping does not cancel an attempt others still wait for', async () => {
    const slow = gate();
    const { actors } = fakeActors({
      downloadUv: async () => {
        await slow.opened;
        return { uv_path: '/h/uv/bin/uv', uv_version: '0.10.2' };
      },
    });
    const installer = createInstaller({ settings: SETTINGS, actors });
    const controller = new AbortController();
    const leaving = installer.ensureSkypilot({ signal: controller.signal });
    const staying = installer.ensureSkypilot();
    await Bun.sleep(10);
    controller.abort();
    expect((await leaving).ok).toBe(false);
    slow.open();
    expect((await staying).ok).toBe(true);
  });

  test('invalid settings end the attempt with invalid_config instead of throwing', async () => {
    const installer = createInstaller({
      settings: () => {
        throw new InstallError('invalid_config', 'CARAPACE_PYTHON="2.7" is not valid');
      },
    });
    expect(await installer.ensureSkypilot()).toMatchObject({ ok: false, error: { code: 'invalid_config' } });
  });
});
