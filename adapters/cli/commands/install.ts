import type { Installer } from '../../../installer/index.ts';
import { alreadyInstalled } from '../../../installer/status.ts';
import { ExitError } from '../errors.ts';
import type { CommandIO } from '../io.ts';
import { ProgressView } from '../progress.ts';

/** `install [--json]`: ensures SkyPilot with live progress; exit 1 on error. */
export async function install(
  load: () => Promise<Installer>,
  io: CommandIO,
  opts: { json: boolean; signal?: AbortSignal },
): Promise<void> {
  const view = new ProgressView(io, ProgressView.modeFor(io, opts.json), { interrupted: () => opts.signal?.aborted === true });
  const done = await alreadyInstalled(io.env, view.handle);
  if (done) return view.finish(done);
  const installer = await load();
  const unsubscribe = installer.subscribe(view.handle);
  try {
    const output = await installer.ensureSkypilot(opts.signal ? { signal: opts.signal } : {});
    view.finish(output);
    if (!output.ok) throw new ExitError(1);
  } finally {
    unsubscribe();
  }
}
