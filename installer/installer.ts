/**
 * The one place the install machine runs. `createInstaller(deps)` builds an installer with
 * its own state (tests use it); `installer()` is the process-wide one. Concurrent
 * `ensureSkypilot()` calls join the running attempt; a finished attempt is never reused
 * for a failure, so the next call after an error starts afresh.
 *
 * Across processes, each attempt is wrapped in an AttemptCoordinator (installer/attempt.ts):
 * the install lock, the attempt's log and the clean-up of crashed attempts.
 */
import { createActor, fromPromise, toPromise } from 'xstate';
import { activate } from '../actors/activate.ts';
import { checkInstall, statusOf } from '../actors/check.ts';
import { downloadUv } from '../actors/download-uv.ts';
import { installSkypilot } from '../actors/install-skypilot.ts';
import { verifySky } from '../actors/verify.ts';
import { InstallError, toInstallErrorData } from '../machines/errors.ts';
import {
  installMachine,
  phaseOf,
  type InstallDeps,
  type InstallInput,
  type InstallMode,
} from '../machines/install.ts';
import type {
  InstallOutput,
  InstallPhase,
  InstallProgress,
  InstallSettings,
  StatusSettings,
} from '../machines/types.ts';
import { AttemptCoordinator, redactError } from './attempt.ts';
import { finalProgress } from './final-progress.ts';
import type { EnsureOptions, Installer, InstallerActors, InstallerDeps, InstallerEvent, InstallerListener, Work } from './types.ts';
export type { EnsureOptions, Installer, InstallerActors, InstallerDeps, InstallerEvent, InstallerListener } from './types.ts';
import { redactorFor } from './redact.ts';
import { settingsFromEnv } from './settings.ts';
import { inspectedInstaller } from './inspector.ts';
import { memoizedStatus } from './status-memo.ts';
import { statusSettingsFromEnv } from './status-settings.ts';

const DEFAULT_ACTORS: InstallerActors = {
  lock: async () => {},
  check: (input, signal) => checkInstall(input.settings, signal),
  downloadUv,
  installSkypilot,
  verify: verifySky,
  activate,
};

interface Attempt {
  id: number;
  actor: ReturnType<typeof startActor>;
  result: Promise<InstallOutput>;
  waiters: number;
}

/** Why a caller stopped: the reason it aborted with (a CLI names the signal), else a plain fact. */
function stopReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name !== 'AbortError' && reason.message ? reason.message : 'the caller stopped waiting';
}

function startActor(input: InstallInput, work: InstallerActors, pending: Set<Promise<unknown>>, inspect: InstallerDeps['inspect']) {
  // Every side effect is tracked so an attempt only reports its end once its cleanup
  // (staging removed, process group gone) has finished, even after a cancel.
  const track = <I, O>(run: Work<I, O>) =>
    fromPromise<O, I>(({ input: actorInput, signal }) => {
      const promise = run(actorInput, signal);
      pending.add(promise);
      promise.then(
        () => pending.delete(promise),
        () => pending.delete(promise),
      );
      return promise;
    });
  const machine = installMachine.provide({
    actors: {
      lock: track(work.lock),
      check: track(work.check),
      downloadUv: track(work.downloadUv),
      installSkypilot: track(work.installSkypilot),
      verify: track(work.verify),
      activate: track(work.activate),
    },
  });
  return createActor(machine, { input, ...(inspect ? { inspect } : {}) });
}

export function createInstaller(deps: InstallerDeps = {}): Installer {
  const listeners = new Set<InstallerListener>();
  const work: InstallerActors = { ...DEFAULT_ACTORS, ...deps.actors };
  const installDeps: InstallDeps = { fetch: deps.fetch ?? fetch, now: deps.now ?? Date.now };
  const coordinate = deps.coordinate ?? deps.actors === undefined;
  const readSettings = (): InstallSettings =>
    typeof deps.settings === 'function' ? deps.settings() : (deps.settings ?? settingsFromEnv());
  let attempts = 0;
  let running: Attempt | null = null;
  // The status answer depends on the home and the requirement only (the memo's key): those are
  // read on every call, cheaply; the whole settings, validated, only when the disk is read.
  const statusKey = (): StatusSettings =>
    deps.settings === undefined ? statusSettingsFromEnv(process.env) : typeof deps.settings === 'function' ? deps.settings() : deps.settings;
  const readStatus = async () =>
    statusOf(await work.check({ settings: readSettings(), deps: installDeps }, new AbortController().signal));
  // Only the real check reads the disk whose identity the memo watches; a test's stand-in may not.
  const status = deps.actors?.check === undefined ? memoizedStatus(readStatus, { watch: deps.watchDisk }) : Object.assign(readStatus, { close() {} });

  const publish = (event: InstallerEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // One broken listener must not stop the others or the install.
      }
    }
  };

  function begin(mode: InstallMode): Attempt {
    const id = ++attempts;
    const pending = new Set<Promise<unknown>>();
    let settings: InstallSettings;
    try {
      settings = readSettings();
    } catch (error) {
      const output: InstallOutput = { ok: false, error: toInstallErrorData(error, 'checking') };
      publish({ type: 'install-progress', attempt: id, progress: finalProgress(output) });
      return { id, actor: null as never, result: Promise.resolve(output), waiters: 0 };
    }
    const coordinator = coordinate
      ? new AttemptCoordinator(settings, { purpose: mode, lock: deps.lock, started: installDeps.now() })
      : null;
    const redact = coordinator?.redact ?? redactorFor(settings.env);
    const actor = startActor(
      { settings, deps: installDeps, mode },
      coordinator ? coordinator.wrap(work) : work,
      pending,
      deps.inspect,
    );
    const announce = (event: InstallerEvent) => {
      coordinator?.observe(event);
      publish(event);
    };
    let last: InstallPhase | null = null;
    let queued: InstallProgress[] = [];
    // Emitted progress arrives inside a transition, before the snapshot that announces the
    // new state; hold it until then so listeners see each state before its progress.
    actor.on('progress', ({ progress }) => queued.push(progress));
    actor.subscribe({
      next: (snapshot) => {
        const to = phaseOf(snapshot);
        if (to !== last) {
          announce({ type: 'install-state', attempt: id, from: last, to, time: new Date().toISOString() });
          last = to;
        }
        const flush = queued;
        queued = [];
        // uv's stderr can quote an index URL with its token; nothing leaves unredacted.
        for (const progress of flush) {
          announce({ type: 'install-progress', attempt: id, progress: { ...progress, message: redact(progress.message) } });
        }
      },
      error: () => {},
    });
    const result = (async (): Promise<InstallOutput> => {
      let output: InstallOutput;
      try {
        output = await toPromise(actor);
      } catch (error) {
        output = { ok: false, error: toInstallErrorData(error, last ?? 'checking') };
      }
      await Promise.allSettled([...pending]);
      if (!output.ok) output = { ok: false, error: redactError(output.error, redact) };
      if (coordinator) output = await coordinator.finish(output);
      // After finish, so the error names the log it kept; the log itself is closed by now.
      publish({ type: 'install-progress', attempt: id, progress: finalProgress(output) });
      return output;
    })();
    actor.start();
    return { id, actor, result, waiters: 0 };
  }

  /** Cancels the running attempt; resolves once it has ended and cleaned up after itself. */
  async function cancel(reason?: string): Promise<void> {
    const attempt = running;
    if (!attempt?.actor) return;
    attempt.actor.send({ type: 'install.cancel', ...(reason ? { reason } : {}) });
    await attempt.result;
  }

  /** Starts an attempt and makes it the running one until it ends. */
  function start(mode: InstallMode): Attempt {
    const attempt = begin(mode);
    running = attempt;
    void attempt.result.finally(() => {
      if (running === attempt) running = null;
    });
    return attempt;
  }

  async function ensureSkypilot(opts: EnsureOptions = {}): Promise<InstallOutput> {
    if (opts.signal?.aborted) {
      return cancelledOutput(running?.actor ? phaseOf(running.actor.getSnapshot()) : 'checking', stopReason(opts.signal));
    }
    return follow(running ?? start('install'), opts);
  }

  /**
   * An upgrade is an attempt of its own (same lock, log, events and inspector as an install),
   * started once any running attempt has ended: what that one leaves is what it upgrades.
   */
  async function upgrade(opts: EnsureOptions = {}): Promise<InstallOutput> {
    while (running) await running.result;
    if (opts.signal?.aborted) return cancelledOutput('checking', stopReason(opts.signal));
    return follow(start('upgrade'), opts);
  }

  /** Waits for an attempt's end as one of its callers; the last caller to stop waiting cancels it. */
  function follow(attempt: Attempt, opts: EnsureOptions): Promise<InstallOutput> {
    attempt.waiters++;
    if (!opts.signal) return attempt.result.finally(() => attempt.waiters--);
    const signal = opts.signal;
    return new Promise<InstallOutput>((resolve) => {
      const onAbort = () => {
        attempt.waiters--;
        const phase = phaseOf(attempt.actor.getSnapshot());
        // The last caller to leave takes the attempt with it, and waits for its clean-up
        // (staging removed, uv's process group gone, the log closed): a CLI exits right after.
        const reason = stopReason(signal);
        const ended = attempt.waiters === 0 && running === attempt ? cancel(reason) : Promise.resolve();
        void ended.then(() => resolve(cancelledOutput(phase, reason)));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void attempt.result.then((output) => {
        if (signal.aborted) return;
        signal.removeEventListener('abort', onAbort);
        attempt.waiters--;
        resolve(output);
      });
    });
  }

  function cancelledOutput(phase: InstallPhase, reason: string): InstallOutput {
    return { ok: false, error: toInstallErrorData(new InstallError('cancelled', reason), phase) };
  }

  return {
    ensureSkypilot,
    upgrade,
    cancel,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getStatus() {
      return status(statusKey());
    },
    phase() {
      return running?.actor ? phaseOf(running.actor.getSnapshot()) : null;
    },
    settings: readSettings,
    close: () => status.close(),
  };
}

let instance: Installer | null = null;

/**
 * The process-wide installer: one interpreter per process, created on first use. With
 * CARAPACE_INSPECT set it reports to that WebSocket inspector (installer/inspector.ts).
 */
export function installer(): Installer {
  instance ??= inspectedInstaller(process.env, createInstaller);
  return instance;
}
