#!/usr/bin/env bun
/**
 * `carapace-sky`: declares the commands and maps failures to exit codes. Each command is a
 * plain async function in commands/, imported only when it runs, and so is everything else
 * a command does not always need (the settings validation, help text, error formatting):
 * `status` is asked often, and each module a process starts costs it time.
 */
import type { Installer, InstallSettings } from '../../installer/index.ts';
import { parseArgs } from './args.ts';
import { ExitError, OutputError, UsageError } from './errors.ts';
import { processIO, type CommandIO } from './io.ts';

/**
 * The signals that stop a command: Ctrl-C (SIGINT), `kill` and service managers (SIGTERM), a
 * closed terminal or SSH session (SIGHUP), Ctrl-\ (SIGQUIT). Each gets the same clean-up (the
 * attempt is cancelled, staging removed, uv's process group ended, the lock released) and
 * then the shell's exit code for death by that signal, 128 + N; a second signal exits at once.
 */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * POSIX fixes these four numbers (the XSI table in signal.h; Linux and macOS agree), so they
 * are written here rather than read from node:os, which every command would load for them.
 */
const NUMBERS: Record<StopSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };

/** 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP, 131 for SIGQUIT. */
export function signalExitCode(signal: StopSignal): number {
  return 128 + NUMBERS[signal];
}

/** The abort reason: what an interrupted install reports as its message. */
export function interruption(signal: StopSignal): Error {
  return new Error(`Interrupted by ${signal}: the install was stopped and cleaned up`);
}

/** Aborts `controller` on the first stop signal; returns the signal received, if any. */
export function abortOnSignals(controller: AbortController, exit: (code: number) => never = process.exit): () => StopSignal | null {
  let received: StopSignal | null = null;
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (received) exit(signalExitCode(signal));
      received = signal;
      controller.abort(interruption(signal));
    });
  }
  return () => received;
}

/** What a command gets. */
export interface CommandContext {
  io: CommandIO;
  flags: Record<string, string | true>;
  rest: string[];
  json: boolean;
  signal: AbortSignal | undefined;
  installer: () => Promise<Installer>;
}

type Command = (ctx: CommandContext) => Promise<void>;

/** Every install setting, validated: for the commands that install or remove. */
async function settings(c: CommandContext): Promise<InstallSettings> {
  return (await import('../../installer/index.ts')).settingsFromEnv(c.io.env);
}

/** The command table: one line each. */
const COMMANDS: Record<string, Command> = {
  // Status reads files only (no installer, xstate or execa), and only the settings it uses.
  status: async (c) => (await import('./commands/status.ts')).status(c.io, { json: c.json }),
  install: async (c) =>
    // The installer is loaded only when the install has something to do.
    (await import('./commands/install.ts')).install(c.installer, c.io, {
      json: c.json,
      ...(c.signal ? { signal: c.signal } : {}),
    }),
  which: async (c) => (await import('./commands/which.ts')).which((await settings(c)).home, c.io),
  demo: async (c) => (await import('./commands/demo.ts')).demo(c.io, { json: c.json, keep: c.flags.keep === true }),
  serve: async (c) => (await import('./commands/serve.ts')).serve(await c.installer(), c.io, c.flags, c.signal),
  graph: async (c) => (await import('./commands/graph.ts')).graph(c.io, { format: c.flags.format }),
  upgrade: async (c) => (await import('./commands/upgrade.ts')).upgrade(await c.installer(), c.io, { json: c.json, signal: c.signal }),
  rollback: async (c) => (await import('./commands/rollback.ts')).rollback(await settings(c), c.io, { json: c.json }),
  uninstall: async (c) => (await import('./commands/uninstall.ts')).uninstall(await settings(c), c.io, { all: c.flags.all === true, logs: c.flags.logs === true, json: c.json }),
  doctor: async (c) => (await import('./commands/doctor.ts')).doctor(c.io, { json: c.json }),
};

export async function main(argv: string[], io: CommandIO = processIO(), signal?: AbortSignal): Promise<number> {
  try {
    const { command, flags, rest, version } = parseArgs(argv);
    if ((version && !flags.help) || flags.help || command === null || command === 'help') return await about(command, flags, rest, version, io);
    const env = typeof flags.home === 'string' ? { ...io.env, CARAPACE_HOME: flags.home } : io.env;
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command "${command}"`);
    await run({ io: { ...io, env }, flags, rest, json: flags.json === true, signal, installer: () => installerFor(env) });
    return 0;
  } catch (error) {
    return report(error, io);
  }
}

/** `--version`, `--help`, `help <command>` and the bare `carapace-sky`: the CLI about itself. */
async function about(command: string | null, flags: Record<string, string | true>, rest: string[], version: boolean, io: CommandIO): Promise<number> {
  if (version && !flags.help) {
    io.stdout.write(`carapace-sky ${(await import('../../package.json')).version}\n`);
    return 0;
  }
  // `help install` is `install --help`.
  const topic = command === 'help' ? (rest[0] ?? null) : command;
  io.stdout.write((await import('./usage.ts')).helpFor(topic));
  return command === null && !flags.help ? 2 : 0;
}

/** The process's installer, or one of its own for an environment that differs (`--home`, tests). */
async function installerFor(env: Record<string, string | undefined>): Promise<Installer> {
  const { createInstaller, inspectedInstaller, installer, settingsFromEnv } = await import('../../installer/index.ts');
  if (env === process.env) return installer();
  return inspectedInstaller(env, (deps) => createInstaller({ ...deps, settings: () => settingsFromEnv(env) }));
}

/** Maps a failure to its exit code, after saying what went wrong. */
async function report(error: unknown, io: CommandIO): Promise<number> {
  if (error instanceof ExitError) return error.exitCode;
  if (error instanceof OutputError) {
    io.stderr.write(`carapace-sky: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof UsageError) {
    const { usageLine } = await import('./usage.ts');
    const helpCommand = error.command ? `carapace-sky ${error.command} --help` : 'carapace-sky --help';
    io.stderr.write(`carapace-sky: ${error.message}\n${usageLine(error.command)}\nRun '${helpCommand}' for more.\n`);
    return 2;
  }
  const [{ toInstallErrorData, redactorFor }, { formatError }, { colourOn, palette }] = await Promise.all([
    import('../../installer/index.ts'),
    import('./progress.ts'),
    import('./colour.ts'),
  ]);
  // A bad setting's message quotes its value, which may hold a proxy password.
  const redact = redactorFor(io.env);
  const raw = toInstallErrorData(error, 'checking');
  const data = { ...raw, message: redact(raw.message), detail: raw.detail === null ? null : redact(raw.detail) };
  if (data.code === 'internal') {
    io.stderr.write(`carapace-sky: internal error: ${redact(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
    return 70;
  }
  io.stderr.write(formatError(data, palette(colourOn(io.env, io.stderr.isTTY))));
  return 1;
}

if (import.meta.main) {
  const controller = new AbortController();
  const received = abortOnSignals(controller);
  const io = processIO();
  const code = await main(process.argv.slice(2), io, controller.signal);
  const failed = await io.drain();
  if (failed && code === 0) io.stderr.write(`carapace-sky: ${failed.message}\n`);
  const stoppedBy = received();
  // A command a signal stopped ends as death by that signal would (128+N, the contract's rule
  // for every command), after its clean-up: `serve` too, so `docker stop` sees 143 and a
  // supervisor can tell a stop from a clean finish.
  process.exit(stoppedBy ? signalExitCode(stoppedBy) : failed && code === 0 ? failed.exitCode : code);
}
