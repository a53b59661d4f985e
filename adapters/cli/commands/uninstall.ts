/**
 * `uninstall [--all [--logs]] [--json]`: the core removes SkyPilot (and with `--all` uv, the
 * managed Pythons, staging and caches; with `--logs` too the attempt logs); this prints what
 * went, or the error. Exit 1 on error.
 */
import { uninstallSkypilot, type InstallSettings, type UninstallOutput } from '../../../installer/index.ts';
import { ExitError } from '../errors.ts';
import type { CommandIO } from '../io.ts';
import { formatError } from '../progress.ts';

export async function uninstall(settings: InstallSettings, io: CommandIO, opts: { all: boolean; logs?: boolean; json: boolean }): Promise<void> {
  const output = await uninstallSkypilot(settings, { all: opts.all, logs: opts.logs === true });
  report(io, opts.json, output);
  if (!output.ok) throw new ExitError(1);
}

function report(io: CommandIO, json: boolean, output: UninstallOutput): void {
  if (json) {
    io.stdout.write(JSON.stringify(output) + '\n');
  } else if (output.ok) {
    io.stdout.write(`${output.summary}\n`);
  } else {
    io.stderr.write(formatError(output.error));
  }
}
