#!/usr/bin/env bun
/**
 * `carapace-sky`: declares the commands and maps failures to exit codes. Each command is a
 * plain async function in commands/.
 */
import { toInstallErrorData } from '../../machines/errors.ts';
import type { Installer } from '../installer.ts';
import { settingsFromEnv } from '../settings.ts';
import { parseArgs } from './args.ts';
import { ExitError, UsageError } from './errors.ts';
import { processIO, type CommandIO } from './io.ts';
import { formatError } from './progress.ts';

/** What a command gets; each command module is imported only when it runs (start-up time). */
export interface CommandContext {
  io: CommandIO;
  flags: Record<string, string | true>;
  rest: string[];
  json: boolean;
  signal: AbortSignal | undefined;
  installer: () => Promise<Installer>;
}

type Command = (ctx: CommandContext) => Promise<void>;

/** The command table: one line each. */
const COMMANDS: Record<string, Command> = {
  // Status skips the installer (xstate, execa): it only reads files, and it is asked often.
  status: async (c) => (await import('./commands/status.ts')).status(await statusReader(c.io.env), c.io, { json: c.json }),
  install: async (c) =>
    (await import('./commands/install.ts')).install(await c.installer(), c.io, {
      json: c.json,
      ...(c.signal ? { signal: c.signal } : {}),
    }),
  which: async (c) => (await import('./commands/which.ts')).which(settingsFromEnv(c.io.env).home, c.io),
  demo: async (c) => (await import('./commands/demo.ts')).demo(c.io, { json: c.json }),
  serve: async (c) => (await import('./commands/serve.ts')).serve(await c.installer(), c.io, c.flags, c.signal),
  graph: async (c) => (await import('./commands/graph.ts')).graph(c.io, { format: c.flags.format }),
  upgrade: async (c) => (await import('./commands/upgrade.ts')).upgrade(settingsFromEnv(c.io.env), c.io, { json: c.json, signal: c.signal }),
  uninstall: async (c) => (await import('./commands/uninstall.ts')).uninstall(settingsFromEnv(c.io.env), c.io, { all: c.flags.all === true, json: c.json }),
  doctor: async (c) => (await import('./commands/doctor.ts')).doctor(c.io, { json: c.json }),
};

async function statusReader(env: Record<string, string | undefined>) {
  const settings = settingsFromEnv(env);
  const { getInstallStatus } = await import('../../actors/check.ts');
  return { getStatus: () => getInstallStatus(settings) };
}

export const USAGE = `Usage: carapace-sky <command> [options]

Commands:
  status [--json]     what is installed under CARAPACE_HOME
  install [--json]    install uv and SkyPilot if needed (progress on the terminal)
  which               the sky that would run: the managed one, then PATH
  demo [--json]       a full install from a local stand-in release into a temporary home
  serve [--host H] [--port P]  the gatekeeper HTTP service (default 127.0.0.1:8787)
  graph [--format F]  the install statechart from the machine: mermaid (default), dot or json
  upgrade [--json]    upgrade SkyPilot (uv tool upgrade), and uv when the pinned version changed
  uninstall [--all]   remove SkyPilot and its link; --all also the managed uv and Pythons
  doctor [--json]     platform, paths, versions, PATH, proxy and CA, disk, the last error; exit 1 on problems

Options:
  --home DIR          CARAPACE_HOME (default ~/.carapace)
  -h, --help          this help
`;

const VALUE_FLAGS = new Set(['home', 'host', 'port', 'format']);
const BOOL_FLAGS = new Set(['json', 'help', 'all']);

export async function main(argv: string[], io: CommandIO = processIO(), signal?: AbortSignal): Promise<number> {
  try {
    const { command, flags, rest } = parseArgs(argv, VALUE_FLAGS, BOOL_FLAGS);
    if (flags.help || command === null || command === 'help') {
      io.stdout.write(USAGE);
      return command === null && !flags.help ? 2 : 0;
    }
    const env = typeof flags.home === 'string' ? { ...io.env, CARAPACE_HOME: flags.home } : io.env;
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command "${command}"`);
    await run({
      io: { ...io, env },
      flags,
      rest,
      json: flags.json === true,
      signal,
      installer: async () => {
        const { createInstaller, installer } = await import('../installer.ts');
        if (env === process.env) return installer();
        const { inspectedInstaller } = await import('../inspector.ts');
        return inspectedInstaller(env, (deps) => createInstaller({ ...deps, settings: () => settingsFromEnv(env) }));
      },
    });
    return 0;
  } catch (error) {
    if (error instanceof ExitError) return error.exitCode;
    if (error instanceof UsageError) {
      io.stderr.write(`carapace-sky: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    const data = toInstallErrorData(error, 'checking');
    if (data.code === 'internal') {
      io.stderr.write(`carapace-sky: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      return 70;
    }
    io.stderr.write(formatError(data));
    return 1;
  }
}

if (import.meta.main) {
  const controller = new AbortController();
  // Ctrl-C cancels the attempt cleanly (staging removed, uv's process group ended); a second one exits at once.
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++interrupts > 1) process.exit(130);
    controller.abort(new Error(`received ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await main(process.argv.slice(2), processIO(), controller.signal);
  process.exit(code);
}
