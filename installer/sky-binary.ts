/**
 * The `sky` the product would run: the managed one under CARAPACE_HOME first, so a user's
 * older global SkyPilot never shadows the one we installed, then the first on PATH.
 */
import { access, constants, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { layoutOf } from '../actors/layout.ts';

async function executableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function skyOnPath(pathVar: string | undefined): Promise<string | null> {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'sky');
    if (await executableFile(candidate)) return candidate;
  }
  return null;
}

export async function skyBinary(home: string, env: Record<string, string | undefined> = process.env): Promise<string | null> {
  const managed = layoutOf(home).sky;
  if (await executableFile(managed)) return managed;
  return skyOnPath(env.PATH);
}
