/**
 * `upgrade [--json]`: the installer's upgrade attempt (the install machine in upgrade mode:
 * uv first when the pinned version changed, then the newest SkyPilot built beside the working
 * one and switched to once verified), with the same progress display as `install`.
 */
import type { Installer } from '../../../installer/index.ts';
import { ExitError } from '../errors.ts';
import type { CommandIO } from '../io.ts';
import { ProgressView } from '../progress.ts';

export async function upgrade(installer: Installer, io: CommandIO, opts: { json: boolean; signal?: AbortSignal | undefined }): Promise<void> {
  const view = new ProgressView(io, ProgressView.modeFor(io, opts.json), { interrupted: () => opts.signal?.aborted === true });
  const unsubscribe = installer.subscribe(view.handle);
  try {
    const output = await installer.upgrade(opts.signal ? { signal: opts.signal } : {});
    view.finish(output);
    if (!output.ok) throw new ExitError(1);
  } finally {
    unsubscribe();
  }
}
