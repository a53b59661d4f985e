/**
 * Signs of life through the installer. Waiting on another installer is not silence: while the
 * lock is held elsewhere the attempt says so each second with the seconds it has waited, and a
 * terminal shows it live. And a beat a second does not flood the attempt's log.
 */
import { expect, test } from 'bun:test';
import { mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ProgressView } from '../../adapters/cli/progress.ts';
import { layoutOf } from '../../actors/layout.ts';
import { createInstaller } from '../../installer/installer.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import type { InstallProgress } from '../../machines/types.ts';
import { tempHome } from '../e2e/cli.ts';
import { fakeActivate, STAGED } from '../machines/harness.ts';

test('a wait behind another installer gives a progress event each second with rising elapsed_seconds', async () => {
  const home = await tempHome('carapace-lock-wait-');
  const layout = layoutOf(home);
  await mkdir(home, { recursive: true, mode: 0o700 });
  // This test process stands in for the other installer: its pid is alive on this host.
  const holder = { pid: process.pid, host: hostname(), boot: null, token: 'other', started: new Date().toISOString(), purpose: 'install' };
  await writeFile(layout.lockFile, JSON.stringify(holder));
  const settings = settingsFromEnv({ CARAPACE_HOME: home });
  const sky = { sky_path: join(home, 'tools/bin/sky'), sky_version: '1.0' };
  const installer = createInstaller({
    settings,
    coordinate: true,
    lock: { pollMs: 20 },
    actors: {
      check: async () => ({
        status: { uv_installed: true, uv_version: '0.10.2', sky_installed: true, sky_version: '1.0', carapace_home: home },
        uv_path: join(home, 'uv/bin/uv'),
        sky_path: sky.sky_path,
        sky_problem: null,
        sky_outdated: null,
      }),
    },
  });
  const out = { text: '' };
  const io = { env: { NO_COLOR: '1' }, cwd: '/', stdout: { write: (s: string) => (out.text += s), isTTY: true }, stderr: { write: () => true, isTTY: true } };
  const view = new ProgressView(io, 'tty');
  const progress: InstallProgress[] = [];
  installer.subscribe((e) => {
    view.handle(e);
    if (e.type === 'install-progress') progress.push(e.progress);
  });
  const result = installer.ensureSkypilot();
  // The other installer finishes after some 4 s.
  await Bun.sleep(4_000);
  await unlink(layout.lockFile);
  expect((await result).ok).toBe(true);

  const waits = progress.filter((p) => p.message === `waiting for another installer (pid ${process.pid})`);
  expect(waits.every((p) => p.phase === 'checking')).toBe(true);
  const beats = waits.filter((p) => p.elapsed_seconds !== undefined).map((p) => p.elapsed_seconds!);
  // About four; two is the least a 4 s wait may give with beats promised at most 2 s apart.
  expect(beats.length).toBeGreaterThanOrEqual(2);
  for (let i = 1; i < beats.length; i++) expect(beats[i]!).toBeGreaterThanOrEqual(beats[i - 1]!);
  expect(beats.at(-1)!).toBeGreaterThan(beats[0]!);
  // A terminal: the wait as a line, then a live spinner line with the seconds.
  expect(out.text).toContain(`    waiting for another installer (pid ${process.pid})\n`);
  expect(out.text).toMatch(new RegExp(`\\r\\x1b\\[2K    . waiting for another installer \\(pid ${process.pid}\\)  ${beats.at(-1)}s`));
}, 30_000);

test("the attempt's log keeps one sign of life per half minute of a phase, not one a second", async () => {
  const home = await tempHome('carapace-beat-log-');
  const settings = settingsFromEnv({ CARAPACE_HOME: home });
  const installer = createInstaller({
    settings,
    coordinate: true,
    actors: {
      check: async () => ({
        status: { uv_installed: true, uv_version: '0.10.2', sky_installed: false, sky_version: null, carapace_home: home },
        uv_path: join(home, 'uv/bin/uv'),
        sky_path: null,
        sky_problem: null,
        sky_outdated: null,
      }),
      // 66 beats of a long uv run, sent at once.
      installSkypilot: async (input) => {
        for (let s = 0; s <= 65; s++) input.report({ message: 'uv tool install running', percent: null, elapsed_seconds: s, bytes_done: s * 1000 });
        return STAGED;
      },
      verify: async () => ({ sky_path: join(home, 'tools/bin/sky'), sky_version: '1.0' }),
      activate: fakeActivate(join(home, 'tools/bin/sky')),
    },
  });
  expect((await installer.ensureSkypilot()).ok).toBe(true);
  const logs = (await readdir(join(home, 'logs'))).filter((n) => n.endsWith('.log'));
  expect(logs.length).toBe(1);
  const text = await readFile(join(home, 'logs', logs[0]!), 'utf8');
  expect(text.match(/uv tool install running/g)?.length).toBe(3);
});
