/**
 * `upgrade [--json]`: the core upgrades uv (when the pinned version differs) and SkyPilot, or
 * installs SkyPilot when it is missing or broken; this shows the same progress as `install`.
 */
import { upgradeSkypilot, type InstallSettings } from '../../../installer/index.ts';
import { ExitError } from '../errors.ts';
import type { CommandIO } from '../io.ts';
import { ProgressView } from '../progress.ts';

export async function upgrade(settings: InstallSettings, io: CommandIO, opts: { json: boolean; signal?: AbortSignal | undefined }): Promise<void> {
  const view = new ProgressView(io, ProgressView.modeFor(io, opts.json));
  const output = await upgradeSkypilot(settings, { onEvent: view.handle, signal: opts.signal });
  view.finish(output);
  if (!output.ok) throw new ExitError(1);
}
