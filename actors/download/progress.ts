/**
 * Download progress: bytes, speed and ETA, at most about ten events a second, with a
 * percent that never goes down within an attempt (a restart from zero keeps the high mark
 * until the new bytes pass it).
 */
import type { ProgressReport, Report } from '../../machines/install.ts';

const MIN_INTERVAL_MS = 100;
const SPEED_WINDOW_MS = 2_000;

export class DownloadProgress {
  private lastEmit = -Infinity;
  private highPercent = 0;
  private samples: Array<{ t: number; bytes: number }> = [];
  total: number | null = null;
  done = 0;

  constructor(
    private readonly report: Report,
    private readonly now: () => number,
    private readonly label: string,
  ) {}

  start(total: number | null, offset: number): void {
    this.total = total;
    this.done = offset;
    this.samples = [{ t: this.now(), bytes: offset }];
  }

  add(bytes: number): void {
    this.done += bytes;
    const t = this.now();
    if (t - this.lastEmit >= MIN_INTERVAL_MS) this.emit(t);
  }

  finish(): void {
    this.emit(this.now());
  }

  /** Says something that is not a byte count (a retry, a source change) in the same stream. */
  note(message: string): void {
    this.report({ ...this.snapshot(this.now()), message });
  }

  private snapshot(t: number): ProgressReport {
    this.samples.push({ t, bytes: this.done });
    while (this.samples.length > 2 && t - this.samples[0]!.t > SPEED_WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const elapsed = (t - first.t) / 1000;
    const speed = elapsed > 0 ? Math.max(0, (this.done - first.bytes) / elapsed) : 0;
    let percent: number | null = null;
    if (this.total && this.total > 0) {
      this.highPercent = Math.max(this.highPercent, Math.min(100, (this.done / this.total) * 100));
      percent = Math.round(this.highPercent * 10) / 10;
    }
    const remaining = this.total !== null ? Math.max(0, this.total - this.done) : null;
    return {
      message: this.label,
      percent,
      bytes_done: this.done,
      bytes_total: this.total,
      bytes_per_second: Math.round(speed),
      eta_seconds: remaining !== null && speed > 0 ? Math.round((remaining / speed) * 10) / 10 : null,
    };
  }

  private emit(t: number): void {
    this.lastEmit = t;
    this.report(this.snapshot(t));
  }
}
