/**
 * The trust check follows what `sky` and `uv` really run (actors/trust.ts): tools/bin and the
 * `sky` link, the environment's Python under python/, and every folder above CARAPACE_HOME,
 * each looked at with lstat. A home that fails it is not written to: no log, no
 * last-attempt.json, no log pruning, no clean-up, even through a logs/ link. The second user
 * is uid 65534 (nobody), which `chown` needs no account for.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chown, lchown, mkdir, readdir, readFile, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { createGatekeeper } from '../../adapters/http/gatekeeper.ts';
import { createInstaller } from '../../installer/installer.ts';
import { gatekeeperSettingsFromEnv, settingsFromEnv } from '../../installer/settings.ts';
import { snapshotTask } from '../../installer/task-file.ts';
import { installedUncachedHome, runCli, uvRuns } from './cli.ts';

const OTHER_UID = 65534;

let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror();
});
afterAll(async () => {
  await mirror.close();
});

const installedHome = () => installedUncachedHome(mirror, 'carapace-trust-links-');

function expectRefused(run: { exitCode: number; stderr: string }, path: string): void {
  expect(run.stderr).toContain('error[home_not_trusted]');
  expect(run.stderr).toContain(path);
  expect(run.exitCode).toBe(1);
}

/** Every file under `dir` with its bytes: what a refused command must leave as it was. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    out[name] = await readFile(join(dir, name), 'utf8').catch(() => '<folder>');
  }
  return out;
}

describe('what sky runs through', () => {
  const cases: Array<[string, (home: string) => Promise<string>]> = [
    ['python/ owned by another user (the interpreter the environment links to)', async (home) => {
      await chown(join(home, 'python'), OTHER_UID, OTHER_UID);
      return join(home, 'python');
    }],
    ['tools/bin owned by another user', async (home) => {
      await chown(join(home, 'tools/bin'), OTHER_UID, OTHER_UID);
      return join(home, 'tools/bin');
    }],
    ['the sky link owned by another user', async (home) => {
      await lchown(join(home, 'tools/bin/sky'), OTHER_UID, OTHER_UID);
      return join(home, 'tools/bin/sky');
    }],
  ];

  for (const [name, spoil] of cases) {
    test(`${name}: status, install and uninstall refuse and run nothing`, async () => {
      const { home, env } = await installedHome();
      const path = await spoil(home);
      const runs = (await uvRuns(home)).length;
      expectRefused(await runCli(['status', '--json'], env), path);
      expectRefused(await runCli(['install'], env), path);
      expectRefused(await runCli(['uninstall'], env), path);
      expect((await uvRuns(home)).length).toBe(runs);
    });
  }

  test('a sky link leading outside the environment is not uv\'s: not installed, never run, replaced by install', async () => {
    const { home, env } = await installedHome();
    const sky = join(home, 'tools/bin/sky');
    const elsewhere = join(dirname(home), 'other-sky');
    const mark = join(dirname(home), 'other-sky-ran');
    await writeFile(elsewhere, `#!/bin/sh\ntouch '${mark}'\n`, { mode: 0o755 });
    await rm(sky);
    await symlink(elsewhere, sky);
    const status = await runCli(['status', '--json'], env);
    const answer = JSON.parse(status.stdout);
    expect(answer).toMatchObject({ sky_installed: false });
    // The environment is named as it resolves: the current generation (tools/generations/<id>).
    expect(answer.sky_problem).toStartWith(`${sky} leads to ${elsewhere}, outside SkyPilot's environment ${join(home, 'tools/generations')}/`);
    expect(answer.sky_problem).toEndWith('/skypilot-nightly');
    expect((await runCli(['install'], env)).exitCode).toBe(0);
    expect(await realpath(sky)).toBe(await realpath(join(home, 'tools/environments/skypilot-nightly/bin/sky')));
    expect(await Bun.file(mark).exists()).toBe(false);
  });
});

describe('the gatekeeper', () => {
  test("python/ another user's, its interpreter swapped: a launch answers home_not_trusted and runs nothing", async () => {
    const { home, env } = await installedHome();
    const mark = join(dirname(home), 'interpreter-ran');
    const [minorDir] = await readdir(join(home, 'python'));
    await writeFile(join(home, 'python', minorDir as string, 'bin/python3.12'), `#!/bin/sh\ntouch '${mark}'\n`);
    await chown(join(home, 'python'), OTHER_UID, OTHER_UID);
    const task = join(dirname(home), 'task.yaml');
    await writeFile(task, 'run: echo hi\n');
    const installer = createInstaller({ settings: () => settingsFromEnv(env) });
    const gatekeeper = createGatekeeper({ installer, settings: gatekeeperSettingsFromEnv({}), port: 8787 });
    try {
      const launch = await gatekeeper.fetch(
        new Request('http://127.0.0.1:8787/cluster/launch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cluster: 'c1', task }) }),
      );
      expect(launch.status).toBe(503);
      expect(((await launch.json()) as { error: { code: string } }).error.code).toBe('home_not_trusted');
    } finally {
      gatekeeper.close();
    }
    expect(await Bun.file(mark).exists()).toBe(false);
  });
});

describe('the folders above CARAPACE_HOME', () => {
  test("a home reached through another user's folder is refused, however its link points", async () => {
    const { home: good, env } = await installedHome();
    const theirs = join(dirname(good), 'theirs');
    await mkdir(theirs);
    await symlink(good, join(theirs, 'home'));
    await chown(theirs, OTHER_UID, OTHER_UID);
    const through = { ...env, CARAPACE_HOME: join(theirs, 'home') };
    const runs = (await uvRuns(good)).length;
    expectRefused(await runCli(['status', '--json'], through), theirs);
    expectRefused(await runCli(['install'], through), theirs);
    expect((await uvRuns(good)).length).toBe(runs);
  });

  test('a home reached through a link of this user works, and a launch copy goes into the resolved home', async () => {
    const { home: good, env } = await installedHome();
    const link = join(dirname(good), 'link-home');
    await symlink(good, link);
    expect((await runCli(['status', '--json'], { ...env, CARAPACE_HOME: link })).exitCode).toBe(0);
    const task = join(dirname(good), 'task.yaml');
    await writeFile(task, 'run: echo hi\n');
    const taken = await snapshotTask(task, link);
    try {
      expect(taken.copy.startsWith(`${await realpath(good)}/run/`)).toBe(true);
    } finally {
      await taken.remove();
    }
  });
});

describe('a refused home is not written to', () => {
  test('logs/ swapped for a link to another folder: install and uninstall --all refuse and leave that folder as it was', async () => {
    const { home, env } = await installedHome();
    const victim = join(dirname(home), 'victim');
    await mkdir(victim);
    await writeFile(join(victim, 'last-attempt.json'), 'the victim\'s own file\n');
    for (let n = 10; n < 22; n++) await writeFile(join(victim, `install-2020-01-${n}T00-00-00-000Z-1.log`), `old ${n}\n`);
    const before = await snapshot(victim);
    await rename(join(home, 'logs'), join(dirname(home), 'old-logs'));
    await symlink(victim, join(home, 'logs'));
    expectRefused(await runCli(['install'], env), join(home, 'logs'));
    expectRefused(await runCli(['uninstall', '--all'], env), join(home, 'logs'));
    expect(await snapshot(victim)).toEqual(before);
  });

  test('cache/ swapped for a link: status writes no uv version cache through it, install refuses', async () => {
    const { home, env } = await installedHome();
    const victim = join(dirname(home), 'victim-cache');
    await mkdir(victim);
    await rename(join(home, 'cache'), join(dirname(home), 'old-cache'));
    await symlink(victim, join(home, 'cache'));
    expect((await runCli(['status', '--json'], env)).exitCode).toBe(0);
    expectRefused(await runCli(['install'], env), join(home, 'cache'));
    expect(await readdir(victim)).toEqual([]);
  });

  test('a home another user owns: install and uninstall --all write no log and no record in it', async () => {
    const { home, env } = await installedHome();
    await chown(home, OTHER_UID, OTHER_UID);
    const before = await snapshot(home);
    expectRefused(await runCli(['install'], env), home);
    expectRefused(await runCli(['uninstall', '--all'], env), home);
    expect(await snapshot(home)).toEqual(before);
  });
});
