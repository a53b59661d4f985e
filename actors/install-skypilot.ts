/**
 * `installing_skypilot`: `uv tool install --python <py> --with pip <spec>` into the managed
 * tool folders. `--with pip` because SkyPilot builds wheels for remote clusters with pip
 * (docs.skypilot.co installation page). Each stderr line is a progress message; a non-zero
 * exit is `uv_install_failed` with the end of stderr as detail.
 */
import { mkdir } from 'node:fs/promises';
import { layoutOf } from './layout.ts';
import { InstallError, tail } from '../machines/errors.ts';
import type { InstallSkypilotInput } from '../machines/install.ts';
import { runProcess } from './process.ts';
import { uvEnvironment } from './uv-env.ts';

export function uvInstallArgs(input: Pick<InstallSkypilotInput, 'settings' | 'force'>): string[] {
  const args = ['tool', 'install', '--python', input.settings.python, '--with', 'pip'];
  if (input.force) args.push('--force');
  args.push(input.settings.skypilot_spec);
  return args;
}

export async function installSkypilot(input: InstallSkypilotInput, signal: AbortSignal): Promise<void> {
  const layout = layoutOf(input.settings.home);
  await mkdir(layout.toolBinDir, { recursive: true });
  await mkdir(layout.toolDir, { recursive: true });
  input.report({ message: `uv ${uvInstallArgs(input).join(' ')}`, percent: null });
  const result = await runProcess(input.uv_path, uvInstallArgs(input), {
    env: await uvEnvironment(layout, input.settings.env),
    signal,
    timeoutMs: input.settings.install_timeout_ms,
    label: 'uv tool install',
    onStderrLine: (line) => input.report({ message: line.trim(), percent: null }),
  });
  if (result.exitCode !== 0) {
    const lastLine = result.stderr.trim().split('\n').pop()?.trim();
    throw new InstallError('uv_install_failed', `uv tool install exited with ${result.exitCode}: ${lastLine ?? 'no output'}`, {
      detail: tail(result.stderr) || null,
    });
  }
}

