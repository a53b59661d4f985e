/**
 * A home another user controls is not run from: with CARAPACE_HOME, uv/bin/uv or SkyPilot's
 * tool environment owned or writable by another user, `status`, `install`, `uninstall` and
 * the gatekeeper answer `home_not_trusted` and the stand-in uv, which records every run,
 * is never started. The second user is uid 65534 (nobody), which `chown` needs no account for.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmod, chown, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { createGatekeeper } from '../../adapters/http/gatekeeper.ts';
import { createInstaller } from '../../installer/installer.ts';
import { gatekeeperSettingsFromEnv, settingsFromEnv } from '../../installer/settings.ts';
import { installedUncachedHome, runCli, uvRuns } from './cli.ts';

const OTHER_UID = 65534;

let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror();
});
afterAll(async () => {
  await mirror.close();
});

const installedHome = () => installedUncachedHome(mirror, 'carapace-trust-');

/** `path` may be reached through tools/environments (a link to the current generation): either name is right. */
async function expectRefused(run: { exitCode: number; stderr: string }, path: string): Promise<void> {
  expect(run.exitCode).toBe(1);
  expect(run.stderr).toContain('error[home_not_trusted]');
  const real = await realpath(path);
  expect({ names: run.stderr.includes(path) || run.stderr.includes(real) }).toEqual({ names: true });
  expect(run.stderr).toMatch(/^hint: .*CARAPACE_HOME/m);
}

describe('a home another user controls', () => {
  const cases: Array<[string, (home: string) => Promise<string>]> = [
    ['CARAPACE_HOME owned by another user', async (home) => (await chown(home, OTHER_UID, OTHER_UID), home)],
    ['uv/bin/uv owned by another user', async (home) => (await chown(join(home, 'uv/bin/uv'), OTHER_UID, OTHER_UID), join(home, 'uv/bin/uv'))],
    ['uv/bin/uv writable by everyone', async (home) => (await chmod(join(home, 'uv/bin/uv'), 0o757), join(home, 'uv/bin/uv'))],
    // Shows only as group write with this user's group (the ACL's mask): actors/trust.ts.
    ['uv/bin given to another user by an ACL', async (home) => {
      const run = Bun.spawnSync(['setfacl', '-m', `u:${OTHER_UID}:rwx`, join(home, 'uv/bin')]);
      if (run.exitCode !== 0) throw new Error(`setfacl failed (apt-get install -y acl): ${run.stderr.toString()}`);
      return join(home, 'uv/bin');
    }],
    ['the tool environment writable by everyone', async (home) => {
      const envDir = join(home, 'tools/environments/skypilot-nightly');
      await chmod(envDir, 0o777);
      return envDir;
    }],
  ];

  for (const [name, spoil] of cases) {
    test(`${name}: status, install and uninstall refuse and never run its uv`, async () => {
      const { home, env } = await installedHome();
      const path = await spoil(home);
      const runs = (await uvRuns(home)).length;
      await expectRefused(await runCli(['status', '--json'], env), path);
      await expectRefused(await runCli(['install'], env), path);
      await expectRefused(await runCli(['uninstall'], env), path);
      expect((await uvRuns(home)).length).toBe(runs);
    });
  }

  test('the gatekeeper answers home_not_trusted on status and ensure, and runs nothing', async () => {
    const { home, env } = await installedHome();
    await chown(join(home, 'uv/bin/uv'), OTHER_UID, OTHER_UID);
    const runs = (await uvRuns(home)).length;
    const installer = createInstaller({ settings: () => settingsFromEnv(env) });
    const gatekeeper = createGatekeeper({ installer, settings: gatekeeperSettingsFromEnv({}), port: 8787 });
    try {
      const status = await gatekeeper.fetch(new Request('http://127.0.0.1:8787/cluster/install-status'));
      expect(status.status).toBe(503);
      expect(((await status.json()) as any).error).toMatchObject({ code: 'home_not_trusted', detail: `path: ${join(home, 'uv/bin/uv')}` });
      const ensure = await gatekeeper.fetch(new Request('http://127.0.0.1:8787/cluster/ensure-skypilot', { method: 'POST' }));
      expect(ensure.status).toBe(503);
      expect(((await ensure.json()) as any).error).toMatchObject({ code: 'home_not_trusted' });
    } finally {
      gatekeeper.close();
    }
    expect((await uvRuns(home)).length).toBe(runs);
  });
});
