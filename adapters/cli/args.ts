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

/**
 * Whether some command's `--name` takes a value, so `--home DIR status` finds `status`. Asked
 * only for a flag before the command, never on the usual `status --json`: a run pays for
 * nothing it does not use (docs/performance.md).
 */
function takesValue(name: string): boolean {
  return [GLOBAL_FLAGS, ...Object.values(COMMAND_SPECS).map((s) => s.flags)].some((flags) => Object.hasOwn(flags, name) && Boolean(flags[name]!.value));
}

function commandOf(argv: string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) return arg;
    if (arg.startsWith('--') && !arg.includes('=') && takesValue(arg.slice(2))) i++;
  }
  return null;
}

/**
 * Parses `argv`. The loop handles what a valid command line holds; every way to get it wrong
 * is a function of its own below, so a run that parses cleanly never compiles them (a fresh
 * process pays for each line of a function it enters; docs/performance.md).
 */
export function parseArgs(argv: string[]): ParsedArgs {
  const command = commandOf(argv);
  if (command !== null && command !== 'help' && !COMMAND_SPECS[command]) unknownCommand(command);
  const name = command === 'help' ? null : command;
  const known: Record<string, FlagSpec> = { ...(name ? COMMAND_SPECS[name]!.flags : {}), ...GLOBAL_FLAGS };
  const flags: Record<string, string | true> = {};
  const rest: string[] = [];
  let version = false;
  let seenCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') flags.help = true;
    else if (!arg.startsWith('-')) {
      if (!seenCommand && arg === command) seenCommand = true;
      else rest.push(arg);
    } else if ((arg === '--version' || arg === '-V') && name === null) version = true;
    else {
      const eq = arg.indexOf('=');
      const flag = arg.startsWith('--') ? arg.slice(2, eq === -1 ? undefined : eq) : arg;
      const spec = known[flag] ?? unknownOption(arg, flag, name);
      if (spec.value) flags[flag] = valueOf(flag, spec, eq === -1 ? argv[++i] : arg.slice(eq + 1), name);
      else if (eq === -1) flags[flag] = true;
      else throw new UsageError(`--${flag} is a switch and takes no value (not "${arg.slice(eq + 1)}")`, name);
    }
  }
  for (const flag in flags) {
    const needs = known[flag]?.requires;
    if (needs && !(needs in flags) && !flags.help) throw new UsageError(`--${flag} is only valid with --${needs}`, name);
  }
  if (rest.length > (command === 'help' ? 1 : 0) && !flags.help) throw new UsageError(`unexpected argument "${rest.at(-1)}"`, name);
  return { command, flags, rest, version };
}

function unknownCommand(command: string): never {
  const near = nearestCommand(command);
  throw new UsageError(`unknown command "${command}"${near ? `; did you mean "${near}"?` : ''}`);
}

function unknownOption(arg: string, flag: string, name: string | null): never {
  const where = name ? `; "${name}" takes ${Object.keys(COMMAND_SPECS[name]!.flags).map((f) => `--${f}`).join(', ') || 'no options'}` : '';
  throw new UsageError(`unknown option ${arg.startsWith('--') ? `--${flag}` : arg}${where}`, name);
}

/** A value flag's value, checked. */
function valueOf(flag: string, spec: FlagSpec, value: string | undefined, name: string | null): string {
  if (value === undefined || value === '') throw new UsageError(`--${flag} needs a value`, name);
  const wrong = spec.check?.(value);
  if (wrong) throw new UsageError(wrong, name);
  return value;
}
