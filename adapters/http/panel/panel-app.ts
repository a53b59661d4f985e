/**
 * The install panel's script, run in the browser and served bundled with the typed client
 * (GET /assets/panel.js). It reads the status once, then follows the event stream: the
 * attempt's phases become steps, download events a bar, the final `complete` or `error`
 * event the outcome. Install and Retry start the attempt without waiting (`{"wait": false}`).
 */
import { createClient, GatekeeperError, type InstallStatusAnswer, type ProgressData } from '../../client.ts';
import type { InstallErrorData, InstallPhase, InstallProgress } from '../../wire.ts';
import { bytes, clock, STEPS, stepStates, transferFigures } from './panel-format.ts';

type Mode = 'loading' | 'idle' | 'running' | 'complete' | 'error';

interface View {
  mode: Mode;
  phase: InstallPhase | null;
  visited: InstallPhase[];
  progress: InstallProgress | null;
  /** When the current phase began, by this page's clock. */
  phaseStarted: number;
  activity: string;
  version: string | null;
  path: string | null;
  home: string;
  error: (InstallErrorData & { log_path?: string | null }) | null;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const token = new URLSearchParams(location.search).get('token');
const client = createClient({ baseUrl: location.origin, ...(token ? { token } : {}) });

const view: View = { mode: 'loading', phase: null, visited: [], progress: null, phaseStarted: Date.now(), activity: '', version: null, path: null, home: '', error: null };

const HEADLINES: Record<InstallPhase, string> = {
  checking: 'Checking what is installed…',
  downloading_uv: 'Downloading uv…',
  installing_skypilot: 'Installing SkyPilot…',
  verifying: 'Verifying SkyPilot…',
  complete: 'SkyPilot is ready',
  error: 'The install failed',
};

function render(): void {
  const { mode, phase, progress } = view;
  document.body.dataset.mode = mode;
  $('headline').textContent =
    mode === 'loading' ? 'Loading…' : mode === 'idle' ? 'SkyPilot is not installed yet' : mode === 'complete' ? HEADLINES.complete : mode === 'error' ? HEADLINES.error : HEADLINES[phase ?? 'checking'];
  $('summary').textContent =
    mode === 'idle'
      ? 'Carapace installs SkyPilot with its own copy of uv. Nothing else on this computer changes.'
      : mode === 'running'
        ? 'You can keep working; the install goes on in the background.'
        : mode === 'complete'
          ? 'Clusters can be launched from Carapace.'
          : mode === 'error'
            ? (view.error?.message ?? '')
            : '';

  const states = stepStates(view.visited, mode === 'error' ? (view.error?.phase ?? phase) : phase, mode);
  for (const step of STEPS) {
    const li = $(`step-${step.phase}`);
    const state = states[step.phase];
    li.dataset.state = state;
    if (state === 'active') li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
    li.querySelector('.state')!.textContent = { pending: '', active: 'in progress', done: 'done', skipped: 'not needed', failed: 'failed' }[state];
  }

  const downloading = mode === 'running' && phase === 'downloading_uv' && progress?.bytes_done !== undefined;
  $('transfer').hidden = !downloading;
  if (downloading && progress) {
    const bar = $('bar');
    const figures = transferFigures(progress);
    if (progress.percent !== null) {
      bar.setAttribute('aria-valuenow', String(Math.round(progress.percent)));
      bar.classList.remove('indeterminate');
      $('fill').style.width = `${progress.percent}%`;
    } else {
      bar.removeAttribute('aria-valuenow');
      bar.classList.add('indeterminate');
    }
    bar.setAttribute('aria-valuetext', figures.amount);
    $('amount').textContent = figures.amount;
    $('speed').textContent = figures.speed;
    $('eta').textContent = figures.eta;
  }

  // uv's phase always shows its time; any other phase (waiting on another installer) when its events carry it.
  const uv = phase === 'installing_skypilot';
  const long = mode === 'running' && (uv || progress?.elapsed_seconds !== undefined);
  $('elapsed').hidden = !long;
  if (long) {
    const seconds = progress?.elapsed_seconds ?? (Date.now() - view.phaseStarted) / 1000;
    const work = uv && progress?.bytes_done ? ` · ${bytes(progress.bytes_done)} written` : '';
    $('elapsed').textContent = `Elapsed ${clock(seconds)}${work}${uv ? ' · this step can take a few minutes' : ''}`;
  }
  $('activity').textContent = mode === 'running' ? view.activity : '';

  $('failure').hidden = mode !== 'error';
  if (mode === 'error' && view.error) {
    $('failure-hint').textContent = view.error.hint;
    $('failure-code').textContent = `${view.error.code} during ${view.error.phase.replace(/_/g, ' ')}`;
    $('failure-log').textContent = view.error.log_path ?? 'no log was kept';
  }

  $('done').hidden = mode !== 'complete';
  $('version').textContent = view.version ?? 'unknown';
  $('path').textContent = view.path ?? '';
  $('install').hidden = mode !== 'idle';
  $('retry').hidden = mode !== 'error';
  $('home').textContent = view.home;
}

function enter(phase: InstallPhase): void {
  if (phase === 'complete' || phase === 'error') return;
  if (view.mode !== 'running' || phase === 'checking') {
    // A new attempt: forget the last one's steps and outcome.
    Object.assign(view, { mode: 'running', visited: [], error: null, progress: null });
  }
  if (view.phase !== phase) view.phaseStarted = Date.now();
  view.phase = phase;
  if (!view.visited.includes(phase)) view.visited.push(phase);
}

function onProgress(p: ProgressData): void {
  if (p.phase === 'complete') {
    Object.assign(view, { mode: 'complete', phase: 'complete', version: p.sky_version ?? null, path: p.sky_path ?? null, progress: null });
  } else if (p.phase === 'error') {
    Object.assign(view, { mode: 'error', error: p.error ?? null, progress: null });
  } else {
    enter(p.phase);
    view.progress = p;
    // A sign of life (it carries elapsed_seconds) repeats itself; the line above it keeps uv's last word.
    if (p.elapsed_seconds === undefined || !view.activity) view.activity = p.message;
  }
  render();
}

async function start(button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const answer = await client.startInstall();
    if ('accepted' in answer) enter(answer.phase);
    else if (!answer.ok) Object.assign(view, { mode: 'error', error: answer.error });
    render();
  } catch (error) {
    const e = error instanceof GatekeeperError ? error.error : { code: 'network', phase: 'checking', message: String(error), hint: 'Check that Carapace is running, then retry.', detail: null };
    Object.assign(view, { mode: 'error', error: { ...e, log_path: null } });
    render();
  } finally {
    button.disabled = false;
  }
}

function fromStatus(status: InstallStatusAnswer): void {
  view.home = status.carapace_home;
  // The stream replays the latest attempt first; what it already showed is newer than this.
  if (view.mode !== 'loading') return render();
  if (status.phase !== null) enter(status.phase);
  else if (status.sky_installed) Object.assign(view, { mode: 'complete', version: status.sky_version });
  else view.mode = 'idle';
  render();
}

$('install').addEventListener('click', (e) => void start(e.currentTarget as HTMLButtonElement));
$('retry').addEventListener('click', (e) => void start(e.currentTarget as HTMLButtonElement));
client.subscribeInstallProgress({
  onOpen: () => (document.body.dataset.stream = 'open'),
  onError: () => (document.body.dataset.stream = 'reconnecting'),
  onState: (s) => {
    enter(s.to);
    render();
  },
  onProgress,
});
// The elapsed time moves on between events (uv can be silent for minutes).
setInterval(() => view.mode === 'running' && !$('elapsed').hidden && render(), 1000);
client.getInstallStatus().then(fromStatus, (error: unknown) => {
  Object.assign(view, { mode: 'error', error: { code: 'network', phase: 'checking', message: `Cannot read the install status: ${String(error)}`, hint: 'Reload the page.', detail: null, log_path: null } });
  render();
});
render();
