/**
 * An install that has nothing to do, answered without the install machine. Most `install`
 * runs (bin/setup, the Dockerfile, the app at each start) find SkyPilot in place, and loading
 * the machine, xstate, execa, tar and the lock costs such a run ten times a bare Bun start
 * (issue 14, docs/performance.md). This reads what the machine's `checking` reads and applies
 * its `skyReady` guard; whenever that is not plainly true it answers null and the caller runs
 * the real installer, which decides everything else (errors, waiting, repair) as before.
 *
 * Without the lock a read could meet another process rebuilding the environment, so it only
 * counts when no install lock exists before or after it: a holder in between sees the lock
 * file present at one of the two looks, or has finished by the second.
 */
import { checkInstall } from '../actors/check.ts';
import { layoutOf } from '../actors/layout.ts';
// checkInstall's comparison with the settings, which it imports when first asked (status never
// asks): loaded with this module, an install with nothing to do waits for one round of module
// loading less.
import '../actors/requirement.ts';
import { assertOwnFolders } from '../actors/trust.ts';
import { PHASE_MESSAGES, type InstallOutput } from '../machines/types.ts';
import { finalProgress } from './final-progress.ts';
import { settingsFromEnv } from './settings.ts';
import type { InstallerListener } from './types.ts';

type Env = Record<string, string | undefined>;

/**
 * Nothing at the lock's path (a folder there counts as present: the installer then says what is
 * wrong). Synchronous node:fs, which the trust walk loads anyway: no I/O thread to wait for.
 */
const lockAbsent = (path: string) => !process.getBuiltinModule('node:fs').existsSync(path);

/**
 * The output of an install that finds SkyPilot installed as the settings ask, after the
 * events the machine would publish for it (attempt 1: checking, then complete); null when the
 * installer must run (nothing installed, outdated or broken, a lock held, a bad setting,
 * CARAPACE_INSPECT asking to watch the machine).
 */
export async function alreadyInstalled(env: Env, listener: InstallerListener): Promise<InstallOutput | null> {
  if (env.CARAPACE_INSPECT) return null;
  let settings;
  try {
    settings = settingsFromEnv(env);
  } catch {
    return null; // the installer reports a bad setting the way it always does
  }
  const lock = layoutOf(settings.home).lockFile;
  try {
    if (!lockAbsent(lock)) return null;
    const check = await checkInstall(settings);
    if (!check.status.sky_installed || check.sky_outdated !== null || check.sky_path === null) return null;
    // The folders an install writes in must be this user's real folders, as the installer
    // checks before it writes (a link there is refused): the same answer either way.
    const layout = layoutOf(settings.home);
    await assertOwnFolders([layout.logsDir, layout.stagingDir, layout.cacheDir, `${layout.home.replace(/\/$/, '')}/run`]);
    if (!lockAbsent(lock)) return null;
    const output: InstallOutput = { ok: true, sky_path: check.sky_path, status: check.status };
    const time = () => new Date().toISOString();
    listener({ type: 'install-state', attempt: 1, from: null, to: 'checking', time: time() });
    listener({ type: 'install-progress', attempt: 1, progress: { phase: 'checking', message: PHASE_MESSAGES.checking, percent: null } });
    listener({ type: 'install-state', attempt: 1, from: 'checking', to: 'complete', time: time() });
    listener({ type: 'install-progress', attempt: 1, progress: finalProgress(output) });
    return output;
  } catch {
    return null; // an untrusted home, an unreadable file: the installer says what is wrong
  }
}
