/**
 * One attempt's share of CARAPACE_HOME across processes: the install lock (installer/lock.ts)
 * held from the start of `checking` to the end, the attempt's log, the record of how it
 * ended, and the clean-up of what crashed attempts left. A process that finds the lock held
 * reports "waiting for another installer (pid N)" and, once it gets the lock, finds SkyPilot
 * installed, or ends with the failure of the attempt it waited for rather than repeat it.
 */
import { hostname } from 'node:os';
import { rememberUvVersion } from '../actors/check.ts';
import { ensureHome } from '../actors/home.ts';
import { startBeat, type Beat } from '../actors/signs-of-life.ts';
import { assertOwnFolders, trustedHome } from '../actors/trust.ts';
import { InstallError, toInstallErrorData } from '../machines/errors.ts';
import type { InstallErrorData, InstallSettings, InstallStatus } from '../machines/types.ts';
import { installKey } from './install-key.ts';
import { AttemptLog, KEEP_LOGS, pruneLogs, readLastAttempt, withLog, writeLastAttempt } from './install-log.ts';
import type { InstallerActors, InstallerDeps, InstallerEvent } from './types.ts';
import { layoutOf, type Layout } from '../actors/layout.ts';
import { acquireLock, type LockLease, type LockOwner } from './lock.ts';
import { clearLeftovers } from './leftovers.ts';
import { runDirOf } from './owned.ts';
import { redactorFor } from './redact.ts';

/** "waiting for another installer (pid N)", naming the host when it is not this one. */
export function waitingMessage(holder: LockOwner, host: string): string {
  const what = holder.purpose === 'install' ? '' : ` running ${holder.purpose}`;
  const where = holder.host === host ? '' : ` on ${holder.host}`;
  return `waiting for another installer${what} (pid ${holder.pid}${where})`;
}

export function redactError(error: InstallErrorData, redact: (text: string) => string): InstallErrorData {
  return { ...error, message: redact(error.message), detail: error.detail === null ? null : redact(error.detail) };
}

type Outcome = { ok: true; sky_path?: string; status?: InstallStatus; summary?: string } | { ok: false; error: InstallErrorData };

export interface CoordinatorOptions {
  /** What the attempt does; names its log and its lock. */
  purpose?: 'install' | 'upgrade' | 'uninstall' | 'rollback';
  lock?: InstallerDeps['lock'];
  started?: number;
}

export interface EnterHooks {
  /**
   * Called with "waiting for another installer (pid N)" for each holder waited behind, then
   * every second while the wait lasts with the seconds since it began (a sign of life).
   */
  onWait?: (message: string, holder: LockOwner, elapsedSeconds?: number) => void;
  /** Called when another process took the lock over while this attempt held it. */
  onLost?: () => void;
}

/**
 * One attempt's share of CARAPACE_HOME: the lock, the log and the record of how it ended.
 * The installer wraps each machine attempt in one; `upgrade` and `uninstall` use it directly.
 */
export class AttemptCoordinator {
  /** The settings' home until `enter` resolves and checks it; the resolved one after. */
  layout: Layout;
  readonly log: AttemptLog;
  readonly redact: (text: string) => string;
  private lease: LockLease | null = null;
  /** The attempt ended with the failure of the one it waited behind. */
  private shared = false;
  private didWork = false;
  private lostLock = false;
  /** The phase and half minute of the last sign of life logged. */
  private loggedBeat: string | null = null;
  /** Set when this attempt removed the logs: it leaves neither a log nor a record of itself. */
  private unrecorded = false;

  private readonly purpose: NonNullable<CoordinatorOptions['purpose']>;
  private readonly started: number;

  constructor(
    private readonly settings: InstallSettings,
    private readonly opts: CoordinatorOptions = {},
  ) {
    this.purpose = opts.purpose ?? 'install';
    this.started = opts.started ?? Date.now();
    this.layout = layoutOf(settings.home);
    this.redact = redactorFor(settings.env);
    this.log = new AttemptLog(this.layout, this.redact, this.started, this.purpose);
  }

  /**
   * The actors of this attempt: `lock` takes the install lock, uv's version is remembered
   * after a download, and every actor after the lock works in the resolved, checked home.
   */
  wrap(work: InstallerActors): InstallerActors {
    const resolved = <I extends { settings: InstallSettings }>(input: I): I => ({ ...input, settings: { ...input.settings, home: this.layout.home } });
    return {
      ...work,
      lock: (input, signal) => this.enter({ onWait: (message, _holder, elapsed) => input.onWait(message, elapsed), onLost: input.onLost }, signal),
      check: (input, signal) => work.check(resolved(input), signal),
      downloadUv: async (input, signal) => {
        const output = await work.downloadUv(resolved(input), signal);
        await rememberUvVersion(this.layout.home, output.uv_path, output.uv_version).catch(() => {});
        return output;
      },
      installSkypilot: (input, signal) => work.installSkypilot(resolved(input), signal),
      verify: (input, signal) => work.verify(resolved(input), signal),
      activate: (input, signal) => work.activate(resolved(input), signal),
    };
  }

  /**
   * Checks CARAPACE_HOME and the folders the product writes in (actors/trust.ts) before any
   * write, creates the home, opens the log and takes the lock (waiting unless `wait` is false,
   * which fails with code `locked` instead), then clears what crashed attempts left.
   */
  async enter(hooks: EnterHooks = {}, signal?: AbortSignal, wait = true): Promise<void> {
    await ensureHome(layoutOf(await trustedHome(this.settings.home)));
    // Checked again now that it exists: a home another user made in between is not ours.
    const home = await trustedHome(this.settings.home);
    if (home !== this.layout.home) {
      this.layout = layoutOf(home);
      this.log.relocate(this.layout);
    }
    const { layout } = this;
    await assertOwnFolders([layout.logsDir, layout.stagingDir, layout.cacheDir, runDirOf(layout)]);
    await this.log.open();
    const { settings } = this;
    this.log.write(
      [
        `carapace-sky ${this.purpose} attempt, pid ${process.pid} on ${hostname()}`,
        `CARAPACE_HOME=${this.layout.home}`,
        `uv ${settings.uv_version} from ${settings.download_bases.join(', ')}; ${settings.skypilot_spec} with Python ${settings.python}`,
        ...['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'SSL_CERT_FILE', 'UV_DEFAULT_INDEX', 'UV_INDEX_URL']
          .map((name) => [name, settings.env[name] ?? settings.env[name.toLowerCase()]] as const)
          .filter(([, value]) => value)
          .map(([name, value]) => `${name}=${value}`),
      ].join('\n'),
    );
    const host = hostname();
    let beat: Beat | null = null;
    let waitingOn: { message: string; holder: LockOwner } | null = null;
    try {
      this.lease = await acquireLock(this.layout.lockFile, {
        ...this.opts.lock,
        ...(signal ? { signal } : {}),
        wait,
        purpose: this.purpose,
        onWait: (holder) => {
          waitingOn = { message: waitingMessage(holder, host), holder };
          this.log.write(waitingOn.message);
          hooks.onWait?.(waitingOn.message, holder);
          // The holder may run for minutes: say each second that this one still waits.
          beat ??= startBeat((elapsed) => {
            if (waitingOn) hooks.onWait?.(waitingOn.message, waitingOn.holder, Math.floor(elapsed));
          });
        },
      });
    } finally {
      (beat as Beat | null)?.stop();
    }
    this.lease.onLost(() => {
      this.lostLock = true;
      this.log.write('another process took the lock over');
      hooks.onLost?.();
    });
    const failure = await this.failureWaitedFor();
    if (failure) {
      this.shared = true;
      throw failure;
    }
    await clearLeftovers(this.layout);
  }

  /**
   * When this attempt waited behind one that failed installing the same thing, that failure,
   * so N waiting processes do not repeat a download that just failed N times. A cancelled attempt is not shared: its
   * caller stopped, not the install.
   */
  private async failureWaitedFor(): Promise<InstallError | null> {
    const waitedOn = this.lease?.waitedOn ?? [];
    if (waitedOn.length === 0) return null;
    const last = await readLastAttempt(this.layout);
    if (!last || last.ok || !last.error || last.error.code === 'cancelled' || last.purpose !== this.purpose) return null;
    // Another spec, Python, uv or source: that failure is not this install's, so this one runs.
    if (last.install_key !== installKey(this.settings)) return null;
    if (!waitedOn.some((holder) => holder.token === last.token)) return null;
    const error = last.error;
    return new InstallError(error.code, `${error.message} (in another installer, pid ${last.pid})`, {
      hint: error.hint,
      detail: withLog(error, last.log).detail,
      phase: error.phase,
    });
  }

  /** Writes a line to the log of an attempt that changes something (so the log is kept). */
  note(text: string): void {
    this.didWork = true;
    this.log.write(text);
  }

  /** This attempt keeps no log and writes no last-attempt.json (`uninstall --all --logs`): its log goes now. */
  async leaveNoRecord(): Promise<void> {
    this.unrecorded = true;
    await this.log.discard();
  }

  /** Sees every event of the attempt: logs it and notes whether any work was done. */
  observe(event: InstallerEvent): void {
    if (event.type === 'install-state') {
      if (event.to !== 'checking' && event.to !== 'complete' && event.to !== 'error') this.didWork = true;
      this.log.write(`state ${event.from ?? 'start'} -> ${event.to}`);
    } else {
      const { phase, message, percent, elapsed_seconds: elapsed } = event.progress;
      // Signs of life come each second; the log keeps the first of each half minute of a phase.
      const beat = elapsed === undefined ? null : `${phase} ${Math.floor(elapsed / 30)}`;
      if (beat !== null && beat === this.loggedBeat) return;
      if (beat !== null) this.loggedBeat = beat;
      this.log.write(`[${phase}] ${message}${percent === null ? '' : ` (${percent.toFixed(1)}%)`}`);
    }
  }

  /** Records the outcome, keeps or drops the log, and releases the lock, in that order. */
  async finish<T extends Outcome>(output: T): Promise<T | { ok: false; error: InstallErrorData }> {
    try {
      let out: T | { ok: false; error: InstallErrorData } = output;
      // The install machine ends such an attempt itself (its lock.lost event); upgrade and
      // uninstall, which run outside a machine, learn it here.
      if (this.lostLock && !out.ok && out.error.code !== 'locked') {
        const lost = new InstallError('locked', 'another installer took over the install lock while this one ran');
        out = { ok: false, error: toInstallErrorData(lost, out.error.phase) };
      }
      // An attempt that found everything in place, or only relayed another's failure, leaves no log.
      const keepLog = this.log.opened && !this.unrecorded && (this.didWork || (!out.ok && !this.shared));
      if (!out.ok) out = { ok: false, error: redactError(withLog(out.error, keepLog ? this.log.path : null), this.redact) };
      this.log.write(
        out.ok
          ? `complete: ${out.summary ?? `SkyPilot ${out.status?.sky_version ?? ''} at ${out.sky_path}`}`
          : `error[${out.error.code}] during ${out.error.phase}: ${out.error.message}\nhint: ${out.error.hint}\n${out.error.detail ?? ''}`,
      );
      if (this.lease && !this.shared && !this.unrecorded) {
        await writeLastAttempt(this.layout, {
          token: this.lease.owner.token,
          pid: process.pid,
          host: this.lease.owner.host,
          purpose: this.purpose,
          install_key: installKey(this.settings),
          started: new Date(this.started).toISOString(),
          finished: new Date().toISOString(),
          ok: out.ok,
          error: out.ok ? null : out.error,
          log: keepLog ? this.log.path : null,
        });
      }
      if (keepLog) this.log.close();
      else await this.log.discard();
      if (this.lease) await pruneLogs(this.layout.logsDir, KEEP_LOGS, this.log.path);
      return out;
    } finally {
      await this.lease?.release();
    }
  }
}

