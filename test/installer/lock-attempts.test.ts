/**
 * What the installer does with CARAPACE_HOME around each attempt: the lock between
 * installers, staging clean-up, one redacted log per attempt (the newest ten kept), and a
 * home only its user can enter.
 */
import { describe, expect, test } from 'bun:test';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInstaller, type InstallerActors, type InstallerEvent } from '../../installer/installer.ts';
import { redact, redactorFor } from '../../installer/redact.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import { InstallError } from '../../machines/errors.ts';
import { STAGED, fakeActivate } from '../machines/harness.ts';
import type { CheckResult } from '../../machines/types.ts';
import { tempHome } from '../e2e/cli.ts';

function nothing(home: string): CheckResult {
  return {
    status: { uv_installed: false, uv_version: null, sky_installed: false, sky_version: null, carapace_home: home },
    uv_path: null,
    sky_path: null,
    sky_problem: null,
    sky_outdated: null,
  };
}

function ready(home: string): CheckResult {
  return {
    status: { uv_installed: true, uv_version: '0.10.2', sky_installed: true, sky_version: '1.0', carapace_home: home },
    uv_path: join(home, 'uv/bin/uv'),
    sky_path: join(home, 'tools/bin/sky'),
    sky_problem: null,
    sky_outdated: null,
  };
}

/** Real lock, logs and staging under a temp home; fake side effects. */
async function setup(actors: Partial<InstallerActors>, env: Record<string, string> = {}) {
  const home = await tempHome('carapace-attempts-');
  const settings = settingsFromEnv({ CARAPACE_HOME: home, ...env });
  const installer = createInstaller({
    settings,
    coordinate: true,
    actors: {
      check: async () => nothing(home),
      downloadUv: async () => ({ uv_path: join(home, 'uv/bin/uv'), uv_version: '0.10.2' }),
      installSkypilot: async () => STAGED,
      verify: async () => ({ sky_path: join(home, 'tools/bin/sky'), sky_version: '1.0' }),
      activate: fakeActivate(join(home, 'tools/bin/sky')),
      ...actors,
    },
  });
  return { home, settings, installer };
}

const logsIn = async (home: string) => (await readdir(join(home, 'logs')).catch(() => [] as string[])).filter((n) => n.endsWith('.log')).sort();

describe('attempts under CARAPACE_HOME', () => {
  test('CARAPACE_HOME is created private to the user (0700)', async () => {
    const { home, installer } = await setup({});
    expect((await installer.ensureSkypilot()).ok).toBe(true);
    expect((await stat(home)).mode & 0o777).toBe(0o700);
    expect((await stat(join(home, 'logs'))).mode & 0o777).toBe(0o700);
  });

  test('an attempt that works keeps one log with every progress event; a no-op attempt leaves none', async () => {
    const { home, installer } = await setup({
      installSkypilot: async (input) => {
        input.report({ message: 'Resolved 10 packages in 1.2s', percent: null });
        input.report({ message: 'Installed 1 executable: sky', percent: null });
        return STAGED;
      },
    });
    const events: InstallerEvent[] = [];
    installer.subscribe((e) => events.push(e));
    expect((await installer.ensureSkypilot()).ok).toBe(true);
    const logs = await logsIn(home);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^install-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-\d+\.log$/);
    const text = await readFile(join(home, 'logs', logs[0]!), 'utf8');
    // The final event is the log's own closing line ("complete: ..."), written as the attempt ends.
    for (const e of events) if (e.type === 'install-progress' && e.progress.phase !== 'complete') expect(text).toContain(`[${e.progress.phase}] ${e.progress.message}`);
    expect(text).toContain('complete: SkyPilot 1.0');
    expect((await stat(join(home, 'logs', logs[0]!))).mode & 0o777).toBe(0o600);

    const installed = createInstaller({ settings: settingsFromEnv({ CARAPACE_HOME: home }), coordinate: true, actors: { check: async () => ready(home) } });
    expect((await installed.ensureSkypilot()).ok).toBe(true);
    expect(await logsIn(home)).toEqual(logs);
  });

  test('tokens and AWS keys are redacted in the log, in progress events and in errors', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const { home, installer } = await setup(
      {
        installSkypilot: async (input) => {
          input.report({ message: `GET https://__token__:pypi-AgEIcHlwaS5vcmc@pypi.example/simple/ with ${secret}`, percent: null });
          throw new InstallError('uv_install_failed', 'uv failed with AKIAIOSFODNN7EXAMPLE', {
            detail: `Authorization: Bearer abcdefghijklmnop\naws_secret_access_key = ${secret}`,
          });
        },
      },
      { AWS_SECRET_ACCESS_KEY: secret },
    );
    const events: InstallerEvent[] = [];
    installer.subscribe((e) => events.push(e));
    const output = await installer.ensureSkypilot();
    expect(output.ok).toBe(false);
    const [log] = await logsIn(home);
    const text = await readFile(join(home, 'logs', log!), 'utf8');
    for (const blob of [text, JSON.stringify(output), JSON.stringify(events)]) {
      expect(blob).not.toContain(secret);
      expect(blob).not.toContain('pypi-AgEIcHlwaS5vcmc');
      expect(blob).not.toContain('AKIAIOSFODNN7EXAMPLE');
      expect(blob).not.toContain('abcdefghijklmnop');
    }
    expect(text).toContain('https://***@pypi.example/simple/');
    // The error names its log.
    expect(!output.ok && output.error.detail).toContain(`log: ${join(home, 'logs', log!)}`);
  });

  test('only the newest 10 attempt logs are kept', async () => {
    const { home, installer } = await setup({
      installSkypilot: async () => {
        throw new InstallError('uv_install_failed', 'no');
      },
    });
    const names: string[] = [];
    for (let i = 0; i < 13; i++) {
      const output = await installer.ensureSkypilot();
      names.push(/log: (\S+)/.exec((!output.ok && output.error.detail) || '')![1]!.split('/').pop()!);
      await Bun.sleep(2); // distinct millisecond stamps
    }
    expect(await logsIn(home)).toEqual(names.slice(-10).sort());
  });

  test('staging leftovers of a crashed attempt are removed once the lock is held', async () => {
    const { home, installer } = await setup({});
    // A staging entry is named by mkdtemp('carapace-uv-'): six random characters.
    await mkdir(join(home, 'staging', 'carapace-uv-Cr4shd', 'nested'), { recursive: true });
    await writeFile(join(home, 'staging', 'carapace-uv-Cr4shd', 'nested', 'uv'), 'half a uv');
    await writeFile(join(home, 'install.lock.999999-abc.tmp'), '{}');
    expect((await installer.ensureSkypilot()).ok).toBe(true);
    expect(await readdir(join(home, 'staging'))).toEqual([]);
    expect((await readdir(home)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  test('two installers in one process: the second waits for the first, says so, and repeats no work', async () => {
    let installed = false;
    let installs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const actors: Partial<InstallerActors> = {
      check: async (input) => (installed ? ready(input.settings.home) : nothing(input.settings.home)),
      installSkypilot: async () => {
        installs++;
        await gate;
        installed = true;
        return STAGED;
      },
    };
    const { home, settings, installer: first } = await setup(actors);
    const second = createInstaller({ settings, coordinate: true, lock: { pollMs: 20 }, actors: { ...actors, downloadUv: async () => ({ uv_path: join(home, 'uv/bin/uv'), uv_version: '0.10.2' }) } });
    const one = first.ensureSkypilot();
    while (first.phase() !== 'installing_skypilot') await Bun.sleep(5);
    const messages: string[] = [];
    second.subscribe((e) => e.type === 'install-progress' && messages.push(e.progress.message));
    const two = second.ensureSkypilot();
    while (!messages.some((m) => m.startsWith('waiting'))) await Bun.sleep(5);
    expect(second.phase()).toBe('checking');
    expect(messages).toContain(`waiting for another installer (pid ${process.pid})`);
    release();
    const [a, b] = await Promise.all([one, two]);
    expect(a.ok && b.ok).toBe(true);
    expect(installs).toBe(1);
  });
});

describe('a lock taken over while an attempt holds it', () => {
  test('the attempt learns it at its next heartbeat, stops, and ends with code locked', async () => {
    const home = await tempHome('carapace-attempts-');
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const installer = createInstaller({
      settings: settingsFromEnv({ CARAPACE_HOME: home }),
      coordinate: true,
      lock: { heartbeatMs: 30 },
      actors: {
        check: async () => nothing(home),
        downloadUv: async () => ({ uv_path: join(home, 'uv/bin/uv'), uv_version: '0.10.2' }),
        installSkypilot: (_input, signal) =>
          new Promise<typeof STAGED>((_resolve, reject) => {
            started();
            signal.addEventListener('abort', () => reject(new InstallError('cancelled', 'stopped')), { once: true });
          }),
      },
    });
    const output = installer.ensureSkypilot();
    await running;
    const usurper = { pid: process.pid, host: 'elsewhere.example', boot: null, token: 'usurper', started: '', purpose: 'install' };
    await writeFile(join(home, 'install.lock'), JSON.stringify(usurper));
    expect(await output).toMatchObject({ ok: false, error: { code: 'locked', phase: 'installing_skypilot' } });
    // The usurper's lock is left alone.
    expect(JSON.parse(await readFile(join(home, 'install.lock'), 'utf8')).token).toBe('usurper');
  });
});

describe('redact', () => {
  test('masks credentials and keeps everything else', () => {
    expect(redact('https://user:pw@host.example/simple')).toBe('https://***@host.example/simple');
    expect(redact('key AKIAIOSFODNN7EXAMPLE here')).toBe('key *** here');
    expect(redact('AWS_SESSION_TOKEN=FwoGZXIvYXdzEJr//////////wEaDH')).toBe('AWS_SESSION_TOKEN=***');
    expect(redact('"password": "hunter22"')).toBe('"password": ***');
    expect(redact('Authorization: Bearer abc.def.ghi-jkl')).not.toContain('abc.def.ghi-jkl');
    expect(redact('token ghp_0123456789abcdefghijABCDEFGHIJ012345')).not.toContain('ghp_');
    expect(redact('https://s3.example/x?X-Amz-Signature=deadbeef&part=1')).toBe('https://s3.example/x?X-Amz-Signature=***&part=1');
    const digest = '6aa4576c31f791c0b9d4739e256d07358d45e7535695287fec03cf6839e25512';
    const plain = `uv 0.10.2 sha256 ${digest} at /home/Me/Library/CaresAboutTheCaseOfPathNames/bin/uv: Installed 10 packages in 56ms`;
    expect(redact(plain)).toBe(plain);
    expect(redact('commit 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567')).toBe('commit 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567');
  });

  test("an environment's secret values are masked wherever they appear", () => {
    const scrub = redactorFor({ HF_TOKEN: 'hf-this-is-secret', PATH: '/usr/bin:/bin', SHORT_KEY: 'abc' });
    expect(scrub('loading hf-this-is-secret from /usr/bin:/bin abc')).toBe('loading *** from /usr/bin:/bin abc');
  });
});
