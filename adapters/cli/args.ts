/** A small argv parser: `command [--flag] [--key value|--key=value]`; unknown flags are errors. */
import { UsageError } from './errors.ts';

export interface ParsedArgs {
  command: string | null;
  flags: Record<string, string | true>;
  rest: string[];
}

export function parseArgs(argv: string[], valueFlags: ReadonlySet<string>, boolFlags: ReadonlySet<string>): ParsedArgs {
  const flags: Record<string, string | true> = {};
  const rest: string[] = [];
  let command: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      flags.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (command === null) command = arg;
      else rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (boolFlags.has(name) && eq === -1) {
      flags[name] = true;
    } else if (valueFlags.has(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { command, flags, rest };
}
