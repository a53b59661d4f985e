/**
 * A beat every second while a phase runs without news of its own (uv at work, another
 * installer holding the lock), so a terminal, the panel and the app see it is alive: the
 * product promises a progress event at least every 2 seconds there (issue 13).
 */

/** Half the promised 2 s, so a late timer on a busy machine still keeps the promise. */
export const SIGN_OF_LIFE_MS = 1_000;

export interface Beat {
  stop(): void;
}

/**
 * Calls `tick(elapsedSeconds)` every `intervalMs` from now until stopped. A tick that is still
 * running (a slow disk under the byte count) is not overlapped: the next one is skipped.
 */
export function startBeat(tick: (elapsedSeconds: number) => void | Promise<void>, opts: { intervalMs?: number; now?: () => number } = {}): Beat {
  const now = opts.now ?? Date.now;
  const started = now();
  let busy = false;
  let stopped = false;
  const timer = setInterval(async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      await tick(Math.max(0, (now() - started) / 1000));
    } catch {
      // A sign of life that could not be measured is skipped, never the phase's failure.
    } finally {
      busy = false;
    }
  }, opts.intervalMs ?? SIGN_OF_LIFE_MS);
  // The beat alone must not keep a process alive.
  timer.unref?.();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
