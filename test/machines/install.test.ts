import { describe, expect, test } from 'bun:test';
import { waitFor } from 'xstate';
import { InstallError } from '../../machines/errors.ts';
import { phaseOf } from '../../machines/install.ts';
import { CHECKS, SETTINGS, STAGED, settle, startControlled } from './harness.ts';

describe('install machine', () => {
  test('a fresh machine goes checking → downloading_uv → installing_skypilot → verifying → complete', async () => {
    const { actor, invoked } = startControlled();
    const seen: string[] = [phaseOf(actor.getSnapshot())];
    actor.subscribe((s) => seen.at(-1) !== phaseOf(s) && seen.push(phaseOf(s)));
    (await invoked('check')).resolve(CHECKS.nothing);
    (await invoked('downloadUv')).resolve({ uv_path: '/h/uv/bin/uv', uv_version: '0.10.2' });
    const install = await invoked('installSkypilot');
    expect(install.input).toMatchObject({ uv_path: '/h/uv/bin/uv', force: false });
    install.resolve(STAGED);
    (await invoked('verify')).resolve({ sky_path: STAGED.sky_path, sky_version: '1.0.0.dev20260214' });
    (await invoked('activate')).resolve({ sky_path: '/h/tools/bin/sky', previous: null });
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(seen).toEqual(['checking', 'downloading_uv', 'installing_skypilot', 'verifying', 'complete']);
    expect(done.output).toEqual({
      ok: true,
      sky_path: '/h/tools/bin/sky',
      status: {
        uv_installed: true,
        uv_version: '0.10.2',
        sky_installed: true,
        sky_version: '1.0.0.dev20260214',
        carapace_home: '/nonexistent/carapace',
      },
    });
  });

  test('an installed SkyPilot completes from checking without any other actor', async () => {
    const { actor, invoked, pending } = startControlled();
    (await invoked('check')).resolve(CHECKS.ready);
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(done.value).toBe('complete');
    expect([...pending.keys()]).toEqual(['check']);
    expect(done.output).toMatchObject({ ok: true, sky_path: '/h/tools/bin/sky' });
  });

  test('a broken tool environment is reinstalled with force', async () => {
    const { invoked } = startControlled();
    (await invoked('check')).resolve(CHECKS.broken);
    expect((await invoked('installSkypilot')).input).toMatchObject({ force: true, uv_path: '/h/uv/bin/uv' });
  });

  test('a SkyPilot installed for other settings is reinstalled with force, not taken as complete', async () => {
    const { invoked } = startControlled();
    (await invoked('check')).resolve(CHECKS.outdated);
    expect((await invoked('installSkypilot')).input).toMatchObject({ force: true, uv_path: '/h/uv/bin/uv' });
  });

  test('an actor failure ends in error with the phase it happened in and a hint', async () => {
    const { actor, invoked } = startControlled();
    (await invoked('check')).resolve(CHECKS.uvOnly);
    (await invoked('installSkypilot')).reject(new InstallError('uv_install_failed', 'uv exited with 1', { detail: 'x' }));
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(done.value).toBe('error');
    expect(done.output).toEqual({
      ok: false,
      error: {
        code: 'uv_install_failed',
        phase: 'installing_skypilot',
        message: 'uv exited with 1',
        hint: expect.stringContaining('uv could not install SkyPilot'),
        detail: 'x',
      },
    });
  });

  test('an unknown error is normalised once, with a code from its errno', async () => {
    const { actor, invoked } = startControlled();
    const enospc = Object.assign(new Error('no space left on device'), { code: 'ENOSPC', path: '/h/staging/x' });
    (await invoked('check')).resolve(CHECKS.nothing);
    (await invoked('downloadUv')).reject(enospc);
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(done.output).toMatchObject({
      ok: false,
      error: { code: 'disk_full', phase: 'downloading_uv', message: 'no space left on device (/h/staging/x)' },
    });
  });

  test('install.cancel ends the attempt as cancelled and aborts the running actor', async () => {
    const { actor, invoked } = startControlled();
    (await invoked('check')).resolve(CHECKS.nothing);
    const download = await invoked('downloadUv');
    actor.send({ type: 'install.cancel' });
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(download.signal.aborted).toBe(true);
    expect(done.output).toMatchObject({ ok: false, error: { code: 'cancelled', phase: 'downloading_uv' } });
  });

  test('actors report progress with the phase stamped by the machine, after each phase announcement', async () => {
    const { invoked, emitted, actor } = startControlled();
    (await invoked('check')).resolve(CHECKS.nothing);
    const download = await invoked('downloadUv');
    (download.input as { report: (p: object) => void }).report({ message: 'Downloading uv 0.10.2', percent: 50 });
    await settle();
    expect(actor.getSnapshot().context.progress).toEqual({ phase: 'downloading_uv', message: 'Downloading uv 0.10.2', percent: 50 });
    expect(emitted).toEqual([
      { phase: 'checking', message: 'Checking for SkyPilot...', percent: null },
      { phase: 'downloading_uv', message: 'Downloading uv...', percent: null },
      { phase: 'downloading_uv', message: 'Downloading uv 0.10.2', percent: 50 },
    ]);
  });

  test('waiting for another installer is a state inside checking: the phase stays checking and progress names the holder', async () => {
    const { invoked, emitted, actor } = startControlled(undefined, { controlLock: true });
    const lock = await invoked('lock');
    (lock.input as { onWait: (message: string) => void }).onWait('waiting for another installer (pid 42)');
    await settle();
    expect(actor.getSnapshot().matches({ checking: 'waiting' })).toBe(true);
    expect(phaseOf(actor.getSnapshot())).toBe('checking');
    expect(emitted.at(-1)).toEqual({ phase: 'checking', message: 'waiting for another installer (pid 42)', percent: null });
    lock.resolve(undefined);
    await settle();
    expect(actor.getSnapshot().matches({ checking: 'reading' })).toBe(true);
    (await invoked('check')).resolve(CHECKS.ready);
    expect((await waitFor(actor, (s) => s.status === 'done')).output).toMatchObject({ ok: true });
  });

  test('losing the lock is an event of the machine: the running actor stops and the attempt ends with code locked', async () => {
    const { invoked, actor } = startControlled(undefined, { controlLock: true });
    const lock = await invoked('lock');
    lock.resolve(undefined);
    (await invoked('check')).resolve(CHECKS.nothing);
    const download = await invoked('downloadUv');
    (lock.input as { onLost: () => void }).onLost();
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(download.signal.aborted).toBe(true);
    expect(done.output).toMatchObject({ ok: false, error: { code: 'locked', phase: 'downloading_uv' } });
  });

  test('upgrade mode: a working SkyPilot is upgraded, not taken as complete, and an outdated uv is replaced first', async () => {
    const { actor, invoked } = startControlled({ settings: { ...SETTINGS, uv_version: '0.10.3' }, deps: { fetch, now: Date.now }, mode: 'upgrade' });
    (await invoked('check')).resolve(CHECKS.ready);
    (await invoked('downloadUv')).resolve({ uv_path: '/h/uv/bin/uv', uv_version: '0.10.3' });
    const install = await invoked('installSkypilot');
    expect(install.input).toMatchObject({ upgrade: true, force: false });
    install.resolve(STAGED);
    (await invoked('verify')).resolve({ sky_path: STAGED.sky_path, sky_version: '1.0.0.dev2' });
    (await invoked('activate')).resolve({ sky_path: '/h/tools/bin/sky', previous: 'old-1' });
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(done.output).toMatchObject({ ok: true, status: { uv_version: '0.10.3', sky_version: '1.0.0.dev2' } });
  });

  test('upgrade mode: a broken SkyPilot is reinstalled with force, not upgraded', async () => {
    const { invoked } = startControlled({ settings: SETTINGS, deps: { fetch, now: Date.now }, mode: 'upgrade' });
    (await invoked('check')).resolve(CHECKS.broken);
    expect((await invoked('installSkypilot')).input).toMatchObject({ upgrade: false, force: true });
  });

  test('the new environment is verified where it was built, and becomes current only after it passes', async () => {
    const { actor, invoked, pending } = startControlled();
    (await invoked('check')).resolve(CHECKS.uvOnly);
    (await invoked('installSkypilot')).resolve(STAGED);
    const verify = await invoked('verify');
    expect(verify.input).toMatchObject({ env_dir: STAGED.env_dir, sky_path: STAGED.sky_path });
    expect(pending.has('activate')).toBe(false);
    verify.resolve({ sky_path: STAGED.sky_path, sky_version: '1.0.0.dev3' });
    expect((await invoked('activate')).input).toMatchObject({ staged: STAGED });
    expect(phaseOf(actor.getSnapshot())).toBe('verifying');
  });

  test('a failed verification ends in error without activating: the previous environment stays current', async () => {
    const { actor, invoked, pending } = startControlled({ settings: SETTINGS, deps: { fetch, now: Date.now }, mode: 'upgrade' });
    (await invoked('check')).resolve(CHECKS.ready);
    (await invoked('installSkypilot')).resolve(STAGED);
    (await invoked('verify')).reject(new InstallError('verify_failed', 'sky --version exited with 1'));
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(done.output).toMatchObject({ ok: false, error: { code: 'verify_failed', phase: 'verifying' } });
    expect(pending.has('activate')).toBe(false);
  });
});
