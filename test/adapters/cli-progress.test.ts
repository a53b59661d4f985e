/** What `carapace-sky install` shows a person: the CLI's ProgressView fed installer events. */
import { describe, expect, test } from 'bun:test';
import type { InstallerEvent } from '../../installer/installer.ts';
import { ProgressView, type ProgressMode } from '../../adapters/cli/progress.ts';
import type { InstallProgress } from '../../machines/types.ts';

function view(mode: ProgressMode, env: Record<string, string> = {}, opts: { isTTY?: boolean; interrupted?: boolean } = {}) {
  const out = { stdout: '', stderr: '' };
  let t = 0;
  const io = {
    env,
    cwd: '/',
    stdout: { write: (s: string) => (out.stdout += s), isTTY: opts.isTTY ?? mode === 'tty' },
    stderr: { write: (s: string) => (out.stderr += s), isTTY: opts.isTTY ?? mode === 'tty' },
  };
  const v = new ProgressView(io, mode, { now: () => t, interrupted: () => opts.interrupted === true });
  const send = (progress: InstallProgress) => v.handle({ type: 'install-progress', attempt: 1, progress } as InstallerEvent);
  return { v, out, send, tick: (ms: number) => (t += ms) };
}

const heading = (phase: InstallProgress['phase'], message: string): InstallProgress => ({ phase, message, percent: null });
const READY: InstallProgress = { phase: 'complete', message: 'SkyPilot ready', percent: null, sky_version: '1.0.0.dev20260214', sky_path: '/h/tools/bin/sky' };

function download(send: (p: InstallProgress) => void, tick: (ms: number) => void, total: number | null) {
  send(heading('downloading_uv', 'Downloading uv...'));
  for (let i = 1; i <= 16; i++) {
    tick(500);
    const done = i * 1_518_000;
    send({ phase: 'downloading_uv', message: 'Downloading uv 0.10.2', percent: total ? (done / total) * 100 : null, bytes_done: done, bytes_total: total, bytes_per_second: 3_000_000, eta_seconds: null });
  }
  tick(100);
  send(heading('installing_skypilot', 'Installing SkyPilot...'));
}

const SGR = /\x1b\[\d+m/;

describe('CLI progress view', () => {
  test('without Content-Length a log gets one line with the bytes and speed, not one line per event', () => {
    const { out, send, tick } = view('plain');
    download(send, tick, null);
    expect(out.stdout).toBe('==> Downloading uv...\n    Downloaded uv 0.10.2: 24.3 MB in 8.1 s (3.0 MB/s)\n==> Installing SkyPilot...\n');
  });

  test('on a terminal the bar is replaced by a summary line that stays', () => {
    const { out, send, tick } = view('tty');
    download(send, tick, 24_288_000);
    const kept = out.stdout.split(/\r\x1b\[2K/).at(-1)!;
    expect(kept).toBe('    Downloaded uv 0.10.2: 24.3 MB in 8.1 s (3.0 MB/s)\n\x1b[36m==>\x1b[39m \x1b[1mInstalling SkyPilot...\x1b[22m\n');
  });

  test('the end is the attempt\'s last event: "SkyPilot ready" with the version, said once', () => {
    const { v, out, send } = view('plain');
    send(heading('checking', 'Checking for SkyPilot...'));
    send(READY);
    v.finish({ ok: true, sky_path: '/h/tools/bin/sky', status: { uv_installed: true, uv_version: '0.10.2', sky_installed: true, sky_version: '1.0.0.dev20260214', carapace_home: '/h' } });
    expect(out.stdout).toBe('==> Checking for SkyPilot...\n==> SkyPilot ready: 1.0.0.dev20260214 at /h/tools/bin/sky\n');
  });

  test('a long phase with elapsed time shows a spinner, the seconds and the work done on one live line', () => {
    const { out, send } = view('tty', { NO_COLOR: '1' });
    send(heading('installing_skypilot', 'Installing SkyPilot...'));
    send({ phase: 'installing_skypilot', message: 'Installing SkyPilot...', percent: null, elapsed_seconds: 4.2, bytes_done: 52_400_000 });
    expect(out.stdout).toEndWith('\r\x1b[2K    ⠋ Installing SkyPilot...  4s  52.4 MB');
  });

  test('Ctrl-C says "Interrupted", not an error block', () => {
    const { out, send } = view('plain', {}, { interrupted: true });
    send({ phase: 'error', message: 'the caller stopped waiting', percent: null, error: { code: 'cancelled', phase: 'downloading_uv', message: 'the caller stopped waiting', hint: 'Run it again.', detail: null, log_path: null } });
    expect(out.stderr).toBe('Interrupted\n');
  });

  test('colour: on a terminal, off with NO_COLOR or TERM=dumb, on in a pipe with FORCE_COLOR', () => {
    const colours = (mode: ProgressMode, env: Record<string, string>, isTTY: boolean) => {
      const { out, send } = view(mode, env, { isTTY });
      send(heading('checking', 'Checking for SkyPilot...'));
      send({ phase: 'error', message: 'no route', percent: null, error: { code: 'network', phase: 'checking', message: 'no route', hint: 'Check the network.', detail: null, log_path: null } });
      return SGR.test(out.stdout) && SGR.test(out.stderr);
    };
    expect(colours('tty', {}, true)).toBe(true);
    expect(colours('tty', { NO_COLOR: '1' }, true)).toBe(false);
    expect(colours('plain', { TERM: 'dumb' }, true)).toBe(false);
    expect(colours('plain', {}, false)).toBe(false);
    expect(colours('plain', { FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colours('plain', { FORCE_COLOR: '1', NO_COLOR: '1' }, false)).toBe(true);
    expect(colours('plain', { FORCE_COLOR: '0' }, false)).toBe(false);
  });
});
