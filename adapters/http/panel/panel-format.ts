/**
 * What the install panel says, as plain functions of the data (no DOM), so they are tested
 * without a browser and bundled into the page with its script.
 */
import type { InstallPhase, InstallProgress, WorkPhase } from '../../wire.ts';

export const STEPS: ReadonlyArray<{ phase: WorkPhase; label: string }> = [
  { phase: 'checking', label: 'Check' },
  { phase: 'downloading_uv', label: 'Download uv' },
  { phase: 'installing_skypilot', label: 'Install SkyPilot' },
  { phase: 'verifying', label: 'Verify' },
];

export type StepState = 'pending' | 'active' | 'done' | 'skipped' | 'failed';

/**
 * Steps before the current one were done, or skipped when the attempt never entered them
 * (uv already there); on success every step is done or skipped; on error the failed one says so.
 */
export function stepStates(visited: readonly InstallPhase[], current: InstallPhase | null, mode: string): Record<WorkPhase, StepState> {
  const order = STEPS.map((s) => s.phase as InstallPhase);
  const at = current === null ? -1 : order.indexOf(current);
  const states = {} as Record<WorkPhase, StepState>;
  STEPS.forEach((step, i) => {
    const seen = visited.includes(step.phase);
    if (mode === 'complete') states[step.phase] = seen || visited.length === 0 ? 'done' : 'skipped';
    else if (mode === 'error' && i === at) states[step.phase] = 'failed';
    else if (mode === 'running' && i === at) states[step.phase] = 'active';
    else if ((mode === 'running' || mode === 'error') && i < at) states[step.phase] = seen ? 'done' : 'skipped';
    else states[step.phase] = 'pending';
  });
  return states;
}

export function bytes(n: number): string {
  if (n < 1_000_000) return `${Math.max(0, Math.round(n / 1000))} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

/** 75 → "1:15"; 3725 → "1:02:05". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export function transferFigures(p: InstallProgress): { amount: string; speed: string; eta: string } {
  const done = p.bytes_done ?? 0;
  return {
    amount: p.bytes_total ? `${bytes(done)} of ${bytes(p.bytes_total)}` : `${bytes(done)} received`,
    speed: p.bytes_per_second ? `${bytes(p.bytes_per_second)}/s` : '',
    eta: p.eta_seconds != null ? `about ${clock(Math.ceil(p.eta_seconds))} left` : '',
  };
}
