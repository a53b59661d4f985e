/**
 * What each command takes and says about itself: its usage line, its help and its flags.
 * The parser checks a command line against this table, so a flag a command does not take
 * is an error (exit 2) rather than silently ignored. Every run loads it to check its command
 * line, so it holds data and two small functions, nothing that imports further.
 */
export interface FlagSpec {
  /** Takes a value (`--port 8787`, `--port=8787`); otherwise a switch. */
  value?: string;
  /** Checks a value; returns why it is wrong, or null. */
  check?: (value: string) => string | null;
  /** Another flag of the command this one only makes sense with (`--logs` needs `--all`). */
  requires?: string;
  help: string;
}

export interface CommandSpec {
  usage: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  more?: string;
}

const JSON_FLAG: FlagSpec = { help: 'machine-readable output on stdout' };
const GRAPH_FORMATS = ['mermaid', 'dot', 'json'];

/** Flags every command takes. */
export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  home: { value: 'DIR', help: 'CARAPACE_HOME (default ~/.carapace)' },
  help: { help: 'this help' },
};

export const COMMAND_SPECS: Record<string, CommandSpec> = {
  status: { usage: 'status [--json]', summary: 'what is installed under CARAPACE_HOME', flags: { json: JSON_FLAG } },
  install: {
    usage: 'install [--json]',
    summary: 'install uv and SkyPilot if needed (progress on the terminal)',
    flags: { json: { help: 'one progress object a line, then {"ok":...}' } },
  },
  which: { usage: 'which', summary: 'the sky that would run: the managed one, then PATH', flags: {} },
  demo: {
    usage: 'demo [--json] [--keep]',
    summary: 'a full install from a local stand-in release into a temporary home, removed at the end',
    flags: { json: { help: 'the install\'s --json lines on stdout; the narration goes to stderr' }, keep: { help: 'keep the temporary home and say where it is' } },
  },
  serve: {
    usage: 'serve [--host H] [--port P]',
    summary: 'the gatekeeper HTTP service (default 127.0.0.1:8787)',
    flags: {
      host: { value: 'H', help: 'address to listen on (CARAPACE_GATEKEEPER_HOST); not loopback needs a token' },
      port: {
        value: 'P',
        help: 'port, 0 for any free one (CARAPACE_GATEKEEPER_PORT)',
        check: (v) => (/^\d+$/.test(v) && Number(v) <= 65_535 ? null : `--port must be a port from 0 to 65535, not "${v}"`),
      },
    },
  },
  graph: {
    usage: 'graph [--format F]',
    summary: 'the install statechart from the machine: mermaid (default), dot or json',
    flags: {
      format: {
        value: 'F',
        help: GRAPH_FORMATS.join(', '),
        check: (v) => (GRAPH_FORMATS.includes(v) ? null : `--format must be one of ${GRAPH_FORMATS.join(', ')}, not "${v}"`),
      },
    },
  },
  upgrade: {
    usage: 'upgrade [--json]',
    summary: 'build the newest SkyPilot beside the working one, switch to it once verified (uv too when the pinned version changed)',
    flags: { json: JSON_FLAG },
  },
  rollback: {
    usage: 'rollback [--json]',
    summary: 'make the SkyPilot from before the last upgrade or repair current again, and stop the local API server',
    flags: { json: JSON_FLAG },
  },
  uninstall: {
    usage: 'uninstall [--all [--logs]] [--json]',
    summary: 'remove SkyPilot and its link; --all also the managed uv and Pythons',
    flags: {
      all: { help: 'also remove the managed uv and Pythons' },
      logs: { requires: 'all', help: 'with --all, also the attempt logs and last-attempt.json' },
      json: JSON_FLAG,
    },
  },
  doctor: {
    usage: 'doctor [--json]',
    summary: 'platform, paths, versions, PATH, proxy and CA, disk, the last error; exit 1 on problems',
    flags: { json: JSON_FLAG },
  },
};

export const COMMAND_NAMES = Object.keys(COMMAND_SPECS);

export function usageLine(command: string | null): string {
  const spec = command ? COMMAND_SPECS[command] : undefined;
  return spec ? `Usage: carapace-sky ${spec.usage}` : 'Usage: carapace-sky <command> [options]';
}

function flagLines(flags: Record<string, FlagSpec>): string[] {
  return Object.entries(flags).map(([name, f]) => {
    const left = name === 'help' ? '-h, --help' : `--${name}${f.value ? ` ${f.value}` : ''}`;
    return `  ${left.padEnd(18)}  ${f.help}`;
  });
}

/** `carapace-sky --help`, or `carapace-sky <command> --help`. */
export function helpFor(command: string | null): string {
  const spec = command ? COMMAND_SPECS[command] : undefined;
  if (!spec) {
    const commands = Object.values(COMMAND_SPECS).map((s) => `  ${s.usage.padEnd(28)}  ${s.summary}`);
    return [usageLine(null), '', 'Commands:', ...commands, '', 'Options:', ...flagLines(GLOBAL_FLAGS), '  --version           the version', '', "Run 'carapace-sky <command> --help' for a command's options.", ''].join('\n');
  }
  const lines = [usageLine(command), '', spec.summary[0]!.toUpperCase() + spec.summary.slice(1) + '.', '', 'Options:', ...flagLines({ ...spec.flags, ...GLOBAL_FLAGS })];
  return lines.join('\n') + '\n';
}

/** The closest command name, for "did you mean"; null when nothing is close. */
export function nearestCommand(name: string): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of COMMAND_NAMES) {
    const d = distance(name.toLowerCase(), candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // A third of the word wrong is still a typo; more is another word.
  return best !== null && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? best : null;
}

/** Levenshtein distance, one row at a time. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
