/**
 * How the install machine's actions and guards get their typed `params` from an event (an
 * actor's output or error, a lock message), so machines/install.ts needs no casts.
 */
import type { InstallContext } from './install-types.ts';
import type { CheckResult, WorkPhase } from './types.ts';

/** Params of an actor's done event: its output, typed by the invoke it belongs to. */
export const output = <T>({ event }: { event: { output: T } }): T => event.output;
/** What the guards after `check` read: its result, and in upgrade mode the pinned uv version. */
export interface Checked {
  check: CheckResult;
  upgrade: boolean;
  pinned: string;
}
export const checked = ({ context, event }: { context: InstallContext; event: { output: CheckResult } }): Checked => ({
  check: event.output,
  upgrade: context.mode === 'upgrade',
  pinned: context.settings.uv_version,
});
/** A broken environment or one installed for other settings is replaced, not upgraded. */
export const needsForce = (check: CheckResult | null) => check?.sky_problem != null || check?.sky_outdated != null;

/** Params of a `lock.wait` event: the message naming the holder, and how long the wait has lasted. */
export interface Wait {
  message: string;
  elapsed_seconds?: number;
}
export const waitOf = ({ event }: { event: Wait }): Wait =>
  event.elapsed_seconds === undefined ? { message: event.message } : { message: event.message, elapsed_seconds: event.elapsed_seconds };
/** Params of an actor's error event: the error and the phase it failed in. */
export const failedIn =
  (phase: WorkPhase) =>
  ({ event }: { event: { error: unknown } }) => ({ error: event.error, phase });
