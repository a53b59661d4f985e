/**
 * Shows an install to a person: a live bar on a terminal, plain lines otherwise (logs,
 * CI, pipes), one JSON object a line with --json. Reads installer events only.
 */
import type { InstallErrorData, InstallerEvent, InstallOutput, InstallProgress } from '../../installer/index.ts';
import type { CommandIO } from './io.ts';

export type ProgressMode = 'tty' | 'plain' | 'json';


function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export function formatBar(progress: InstallProgress, width = 30): string {
  const percent = progress.percent ?? 0;
  const filled = Math.round((percent / 100) * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const parts = [`${bar} ${percent.toFixed(0).padStart(3)}%`];
  if (progress.bytes_done !== undefined) {
    parts.push(progress.bytes_total ? `${mb(progress.bytes_done)} / ${mb(progress.bytes_total)}` : mb(progress.bytes_done));
  }
  if (progress.bytes_per_second) parts.push(`${mb(progress.bytes_per_second)}/s`);
  if (progress.eta_seconds != null) parts.push(`ETA ${Math.ceil(progress.eta_seconds)}s`);
  return parts.join('  ');
}

export function formatError(error: InstallErrorData): string {
  const lines = [`error[${error.code}] during ${error.phase}: ${error.message}`, `hint: ${error.hint}`];
  if (error.detail) lines.push('detail:', ...error.detail.split('\n').map((l) => `  ${l}`));
  return lines.join('\n') + '\n';
}

export class ProgressView {
  private barShown = false;
  private lastPlainPercent = -10;
  private phase: string | null = null;

  constructor(
    private readonly io: CommandIO,
    readonly mode: ProgressMode,
  ) {}

  static modeFor(io: CommandIO, json: boolean): ProgressMode {
    if (json) return 'json';
    return io.stdout.isTTY && io.env.TERM !== 'dumb' && !io.env.CI ? 'tty' : 'plain';
  }

  private clearBar(): void {
    if (this.barShown) this.io.stdout.write('\r\x1b[2K');
    this.barShown = false;
  }

  handle = (event: InstallerEvent): void => {
    if (this.mode === 'json') {
      if (event.type === 'install-progress') this.io.stdout.write(JSON.stringify(event.progress) + '\n');
      return;
    }
    // Each phase opens with the machine's announcement, which becomes the heading.
    if (event.type === 'install-state') return;
    const progress = event.progress;
    if (progress.phase !== this.phase) {
      this.phase = progress.phase;
      this.clearBar();
      this.io.stdout.write(`==> ${progress.message}\n`);
      this.lastPlainPercent = -10;
      return;
    }
    if (progress.percent !== null && progress.phase === 'downloading_uv') {
      if (this.mode === 'tty') {
        this.io.stdout.write(`\r\x1b[2K    ${formatBar(progress)}`);
        this.barShown = true;
      } else if (progress.percent >= this.lastPlainPercent + 10) {
        // Logs get a line per tenth, not ten lines a second.
        this.lastPlainPercent = Math.floor(progress.percent / 10) * 10;
        this.io.stdout.write(`    ${formatBar(progress, 20)}\n`);
      }
      return;
    }
    this.clearBar();
    this.io.stdout.write(`    ${progress.message}\n`);
  };

  finish(output: InstallOutput): void {
    this.clearBar();
    if (this.mode === 'json') {
      const line = output.ok ? { ok: true, sky_path: output.sky_path, status: output.status } : output;
      this.io.stdout.write(JSON.stringify(line) + '\n');
      return;
    }
    if (output.ok) {
      this.io.stdout.write(`==> Complete: SkyPilot ${output.status.sky_version ?? ''} at ${output.sky_path}\n`);
    } else {
      this.io.stderr.write(formatError(output.error));
    }
  }
}
