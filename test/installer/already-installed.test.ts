/**
 * An install with nothing to do is answered from a status read (installer/already-installed.ts),
 * without loading the install machine; anything short of "installed as asked, no lock" runs
 * the installer.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { alreadyInstalled } from '../../installer/already-installed.ts';
import { createInstaller } from '../../installer/installer.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import type { InstallerEvent } from '../../installer/types.ts';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { jsonLines, mirrorEnv, runCli, tempHome, uvRuns } from '../e2e/cli.ts';

let mirror: Mirror;
let home: string;
let env: Record<string, string>;

beforeAll(async () => {
  mirror = await startMirror();
  home = await tempHome('carapace-noop-');
  env = { PATH: process.env.PATH ?? '', ...mirrorEnv(mirror, home) };
  const out = await createInstaller({ settings: settingsFromEnv(env) }).ensureSkypilot();
  if (!out.ok) throw new Error(out.error.message);
});
afterAll(async () => {
  await mirror.close();
  await rm(join(home, '..'), { recursive: true, force: true });
});

function collect() {
  const events: InstallerEvent[] = [];
  return { events, listener: (e: InstallerEvent) => void events.push(e) };
}

const withoutTime = (events: InstallerEvent[]) => events.map((e) => (e.type === 'install-state' ? { ...e, time: '' } : e));

describe('alreadyInstalled', () => {
  test('on an installed home it answers what the installer answers, with the same events', async () => {
    const quick = collect();
    const output = await alreadyInstalled(env, quick.listener);
    const full = collect();
    const installer = createInstaller({ settings: settingsFromEnv(env) });
    installer.subscribe(full.listener);
    expect(output).toEqual(await installer.ensureSkypilot());
    expect(withoutTime(quick.events)).toEqual(withoutTime(full.events));
  });

  test('a held install lock sends the caller to the installer', async () => {
    const lock = join(home, 'install.lock');
    await writeFile(lock, '{}');
    try {
      const { events, listener } = collect();
      expect(await alreadyInstalled(env, listener)).toBeNull();
      expect(events).toEqual([]);
    } finally {
      await rm(lock, { force: true });
    }
  });

  test('another requirement, a bad setting, CARAPACE_INSPECT or an empty home all run the installer', async () => {
    const { listener } = collect();
    expect(await alreadyInstalled({ ...env, CARAPACE_SKYPILOT_SPEC: 'skypilot-nightly[gcp]' }, listener)).toBeNull();
    expect(await alreadyInstalled({ ...env, CARAPACE_LOW_SPEED_LIMIT: 'fast' }, listener)).toBeNull();
    expect(await alreadyInstalled({ ...env, CARAPACE_INSPECT: 'ws://127.0.0.1:9' }, listener)).toBeNull();
    expect(await alreadyInstalled({ ...env, CARAPACE_HOME: await tempHome('carapace-noop-empty-') }, listener)).toBeNull();
  });
});

describe('carapace-sky install on an installed home', () => {
  test('prints the same lines, runs no uv and loads neither the machine nor the download code', async () => {
    const main = resolve(import.meta.dir, '../../adapters/cli/main.ts');
    // A fresh process, so the modules it holds afterwards are the ones the command loaded.
    const script = `
      const { main } = await import(${JSON.stringify(main)});
      const { processIO } = await import(${JSON.stringify(resolve(import.meta.dir, '../../adapters/cli/io.ts'))});
      const code = await main(['install', '--json'], processIO());
      const loaded = Object.keys(require.cache).filter((k) => /node_modules\\/(xstate|execa|tar)\\/|download-uv|machines\\/install\\.ts/.test(k));
      process.stderr.write(JSON.stringify({ code, loaded }));`;
    const before = (await uvRuns(home)).length;
    const proc = Bun.spawnSync([process.execPath, '-e', script], { env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe' });
    const { code, loaded } = JSON.parse(proc.stderr.toString());
    expect({ code, loaded }).toEqual({ code: 0, loaded: [] });
    const { progress, result } = jsonLines(proc.stdout.toString());
    expect(progress.map((p) => p.phase)).toEqual(['checking', 'complete']);
    expect(result).toMatchObject({ ok: true, sky_path: join(home, 'tools/bin/sky') });
    expect((await uvRuns(home)).length).toBe(before);
    // The launcher says the same.
    const viaBin = await runCli(['install', '--json'], env);
    expect(viaBin.exitCode).toBe(0);
    expect(jsonLines(viaBin.stdout).result).toEqual(result);
  });
});
