/**
 * How the install machine's actions and guards get their typed `params` from an event (an
 * actor's output or error, a lock message), so machines/install.ts needs no casts; and the
 * small helpers its invokes use (an actor not provided, a context field that must be set, the
 * `report` callback), kept here so that file stays the chart.
 */
import { InstallError } from './errors.ts';
import type { InstallContext, InstallEvent, Report } from './install-types.ts';
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

export function notProvided(name: string): never {
  throw new InstallError('internal', `actor "${name}" was not provided to the install machine`);
}

/** A context field every path to this point has set; null means a bug in the chart, not in the world. */
export function known<T>(value: T | null, name: string): T {
  if (value === null) throw new InstallError('internal', `the install machine went on without ${name}`);
  return value;
}

/** The `report` an actor gets: its progress comes back as an event, stamped with the phase. */
export function reporterFor(self: { send: (event: InstallEvent) => void }, phase: WorkPhase): Report {
  return (progress) => self.send({ type: 'install.progress', progress: { ...progress, phase } });
}
