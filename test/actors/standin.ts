/** A stand-in uv written straight into a temp CARAPACE_HOME, for actor tests that skip the download. */
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingsFromEnv } from '../../installer/settings.ts';
import { activate } from '../../actors/activate.ts';
import { installSkypilot } from '../../actors/install-skypilot.ts';
import { layoutOf, type Layout } from '../../actors/layout.ts';
import { standinUvScript } from '../../demo/standin-uv.ts';
import type { StagedGeneration } from '../../machines/install.ts';
import type { InstallSettings } from '../../machines/types.ts';

export async function homeWithUv(env: Record<string, string> = {}, uvVersion = '0.10.2') {
  const home = join(await mkdtemp(join(tmpdir(), 'carapace-actor-')), 'home');
  const layout = layoutOf(home);
  await mkdir(layout.uvBinDir, { recursive: true });
  await writeFile(layout.uv, standinUvScript({ version: uvVersion }));
  await chmod(layout.uv, 0o755);
  const settings: InstallSettings = settingsFromEnv({ PATH: process.env.PATH, CARAPACE_HOME: home, ...env });
  return { home, layout, settings };
}

/** SkyPilot built into a new generation by the real actor and made current, as an install does. */
export async function installCurrent(settings: InstallSettings, layout: Layout, force = false): Promise<StagedGeneration> {
  const signal = new AbortController().signal;
  const deps = { fetch, now: Date.now };
  const staged = await installSkypilot({ settings, deps, uv_path: layout.uv, force, report: () => {} }, signal);
  await activate({ settings, deps, report: () => {}, staged }, signal);
  return staged;
}
