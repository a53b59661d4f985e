/**
 * Whether the product may run what CARAPACE_HOME holds. A folder or file that another user
 * owns, or can write, lets that user swap `uv` or SkyPilot's Python for their own program,
 * which would then run as this user with this user's cloud credentials. Such a home is not
 * run from: callers stop with `home_not_trusted` before anything in it is executed.
 *
 * Group write is allowed only for this user's own primary group, the per-user group many
 * distributions give everyone (umask 002): no other user is in it. Stats use Bun's file
 * calls, as in tool-env.ts: `status` checks this on every run and node:fs costs it time.
 */
import type { Layout } from './layout.ts';

/** Why `path` is not this user's alone, or null when it is (or does not exist). */
export async function foreignControl(path: string): Promise<string | null> {
  const uid = process.getuid?.();
  if (uid === undefined) return null;
  let info: { uid: number; gid: number; mode: number };
  try {
    info = await Bun.file(path).stat();
  } catch {
    return null;
  }
  if (info.uid !== uid) return `${path} is owned by uid ${info.uid}, not by this user (uid ${uid})`;
  if (info.mode & 0o002) return `${path} is writable by every user`;
  if (info.mode & 0o020 && info.gid !== process.getgid?.()) return `${path} is writable by group ${info.gid}`;
  return null;
}

/** The folders and files whose owner decides what `uv` runs: the home and the managed uv. */
export function uvPaths(layout: Layout): string[] {
  const home = layout.home.endsWith('/') ? layout.home.slice(0, -1) : layout.home;
  return [home, `${home}/uv`, layout.uvBinDir, layout.uv];
}

/** The folders that decide what `sky` runs: the tool folders, the generations and SkyPilot's environment. */
export function toolEnvPaths(layout: Layout, envDir: string | null): string[] {
  return [layout.toolsDir, layout.toolDir, layout.generationsDir, ...(envDir ? [envDir, `${envDir}/bin`] : [])];
}

/** Throws `home_not_trusted` naming the first path another user controls. */
export async function assertTrusted(paths: readonly string[]): Promise<void> {
  const reasons = await Promise.all(paths.map(foreignControl));
  const at = reasons.findIndex((r) => r !== null);
  if (at === -1) return;
  // Loaded only on refusal: status runs this check every time.
  const { InstallError } = await import('../machines/errors.ts');
  throw new InstallError('home_not_trusted', `${reasons[at]}; nothing in it is run`, { detail: `path: ${paths[at]}` });
}
