/**
 * CARAPACE_HOME may be a folder that holds other people's files (the desktop app's data in
 * ~/.carapace, a project named with --home): crash clean-up and `uninstall [--all]` remove the
 * product's own entries and nothing else, even inside the product's own folders.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { clearLeftovers } from '../../installer/leftovers.ts';
import { logEntries } from '../../installer/owned.ts';
import { pidAlive } from '../../installer/lock.ts';
import { layoutOf } from '../../actors/layout.ts';
import { GENERATION_MARKER } from '../../actors/generations.ts';
import { mirrorEnv, runCli, tempHome } from '../e2e/cli.ts';

const present = (p: string) => lstat(p).then(() => true, () => false);

/** A pid that is certainly dead: a finished child's. */
async function deadPid(): Promise<number> {
  const child = Bun.spawn(['true']);
  await child.exited;
  return child.pid;
}

/** Plants a user's file at each relative path under `home`; returns their paths. */
async function plant(home: string, paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const rel of paths) {
    const path = join(home, rel);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, `user data: ${rel}\n`);
    out.push(path);
  }
  return out;
}

async function expectIntact(paths: string[], home: string): Promise<void> {
  for (const path of paths) expect(await readFile(path, 'utf8')).toBe(`user data: ${path.slice(home.length + 1)}\n`);
}

describe('crash clean-up', () => {
  test("removes only the product's staging entries and dead temporary files", async () => {
    const home = await tempHome('carapace-owned-');
    const layout = layoutOf(home);
    const pid = await deadPid();
    const ours = [
      join(home, 'staging/carapace-uv-Ab12Cd/uv'),
      join(home, `install.lock.${pid}-0a1b2c.tmp`),
      join(home, `logs/last-attempt.json.${pid}.tmp`),
      join(home, `cache/uv-version.json.${pid}.tmp`),
    ];
    for (const path of ours) {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, 'left by a crash');
    }
    const foreign = await plant(home, [
      'staging/notes.txt',
      'staging/my-build/output.bin',
      'staging/uv-project-files/keep.txt',
      'staging/uv-backup/uv',
      'staging/uv-python/bin/python3',
      `report.${pid}.tmp`,
      `draft.${pid}.tmp`,
      `logs/editor.${pid}.tmp`,
      `cache/thumbnails.${pid}.tmp`,
    ]);
    await clearLeftovers(layout);
    for (const path of ours) expect(await present(path)).toBe(false);
    await expectIntact(foreign, home);
  });
  test('removes generations a dead build left and its half-swapped links; keeps current, previous, live builds and foreign folders', async () => {
    const home = await tempHome('carapace-owned-');
    const layout = layoutOf(home);
    const pid = await deadPid();
    for (const gen of [`aa-${pid}`, `bb-${pid}`, `cc-${pid}`, `dd-${process.pid}`, 'my-notes', `backup-${pid}`]) await mkdir(join(layout.generationsDir, gen, 'x'), { recursive: true });
    // The product's builds carry its marker; `backup-<pid>` only looks like one, and holds a file.
    for (const gen of [`aa-${pid}`, `bb-${pid}`, `cc-${pid}`, `dd-${process.pid}`]) await writeFile(join(layout.generationsDir, gen, GENERATION_MARKER), `${pid}\n`);
    await writeFile(join(layout.generationsDir, `backup-${pid}`, 'x', 'notes'), 'mine\n');
    await symlink(`generations/aa-${pid}`, layout.toolDir);
    await symlink(`generations/bb-${pid}`, layout.previousLink);
    await symlink(`generations/cc-${pid}`, join(layout.toolsDir, `environments.${pid}.tmp`));
    await clearLeftovers(layout);
    expect((await readdir(layout.generationsDir)).sort()).toEqual([`aa-${pid}`, `bb-${pid}`, `dd-${process.pid}`, 'my-notes', `backup-${pid}`].sort());
    expect(await readFile(join(layout.generationsDir, `backup-${pid}`, 'x', 'notes'), 'utf8')).toBe('mine\n');
    expect(await present(join(layout.toolsDir, `environments.${pid}.tmp`))).toBe(false);
    expect(await present(layout.toolDir)).toBe(true);
  });
});

describe('uninstall', () => {
  let mirror: Mirror;
  beforeAll(async () => {
    mirror = await startMirror();
  });
  afterAll(async () => {
    await mirror.close();
  });

  const FOREIGN = [
    'notes.md',
    'app-settings.json',
    'uv/bin/my-script',
    'uv/README.txt',
    'python/my-venv-notes.txt',
    'tools/bin/my-tool',
    'tools/environments/my-env/file.txt',
    'tools/readme.txt',
    'staging/keep-me.txt',
    'staging/uv-python/keep.txt',
    'cache/app-cache.db',
    'logs/app.log',
  ];

  test('uninstall and uninstall --all leave every file they did not make', async () => {
    const home = await tempHome('carapace-owned-');
    const env = mirrorEnv(mirror, home);
    expect((await runCli(['install'], env)).exitCode).toBe(0);
    const foreign = await plant(home, FOREIGN);

    const one = await runCli(['uninstall', '--json'], env);
    expect(one.exitCode).toBe(0);
    expect(await present(join(home, 'tools/bin/sky'))).toBe(false);
    await expectIntact(foreign, home);

    const all = await runCli(['uninstall', '--all', '--json'], env);
    expect(all.exitCode).toBe(0);
    const { removed } = JSON.parse(all.stdout) as { removed: string[] };
    expect(removed).toContain(join(home, 'uv/bin/uv'));
    expect(removed.some((p) => p.startsWith(join(home, 'python/cpython-')))).toBe(true);
    for (const gone of ['uv/bin/uv', 'uv/bin/uvx', 'cache/uv-version.json']) expect(await present(join(home, gone))).toBe(false);
    await expectIntact(foreign, home);
  });
  test('plain uninstall takes an environment only with its receipt, and sky only as a link into the environments', async () => {
    const home = await tempHome('carapace-owned-');
    const env = mirrorEnv(mirror, home);
    const foreign = await plant(home, ['tools/environments/skypilot-nightly/my-notes.txt']);
    await mkdir(join(home, 'tools/bin'), { recursive: true });
    await symlink('/usr/bin/env', join(home, 'tools/bin/sky'));

    const run = await runCli(['uninstall', '--json'], env);
    expect(run.exitCode).toBe(0);
    expect((JSON.parse(run.stdout) as { removed: string[] }).removed).toEqual([]);
    expect(await readlink(join(home, 'tools/bin/sky'))).toBe('/usr/bin/env');
    await expectIntact(foreign, home);
  });

  test('uninstall --all --logs takes the attempt logs and the record, not a live installer\'s log nor anyone\'s file', async () => {
    const home = await tempHome('carapace-owned-logs-');
    const logs = layoutOf(home).logsDir;
    const dead = await deadPid();
    const stamp = '2026-11-30T17-49-25-123Z';
    const names = {
      old: `install-${stamp}-${dead}.log`,
      again: `upgrade-${stamp}-${dead}-2.log`,
      record: 'last-attempt.json',
      // A live process other than this one: an installer that opened its log and waits for the lock.
      waiting: `install-${stamp}-${process.ppid}.log`,
      mine: 'install-notes.log',
    };
    await mkdir(logs, { recursive: true });
    for (const name of Object.values(names)) await writeFile(join(logs, name), 'x\n');
    const owned = (await logEntries(layoutOf(home), pidAlive)).map((p) => p.slice(logs.length + 1)).sort();
    expect(owned).toEqual([names.old, names.record, names.again].sort());
  });
});
