/**
 * `installing_skypilot`: `uv tool install --python <py> --with pip <spec>` into the managed
 * tool folders, or in upgrade mode `uv tool upgrade <package>` of the working install (uv
 * rebuilds the environment in place). `--with pip` because SkyPilot builds wheels for remote
 * clusters with pip (docs.skypilot.co installation page). Each stderr line is a progress
 * message; a non-zero exit is `uv_install_failed` with the end of stderr as detail.
 */
import { mkdir } from 'node:fs/promises';
import { layoutOf } from './layout.ts';
import { InstallError, tail } from '../machines/errors.ts';
import type { InstallSkypilotInput } from '../machines/install.ts';
import { runProcess } from './process.ts';
import { packageNameOf } from './requirement.ts';
import { uvEnvironment } from './uv-env.ts';

export function uvInstallArgs(input: Pick<InstallSkypilotInput, 'settings' | 'force'>): string[] {
  const args = ['tool', 'install', '--python', input.settings.python, '--with', 'pip'];
  if (input.force) args.push('--force');
  args.push(input.settings.skypilot_spec);
  return args;
}

export function uvUpgradeArgs(settings: InstallSkypilotInput['settings']): string[] {
  const name = packageNameOf(settings.skypilot_spec);
  if (!name) throw new InstallError('invalid_config', `CARAPACE_SKYPILOT_SPEC=${JSON.stringify(settings.skypilot_spec)} names no package`);
  return ['tool', 'upgrade', name];
}

export async function installSkypilot(input: InstallSkypilotInput, signal: AbortSignal): Promise<void> {
  const layout = layoutOf(input.settings.home);
  await mkdir(layout.toolBinDir, { recursive: true });
  await mkdir(layout.toolDir, { recursive: true });
  const args = input.upgrade ? uvUpgradeArgs(input.settings) : uvInstallArgs(input);
  const label = `uv tool ${args[1]}`;
  input.report({ message: `uv ${args.join(' ')}`, percent: null });
  const result = await runProcess(input.uv_path, args, {
    env: await uvEnvironment(layout, input.settings.env),
    signal,
    timeoutMs: input.settings.install_timeout_ms,
    label,
    onStderrLine: (line) => input.report({ message: line.trim(), percent: null }),
  });
  if (result.exitCode !== 0) {
    const lastLine = result.stderr.trim().split('\n').pop()?.trim();
    throw new InstallError('uv_install_failed', `${label} exited with ${result.exitCode}: ${lastLine ?? 'no output'}`, {
      detail: tail(result.stderr) || null,
    });
  }
}

