/**
 * Rollback: the generation that was current before the last upgrade or repair
 * (`tools/previous`, actors/generations.ts) becomes current again, in the same one-rename
 * step an upgrade ends with, and the one it replaces becomes `previous` (so a second rollback
 * undoes the first). Then the local API server is stopped, since it still runs the version
 * being left (actors/api-server.ts; a failure is a warning). Under the install lock, refusing
 * (code `locked`) while another process installs, like uninstall.
 */
import { stopApiServer } from '../actors/api-server.ts';
import { checkInstall } from '../actors/check.ts';
import { currentGeneration, migrateLayout, rollbackGeneration } from '../actors/generations.ts';
import { layoutOf } from '../actors/layout.ts';
import { packageNameOf } from '../actors/requirement.ts';
import { assertTrusted, toolEnvPaths, trustedHome, uvPaths } from '../actors/trust.ts';
import { uvEnvironment } from '../actors/uv-env.ts';
import { InstallError, toInstallErrorData } from '../machines/errors.ts';
import type { InstallErrorData, InstallSettings } from '../machines/types.ts';
import { AttemptCoordinator, redactError } from './attempt.ts';
import { redactorFor } from './redact.ts';

export type RollbackOutput =
  | {
      ok: true;
      /** SkyPilot's version now current, and the one left (kept as `previous`). */
      sky_version: string | null;
      replaced_version: string | null;
      summary: string;
      /** Why the local API server may still run the version left; null when it was stopped. */
      warning: string | null;
    }
  | { ok: false; error: InstallErrorData };

export async function rollbackSkypilot(given: InstallSettings): Promise<RollbackOutput> {
  let settings: InstallSettings;
  try {
    // Before the lock or the log: a home another user controls is not written to, and what
    // rollback makes current must be this user's alone.
    const home = await trustedHome(given.home);
    const at = layoutOf(home);
    // What rollback makes current, the previous environment through to its interpreter, is
    // checked before the switch: a refusal after it would leave the home on the bad one.
    const name = packageNameOf(given.skypilot_spec);
    const previousEnv = name ? `${at.previousLink}/${name}` : null;
    await assertTrusted(home, [...uvPaths(at), ...toolEnvPaths(at, null), at.previousLink, ...(previousEnv ? [previousEnv, `${previousEnv}/bin`, `${previousEnv}/bin/python`, `${previousEnv}/bin/sky`] : [])]);
    settings = { ...given, home };
  } catch (error) {
    return { ok: false, error: redactError(toInstallErrorData(error, 'checking'), redactorFor(given.env)) };
  }
  const layout = layoutOf(settings.home);
  const coordinator = new AttemptCoordinator(settings, { purpose: 'rollback' });
  let output: RollbackOutput;
  try {
    await coordinator.enter({}, undefined, false);
    await migrateLayout(layout);
    const name = packageNameOf(settings.skypilot_spec);
    if (!name) throw new InstallError('invalid_config', `CARAPACE_SKYPILOT_SPEC=${JSON.stringify(settings.skypilot_spec)} names no package`);
    const before = (await currentGeneration(layout)) === null ? null : await checkInstall(settings);
    const switched = await rollbackGeneration(layout, name);
    if (switched === null) throw new InstallError('nothing_to_roll_back', `no previous SkyPilot under ${layout.toolsDir} to go back to`);
    coordinator.note(`tools/environments now links to generations/${switched.current}; previous: ${switched.previous ?? 'none'}`);
    const after = await checkInstall(settings);
    // What runs now must be this user's alone before anything in it is started.
    await assertTrusted(settings.home, [...uvPaths(layout), ...toolEnvPaths(layout, null)]);
    const env = await uvEnvironment(layout, settings.env);
    // Even when status cannot read the environment: the server, if any, runs the version left.
    const stop = await stopApiServer({ sky: layout.sky, env });
    coordinator.note(stop.warning ?? 'stopped the local SkyPilot API server (sky api stop)');
    const version = after.status.sky_version;
    const replaced = before?.status.sky_version ?? null;
    output = {
      ok: true,
      sky_version: version,
      replaced_version: replaced,
      summary: `SkyPilot ${version ?? '(not runnable)'} is current again${replaced ? ` (was ${replaced}, kept for another rollback)` : ''}`,
      warning: stop.warning,
    };
  } catch (error) {
    output = { ok: false, error: toInstallErrorData(error, 'checking') };
  }
  return coordinator.finish(output);
}
