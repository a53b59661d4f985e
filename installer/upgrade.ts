/**
 * Upgrade: `uv tool upgrade <package>` under the install lock, publishing the same events as
 * an install; first the managed uv, when the pinned version
 * (CARAPACE_UV_VERSION) is not the one installed. Then `sky --version` must answer. A
 * missing or broken SkyPilot is installed (repaired) instead, since there is nothing to upgrade.
 */
import { checkInstall, uvVersionAt } from '../actors/check.ts';
import { downloadUv } from '../actors/download-uv.ts';
import { runProcess } from '../actors/process.ts';
import { packageNameOf } from '../actors/requirement.ts';
import { uvEnvironment } from '../actors/uv-env.ts';
import { verifySky } from '../actors/verify.ts';
import { InstallError, tail, toInstallErrorData } from '../machines/errors.ts';
import type { InstallOutput, InstallPhase, InstallSettings, WorkPhase } from '../machines/types.ts';
import { AttemptCoordinator } from './attempt.ts';
import { createInstaller } from './installer.ts';
import type { InstallerListener } from './types.ts';

export function uvUpgradeArgs(settings: InstallSettings): string[] {
  const name = packageNameOf(settings.skypilot_spec);
  if (!name) throw new InstallError('invalid_config', `CARAPACE_SKYPILOT_SPEC=${JSON.stringify(settings.skypilot_spec)} names no package`);
  return ['tool', 'upgrade', name];
}

/** Upgrades SkyPilot (repairs it by installing when it is missing or broken); `onEvent` sees every step. */
export async function upgradeSkypilot(
  settings: InstallSettings,
  opts: { onEvent: InstallerListener; signal?: AbortSignal | undefined },
): Promise<InstallOutput> {
  const before = await checkInstall(settings);
  if (!before.status.sky_installed) {
    const installer = createInstaller({ settings });
    const unsubscribe = installer.subscribe(opts.onEvent);
    try {
      return await installer.ensureSkypilot(opts.signal ? { signal: opts.signal } : {});
    } finally {
      unsubscribe();
    }
  }
  const coordinator = new AttemptCoordinator(settings, { purpose: 'upgrade' });
  const signal = opts.signal ?? new AbortController().signal;
  let phase: InstallPhase | null = null;
  const show: InstallerListener = (event) => {
    coordinator.observe(event);
    opts.onEvent(event);
  };
  const enter = (to: WorkPhase, message: string) => {
    show({ type: 'install-state', attempt: 1, from: phase, to, time: new Date().toISOString() });
    phase = to;
    say(message);
  };
  const say = (message: string, percent: number | null = null) =>
    show({ type: 'install-progress', attempt: 1, progress: { phase: phase ?? 'checking', message: coordinator.redact(message), percent } });

  let output: InstallOutput;
  try {
    enter('checking', 'Checking for SkyPilot');
    await coordinator.enter({ onWait: (message) => say(message) }, signal);
    const layout = coordinator.layout;
    const installed = await uvVersionAt(layout.uv, settings.env, signal, settings.home);
    let uvPath = layout.uv;
    if (installed !== settings.uv_version) {
      enter('downloading_uv', `Replacing uv ${installed ?? '(missing)'} with the pinned ${settings.uv_version}`);
      const report = ({ message, percent }: { message: string; percent: number | null }) => say(message, percent);
      uvPath = (await downloadUv({ settings, deps: { fetch, now: Date.now }, report }, signal)).uv_path;
    }
    const args = uvUpgradeArgs(settings);
    enter('installing_skypilot', `uv ${args.join(' ')}`);
    const result = await runProcess(uvPath, args, {
      env: await uvEnvironment(layout, settings.env),
      signal,
      timeoutMs: settings.install_timeout_ms,
      label: 'uv tool upgrade',
      onStderrLine: (line) => say(line.trim()),
    });
    if (result.exitCode !== 0) {
      const last = result.stderr.trim().split('\n').pop()?.trim();
      throw new InstallError('uv_install_failed', `uv tool upgrade exited with ${result.exitCode}: ${last ?? 'no output'}`, {
        detail: tail(result.stderr) || null,
      });
    }
    enter('verifying', 'Verifying sky --version');
    const verified = await verifySky({ settings, deps: { fetch, now: Date.now }, report: () => {} }, signal);
    const after = await checkInstall(settings, signal);
    output = { ok: true, sky_path: verified.sky_path, status: { ...after.status, sky_version: verified.sky_version } };
    show({ type: 'install-state', attempt: 1, from: phase, to: 'complete', time: new Date().toISOString() });
  } catch (error) {
    output = { ok: false, error: toInstallErrorData(error, phase ?? 'checking') };
    show({ type: 'install-state', attempt: 1, from: phase, to: 'error', time: new Date().toISOString() });
  }
  return coordinator.finish(output);
}
