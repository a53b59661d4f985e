/**
 * Shows an install to a person: a live line on a terminal, plain lines otherwise (logs,
 * CI, pipes), one JSON object a line with --json. Reads installer events only; the attempt's
 * last event (phase `complete` or `error`) is what it reports as the outcome.
 */
import type { InstallErrorData, InstallerEvent, InstallOutput, InstallProgress } from '../../installer/index.ts';
import { colourOn, palette, type Palette } from './colour.ts';
import type { CommandIO } from './io.ts';

export type ProgressMode = 'tty' | 'plain' | 'json';

const SPINNER = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';

function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** Bytes, speed and ETA; the bar only when the size is known (no Content-Length, no bar). */
export function formatBar(progress: InstallProgress, width = 30): string {
  const parts: string[] = [];
  if (progress.percent !== null) {
    const filled = Math.round((progress.percent / 100) * width);
    parts.push(`${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${progress.percent.toFixed(0).padStart(3)}%`);
  }
  if (progress.bytes_done !== undefined) {
    parts.push(progress.bytes_total ? `${mb(progress.bytes_done)} / ${mb(progress.bytes_total)}` : mb(progress.bytes_done));
  }
  if (progress.bytes_per_second) parts.push(`${mb(progress.bytes_per_second)}/s`);
  if (progress.eta_seconds != null) parts.push(`ETA ${Math.ceil(progress.eta_seconds)}s`);
  return parts.join('  ');
}

export function formatError(error: InstallErrorData, paint: Palette = palette(false)): string {
  const lines = [paint.red(`error[${error.code}] during ${error.phase}: ${error.message}`), `${paint.bold('hint:')} ${error.hint}`];
  if (error.detail) lines.push('detail:', ...error.detail.split('\n').map((l) => `  ${l}`));
  return lines.join('\n') + '\n';
}

interface Download {
  label: string;
  started: number;
  bytes: number;
}

export class ProgressView {
  private live = false;
  private phase: string | null = null;
  private phaseStarted = 0;
  private ended = false;
  private download: Download | null = null;
  private lastPlainPercent = -10;
  private lastPlainElapsed = 0;
  private spin = 0;
  private readonly paint: Palette;

  constructor(
    private readonly io: CommandIO,
    readonly mode: ProgressMode,
    private readonly opts: { now?: () => number; interrupted?: () => boolean } = {},
  ) {
    this.paint = palette(mode !== 'json' && colourOn(io.env, io.stdout.isTTY));
  }

  static modeFor(io: CommandIO, json: boolean): ProgressMode {
    if (json) return 'json';
    return io.stdout.isTTY && io.env.TERM !== 'dumb' && !io.env.CI ? 'tty' : 'plain';
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private line(text: string): void {
    this.clearLive();
    this.io.stdout.write(`${text}\n`);
  }

  private liveLine(text: string): void {
    this.io.stdout.write(`\r\x1b[2K    ${text}`);
    this.live = true;
  }

  private clearLive(): void {
    if (this.live) this.io.stdout.write('\r\x1b[2K');
    this.live = false;
  }

  /** The download bar is replaced by one line that stays: what came, how big, how long. */
  private closeDownload(): void {
    const d = this.download;
    this.download = null;
    if (!d || d.bytes === 0) return;
    const seconds = Math.max(0.1, (this.now() - d.started) / 1000);
    const speed = `${mb(d.bytes / seconds)}/s`;
    this.line(`    ${d.label.replace(/^Downloading/, 'Downloaded')}: ${mb(d.bytes)} in ${seconds.toFixed(1)} s (${speed})`);
  }

  handle = (event: InstallerEvent): void => {
    if (this.mode !== 'json') this.show(event);
    else if (event.type === 'install-progress') this.io.stdout.write(JSON.stringify(event.progress) + '\n');
  };

  /** What a person sees. Its own method, so --json runs never compile it (docs/performance.md). */
  private show(event: InstallerEvent): void {
    // Each phase opens with the machine's announcement, which becomes the heading.
    if (event.type === 'install-state') return;
    const progress = event.progress;
    if (progress.phase === 'complete' || progress.phase === 'error') return this.end(progress);
    if (progress.phase !== this.phase) {
      this.closeDownload();
      this.phase = progress.phase;
      this.phaseStarted = this.now();
      this.lastPlainPercent = -10;
      this.lastPlainElapsed = 0;
      this.line(`${this.paint.cyan('==>')} ${this.paint.bold(progress.message)}`);
      return;
    }
    if (progress.phase === 'downloading_uv' && progress.bytes_done !== undefined && progress.message.startsWith('Downloading')) {
      this.download ??= { label: progress.message, started: this.phaseStarted, bytes: 0 };
      this.download.bytes = progress.bytes_done;
      return this.showBytes(progress);
    }
    if (progress.elapsed_seconds !== undefined) return this.showElapsed(progress, progress.elapsed_seconds);
    this.line(`    ${progress.message}`);
  }

  private showBytes(progress: InstallProgress): void {
    if (this.mode === 'tty') return this.liveLine(formatBar(progress));
    // Logs get a line per tenth, not ten lines a second; without a size, only the summary line.
    if (progress.percent !== null && progress.percent >= this.lastPlainPercent + 10) {
      this.lastPlainPercent = Math.floor(progress.percent / 10) * 10;
      this.line(`    ${formatBar(progress, 20)}`);
    }
  }

  /** A long phase without other news (uv, the lock): a spinner, the time, the work done. */
  private showElapsed(progress: InstallProgress, elapsed: number): void {
    const work = progress.bytes_done ? `  ${mb(progress.bytes_done)}` : '';
    const text = `${progress.message}  ${Math.floor(elapsed)}s${work}`;
    if (this.mode === 'tty') return this.liveLine(`${SPINNER[this.spin++ % SPINNER.length]} ${text}`);
    if (elapsed >= this.lastPlainElapsed + 10) {
      this.lastPlainElapsed = Math.floor(elapsed / 10) * 10;
      this.line(`    ${text}`);
    }
  }

  private end(progress: InstallProgress): void {
    this.closeDownload();
    this.clearLive();
    this.ended = true;
    if (progress.phase === 'complete') {
      const version = progress.sky_version ? ` ${progress.sky_version}` : '';
      this.line(`${this.paint.green('==>')} ${this.paint.bold(`SkyPilot ready:${version}`)} at ${progress.sky_path ?? ''}`);
    } else if (progress.error) {
      this.reportError(progress.error);
    }
  }

  private reportError(error: InstallErrorData): void {
    // Ctrl-C is the user's own doing: no error block, no hint to read.
    if (error.code === 'cancelled' && this.opts.interrupted?.()) this.io.stderr.write('Interrupted\n');
    else this.io.stderr.write(formatError(error, palette(this.mode !== 'json' && colourOn(this.io.env, this.io.stderr.isTTY))));
  }

  finish(output: InstallOutput): void {
    this.clearLive();
    if (this.mode === 'json') {
      const line = output.ok ? { ok: true, sky_path: output.sky_path, status: output.status } : output;
      this.io.stdout.write(JSON.stringify(line) + '\n');
      return;
    }
    // A caller that stopped waiting while another still waits gets no final event of its own.
    if (this.ended) return;
    if (output.ok) this.end({ phase: 'complete', message: 'SkyPilot ready', percent: null, sky_path: output.sky_path, sky_version: output.status.sky_version });
    else this.reportError(output.error);
  }
}
