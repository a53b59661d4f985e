/**
 * The end of `verifying`: the verified generation becomes current (actors/generations.ts: one
 * rename of a link), the one it replaced is kept for `rollback`, and, when something was
 * installed before (an upgrade or a repair), SkyPilot's local API server is stopped so the
 * next sky command starts the new code (actors/api-server.ts). Failing to stop it is a
 * warning on the progress stream, which the attempt log records too; never an install error.
 */
import type { ActivateInput, ActivateOutput } from '../machines/install.ts';
import { stopApiServer } from './api-server.ts';
import { activateGeneration, currentGeneration } from './generations.ts';
import { layoutOf } from './layout.ts';
import { packageNameOf } from './requirement.ts';
import { uvEnvironment } from './uv-env.ts';

export async function activate(input: ActivateInput, signal: AbortSignal): Promise<ActivateOutput> {
  const layout = layoutOf(input.settings.home);
  const name = packageNameOf(input.settings.skypilot_spec) ?? input.staged.env_dir.slice(input.staged.env_dir.lastIndexOf('/') + 1);
  const replaced = await currentGeneration(layout);
  const switched = await activateGeneration(layout, input.staged.generation, name);
  input.report({ message: `SkyPilot now runs from ${input.staged.env_dir}`, percent: null });
  if (replaced !== null) await stopServer(input, signal);
  return { sky_path: layout.sky, previous: switched.previous };
}

/** Stops a local API server the replaced install may have started; reports what happened. */
export async function stopServer(input: Pick<ActivateInput, 'settings' | 'report'>, signal?: AbortSignal): Promise<void> {
  const layout = layoutOf(input.settings.home);
  const stop = await stopApiServer({ sky: layout.sky, env: await uvEnvironment(layout, input.settings.env), ...(signal ? { signal } : {}) });
  input.report({ message: stop.warning ?? 'stopped the local SkyPilot API server (sky api stop); the next sky command starts the new version', percent: null });
}
