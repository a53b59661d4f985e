/**
 * `rollback [--json]`: the core makes the previous SkyPilot current again and stops the local
 * API server; this prints what is current now (and a warning when the server could not be
 * stopped), or the error. Exit 1 on error, `nothing_to_roll_back` included.
 */
import { rollbackSkypilot, type InstallSettings, type RollbackOutput } from '../../../installer/index.ts';
import { ExitError } from '../errors.ts';
import type { CommandIO } from '../io.ts';
import { formatError } from '../progress.ts';

export async function rollback(settings: InstallSettings, io: CommandIO, opts: { json: boolean }): Promise<void> {
  const output = await rollbackSkypilot(settings);
  report(io, opts.json, output);
  if (!output.ok) throw new ExitError(1);
}

function report(io: CommandIO, json: boolean, output: RollbackOutput): void {
  if (json) {
    io.stdout.write(JSON.stringify(output) + '\n');
  } else if (output.ok) {
    io.stdout.write(`${output.summary}\n`);
    if (output.warning) io.stderr.write(`warning: ${output.warning}\n`);
  } else {
    io.stderr.write(formatError(output.error));
  }
}
