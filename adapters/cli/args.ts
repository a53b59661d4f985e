/**
 * The command line, checked against the command table (usage.ts): `command [--flag]
 * [--key value|--key=value]`. A flag the command does not take, a switch given a value, a bad
 * value or a stray argument is a UsageError naming the command, so its usage line is shown.
 */
import { UsageError } from './errors.ts';
import { COMMAND_SPECS, GLOBAL_FLAGS, nearestCommand, type FlagSpec } from './usage.ts';

export interface ParsedArgs {
  /** null for the bare `carapace-sky` (and `--help`, `--version` without a command). */
  command: string | null;
  flags: Record<string, string | true>;
  rest: string[];
  version: boolean;
}

/** Every flag that takes a value, whichever command: so `--home DIR status` finds `status`. */
const VALUE_FLAGS = new Set(
  [GLOBAL_FLAGS, ...Object.values(COMMAND_SPECS).map((s) => s.flags)].flatMap((flags) =>
    Object.entries(flags).flatMap(([name, f]) => (f.value ? [name] : [])),
  ),
);

function commandOf(argv: string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) return arg;
    if (arg.startsWith('--') && !arg.includes('=') && VALUE_FLAGS.has(arg.slice(2))) i++;
  }
  return null;
}

export function parseArgs(argv: string[]): ParsedArgs {
  const command = commandOf(argv);
  if (command !== null && command !== 'help' && !COMMAND_SPECS[command]) {
    const near = nearestCommand(command);
    throw new UsageError(`unknown command "${command}"${near ? `; did you mean "${near}"?` : ''}`);
  }
  const name = command === 'help' ? null : command;
  const known: Record<string, FlagSpec> = { ...(name ? COMMAND_SPECS[name]!.flags : {}), ...GLOBAL_FLAGS };
  const flags: Record<string, string | true> = {};
  const rest: string[] = [];
  let version = false;
  let seenCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      flags.help = true;
      continue;
    }
    if (!arg.startsWith('-')) {
      if (!seenCommand && arg === command) seenCommand = true;
      else rest.push(arg);
      continue;
    }
    if ((arg === '--version' || arg === '-V') && name === null) {
      version = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') ? arg.slice(2, eq === -1 ? undefined : eq) : arg;
    const spec = known[flag];
    if (!spec) {
      const where = name ? `; "${name}" takes ${Object.keys(COMMAND_SPECS[name]!.flags).map((f) => `--${f}`).join(', ') || 'no options'}` : '';
      throw new UsageError(`unknown option ${arg.startsWith('--') ? `--${flag}` : arg}${where}`, name);
    }
    if (!spec.value) {
      if (eq !== -1) throw new UsageError(`--${flag} is a switch and takes no value (not "${arg.slice(eq + 1)}")`, name);
      flags[flag] = true;
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new UsageError(`--${flag} needs a value`, name);
    const wrong = spec.check?.(value);
    if (wrong) throw new UsageError(wrong, name);
    flags[flag] = value;
  }
  for (const flag of Object.keys(flags)) {
    const needs = known[flag]?.requires;
    if (needs && !(needs in flags) && !flags.help) throw new UsageError(`--${flag} is only valid with --${needs}`, name);
  }
  if (rest.length > (command === 'help' ? 1 : 0) && !flags.help) throw new UsageError(`unexpected argument "${rest.at(-1)}"`, name);
  return { command, flags, rest, version };
}
