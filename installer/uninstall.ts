/**
 * Uninstall: removes SkyPilot's tool environment and its `sky` link (with
 * `uv tool uninstall` when the managed uv runs, by hand otherwise); `--all` also removes the
 * managed uv, the uv-managed Pythons, staging and caches. Only the entries installer/owned.ts
 * names go; other files, even inside those folders, stay. Logs stay, the record of what
 * happened, unless `logs` is asked for with `all`: then the attempt logs and last-attempt.json
 * go too, and this uninstall leaves no log of its own. Refuses (code `locked`, exit 1) while
 * another process installs, rather than pulling files from under a running uv; refuses
 * (`home_not_trusted`) a home another user controls before writing anything in it.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { stopApiServer } from '../actors/api-server.ts';
import { uvVersionAt } from '../actors/check.ts';
import { layoutOf } from '../actors/layout.ts';
import { runProcess } from '../actors/process.ts';
import { packageNameOf } from '../actors/requirement.ts';
import { assertTrusted, toolEnvPaths, trustedHome, uvPaths } from '../actors/trust.ts';
import { uvEnvironment } from '../actors/uv-env.ts';
import { toInstallErrorData } from '../machines/errors.ts';
import type { InstallErrorData, InstallSettings } from '../machines/types.ts';
import { AttemptCoordinator, redactError } from './attempt.ts';
import { pidAlive } from './lock.ts';
import { allEntries, dropDanglingLinks, dropEmptyGenerations, logEntries, ownFolders, removeOwned, skypilotEntries } from './owned.ts';
import { redactorFor } from './redact.ts';

const exists = (path: string) => access(path).then(() => true, () => false);

export type UninstallOutput = { ok: true; removed: string[]; summary: string } | { ok: false; error: InstallErrorData };

/** Removes what the product installed, under the install lock; the answer says what went. */
export async function uninstallSkypilot(given: InstallSettings, opts: { all: boolean; logs?: boolean }): Promise<UninstallOutput> {
  const logs = opts.all && opts.logs === true;
  if (!(await exists(given.home))) {
    return { ok: true, removed: [], summary: `nothing to remove: ${given.home} does not exist` };
  }
  const name = packageNameOf(given.skypilot_spec);
  let settings: InstallSettings;
  try {
    // Before the lock, the log or any removal: a home another user controls is not written
    // to, and another user's uv must not run as this one, not even to uninstall.
    const home = await trustedHome(given.home);
    const at = layoutOf(home);
    // The previous generation goes too: another user's must be refused, not removed.
    const previousEnv = name ? join(at.previousLink, name) : null;
    await assertTrusted(home, [...uvPaths(at), ...toolEnvPaths(at, name ? join(at.toolDir, name) : null), at.previousLink, ...(previousEnv ? [previousEnv, `${previousEnv}/bin`] : [])]);
    settings = { ...given, home };
  } catch (error) {
    return { ok: false, error: redactError(toInstallErrorData(error, 'checking'), redactorFor(given.env)) };
  }
  const layout = layoutOf(settings.home);
  const envDir = name ? join(layout.toolDir, name) : null;
  const coordinator = new AttemptCoordinator(settings, { purpose: 'uninstall' });
  let output: UninstallOutput;
  try {
    await coordinator.enter({}, undefined, false);
    // What was there before anything ran is what this command removed; nothing else is touched.
    const sky = await skypilotEntries(layout, name);
    // A local API server started by this sky would go on running from files about to go.
    if (sky.includes(layout.sky)) {
      const { warning } = await stopApiServer({ sky: layout.sky, env: await uvEnvironment(layout, settings.env) });
      if (warning) coordinator.note(`warning: ${warning}`);
    }
    const uvVersion = await uvVersionAt(layout.uv, settings.env, undefined, settings.home);
    if (envDir && name && sky.includes(envDir) && uvVersion) {
      const result = await runProcess(layout.uv, ['tool', 'uninstall', name], {
        env: await uvEnvironment(layout, settings.env, uvVersion),
        timeoutMs: 120_000,
        label: 'uv tool uninstall',
        onStderrLine: (line) => coordinator.note(line),
      });
      // A broken environment can make uv refuse; the folders are removed below either way.
      coordinator.note(`uv tool uninstall exited with ${result.exitCode}`);
    }
    // This attempt's own log is open in logs/: leaveNoRecord() discards it below.
    const oldLogs = logs ? (await logEntries(layout, pidAlive)).filter((path) => path !== coordinator.log.path) : [];
    const removed = [...sky, ...(opts.all ? await allEntries(layout) : []), ...oldLogs];
    await removeOwned(removed);
    await dropEmptyGenerations(layout);
    removed.push(...(await dropDanglingLinks(layout)));
    if (opts.all) await removeOwned([], ownFolders(layout));
    for (const target of removed) coordinator.note(`removed ${target}`);
    if (logs) {
      await coordinator.leaveNoRecord();
      // Emptied of the product's files, logs/ goes too; rmdir keeps it when anything else is
      // in it (someone's file, the log of an installer now waiting behind this one).
      await removeOwned([], [layout.logsDir]);
    }
    const summary = !opts.all
      ? `removed SkyPilot from ${layout.home}`
      : logs
        ? `removed SkyPilot, uv, the managed Pythons and the logs from ${layout.home}`
        : `removed SkyPilot, uv and the managed Pythons from ${layout.home} (logs kept in ${layout.logsDir})`;
    output = { ok: true, removed, summary };
  } catch (error) {
    output = { ok: false, error: toInstallErrorData(error, 'checking') };
  }
  return coordinator.finish(output);
}
