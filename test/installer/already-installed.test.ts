/**
 * An install with nothing to do is answered from a status read (installer/already-installed.ts),
 * without loading the install machine; anything short of "installed as asked, no lock" runs
 * the installer. Both it and `status` load only the modules named here (issue 14 goal 2).
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

/**
 * The product's modules a fresh `carapace-sky <argv>` process loads, relative to the repository,
 * and any package it loads; with the exit code and stdout.
 */
function freshRun(argv: string[]) {
  const root = resolve(import.meta.dir, '../..');
  const script = `
    const { main } = await import(${JSON.stringify(join(root, 'adapters/cli/main.ts'))});
    const { processIO } = await import(${JSON.stringify(join(root, 'adapters/cli/io.ts'))});
    const code = await main(${JSON.stringify(argv)}, processIO());
    process.stderr.write(JSON.stringify({ code, loaded: Object.keys(require.cache) }));`;
  const proc = Bun.spawnSync([process.execPath, '-e', script], { env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe' });
  const { code, loaded } = JSON.parse(proc.stderr.toString()) as { code: number; loaded: string[] };
  const product = loaded.filter((k) => k.startsWith(`${root}/`) && !k.includes('/node_modules/')).map((k) => k.slice(root.length + 1));
  return { code, stdout: proc.stdout.toString(), product: product.sort(), packages: loaded.filter((k) => k.includes('/node_modules/')) };
}

/**
 * Every module a fresh process loads costs it time (docs/performance.md, issue 14 goal 2), so
 * the modules of the two runs started most often are named here: one more is a decision.
 */
const STATUS_MODULES = [
  'actors/check.ts',
  'actors/layout.ts',
  'actors/tool-env.ts',
  'actors/trust.ts',
  'adapters/cli/args.ts',
  'adapters/cli/commands/status.ts',
  'adapters/cli/errors.ts',
  'adapters/cli/io.ts',
  'adapters/cli/main.ts',
  'adapters/cli/usage.ts',
  'installer/status-settings.ts',
  'installer/status.ts',
];
const NOOP_INSTALL_MODULES = [
  ...STATUS_MODULES.filter((m) => m !== 'adapters/cli/commands/status.ts'),
  'actors/requirement.ts',
  'adapters/cli/colour.ts',
  'adapters/cli/commands/install.ts',
  'adapters/cli/progress.ts',
  'installer/already-installed.ts',
  'installer/final-progress.ts',
  'installer/settings.ts',
  'machines/errors.ts',
  'machines/types.ts',
].sort();

describe('carapace-sky install on an installed home', () => {
  test('prints the same lines, runs no uv and loads neither the machine nor the download code', async () => {
    const before = (await uvRuns(home)).length;
    const run = freshRun(['install', '--json']);
    expect({ code: run.code, packages: run.packages }).toEqual({ code: 0, packages: [] });
    expect(run.product).toEqual(NOOP_INSTALL_MODULES);
    const { progress, result } = jsonLines(run.stdout);
    expect(progress.map((p) => p.phase)).toEqual(['checking', 'complete']);
    expect(result).toMatchObject({ ok: true, sky_path: join(home, 'tools/bin/sky') });
    expect((await uvRuns(home)).length).toBe(before);
    // The launcher says the same.
    const viaBin = await runCli(['install', '--json'], env);
    expect(viaBin.exitCode).toBe(0);
    expect(jsonLines(viaBin.stdout).result).toEqual(result);
  });
});

describe('carapace-sky status on an installed home', () => {
  test('loads only the status path: no install settings, error model, machine or package', () => {
    const run = freshRun(['status', '--json']);
    expect({ code: run.code, packages: run.packages }).toEqual({ code: 0, packages: [] });
    expect(run.product).toEqual(STATUS_MODULES);
    expect(JSON.parse(run.stdout)).toMatchObject({ sky_installed: true, carapace_home: home });
  });
});
