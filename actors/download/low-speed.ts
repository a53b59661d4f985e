/**
 * curl's low-speed rule (CURLOPT_LOW_SPEED_LIMIT / CURLOPT_LOW_SPEED_TIME): a body that
 * averages less than `limitBytesPerSecond` over the last `timeMs` is given up. The stall
 * timeout alone cannot see a server dripping a byte every few seconds: each byte resets it,
 * and a 24 MB uv would take years (issue 10: ETA 31,811,787 s with the lock held).
 */

export interface LowSpeedRule {
  /** Bytes per second; 0 turns the rule off. */
  limitBytesPerSecond: number;
  /** The window, in ms; 0 turns the rule off. */
  timeMs: number;
}

export const LOW_SPEED_HINT =
  'The link is too slow to finish in reasonable time; retry on a faster connection, or lower CARAPACE_LOW_SPEED_LIMIT (0 turns the rule off).';

/** Checks often enough that the rule fires within about a tenth of its window. */
const MAX_TICK_MS = 1_000;

/** The most a setTimeout can wait (2^31-1 ms); a longer window cannot be timed. */
const TIMER_CAP_MS = 2 ** 31 - 1;

export interface LowSpeedWatch {
  /** Bytes that arrived. */
  add(bytes: number): void;
  stop(): void;
}

/**
 * Calls `onSlow(averageBytesPerSecond)` once when the rule is broken; the caller aborts the
 * request. Off (a no-op watch) when either number is 0.
 */
export function watchLowSpeed(rule: LowSpeedRule, now: () => number, onSlow: (average: number) => void): LowSpeedWatch {
  if (rule.limitBytesPerSecond <= 0 || rule.timeMs <= 0 || rule.timeMs > TIMER_CAP_MS) return { add() {}, stop() {} };
  let total = 0;
  const started = now();
  // Samples of the running total; the oldest one kept is at or before the window's start.
  const samples: Array<{ t: number; total: number }> = [{ t: started, total: 0 }];
  const timer = setInterval(
    () => {
      const t = now();
      samples.push({ t, total });
      while (samples.length > 1 && samples[1]!.t <= t - rule.timeMs) samples.shift();
      const oldest = samples[0]!;
      if (t - oldest.t < rule.timeMs) return;
      const average = ((total - oldest.total) * 1000) / (t - oldest.t);
      if (average < rule.limitBytesPerSecond) {
        clearInterval(timer);
        onSlow(average);
      }
    },
    Math.max(10, Math.min(MAX_TICK_MS, rule.timeMs / 10)),
  );
  return {
    add(bytes) {
      total += bytes;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
