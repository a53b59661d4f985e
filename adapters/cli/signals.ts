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
