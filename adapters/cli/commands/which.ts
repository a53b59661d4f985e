import { skyBinary } from '../../../installer/index.ts';
import { ExitError } from '../errors.ts';
import type { CommandIO } from '../io.ts';

/** `which`: the sky the product would run, managed first, then PATH; exit 1 when none. */
export async function which(home: string, io: CommandIO): Promise<void> {
  const path = await skyBinary(home, io.env);
  if (!path) {
    io.stderr.write('sky is not installed: run `carapace-sky install`\n');
    throw new ExitError(1);
  }
  io.stdout.write(path + '\n');
}
