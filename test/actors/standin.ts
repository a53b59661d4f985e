/** A stand-in uv written straight into a temp CARAPACE_HOME, for actor tests that skip the download. */
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingsFromEnv } from '../../installer/settings.ts';
import { layoutOf } from '../../actors/layout.ts';
import { standinUvScript } from '../../demo/standin-uv.ts';
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
