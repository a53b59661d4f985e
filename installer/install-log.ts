/**
 * One log file per install attempt, CARAPACE_HOME/logs/install-<time>-<pid>.log: every
 * progress event and uv's stderr, redacted, written synchronously line by line so a killed
 * attempt still leaves what it did. The newest ten are kept. `last-attempt.json` beside them
 * records how the last attempt that held the lock ended; `doctor` reads it, and processes
 * that waited behind that attempt end with its outcome instead of retrying it.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstallErrorData } from '../machines/types.ts';
import type { Layout } from '../actors/layout.ts';

export const KEEP_LOGS = 10;
/** `<purpose>-<time>-<pid>.log`: one per attempt at install, upgrade or uninstall. */
export const LOG_NAME = /^(install|upgrade|uninstall|rollback)-(\d{4}-.+)\.log$/;

export interface LastAttempt {
  /** The lock token of the attempt, so waiters can tell it is the one they waited for. */
  token: string;
  pid: number;
  host: string;
  purpose: string;
  /** installKey() of the attempt's settings (installer/install-key.ts); absent in records from before it. */
  install_key?: string;
  started: string;
  finished: string;
  ok: boolean;
  error: InstallErrorData | null;
  log: string | null;
}

function stamp(time: number): string {
  // Colons are not allowed in file names on every system; the name still sorts by time.
  return new Date(time).toISOString().replace(/:/g, '-').replace('.', '-');
}

let recent = { time: '', paths: new Set<string>() };

export class AttemptLog {
  private at: string;
  private fd: number | null = null;
  private pending: string[] = [];
  private state: 'new' | 'open' | 'closed' = 'new';

  constructor(
    private readonly layout: Layout,
    private readonly redact: (text: string) => string,
    started = Date.now(),
    purpose = 'install',
  ) {
    const time = stamp(started);
    const base = `${purpose}-${time}-${process.pid}`;
    // Two attempts of one process within a millisecond (two installers on one home) must not
    // share a file, or discarding one log would delete the other.
    if (recent.time !== time) recent = { time, paths: new Set() };
    let name = `${base}.log`;
    for (let n = 2; recent.paths.has(join(layout.logsDir, name)); n++) name = `${base}-${n}.log`;
    this.at = join(layout.logsDir, name);
    recent.paths.add(this.at);
  }

  get path(): string {
    return this.at;
  }

  /** Moves a log not yet opened into `layout`'s logs folder (the home once resolved). */
  relocate(layout: Layout): void {
    if (this.state === 'new') this.at = join(layout.logsDir, this.at.slice(this.at.lastIndexOf('/') + 1));
  }

  /** Appends one line (or several) with a timestamp; buffered until `open()`. */
  write(text: string): void {
    if (this.state === 'closed') return;
    const time = new Date().toISOString();
    const lines = this.redact(text)
      .split('\n')
      .map((line) => `${time} ${line}\n`)
      .join('');
    if (this.fd === null) {
      this.pending.push(lines);
      return;
    }
    try {
      writeSync(this.fd, lines);
    } catch {
      // A full disk must not turn a working install into a failed one.
    }
  }

  /** Creates the file (CARAPACE_HOME must exist); a log that cannot be written is skipped. */
  async open(): Promise<boolean> {
    if (this.state !== 'new') return this.fd !== null;
    this.state = 'open';
    try {
      await mkdir(this.layout.logsDir, { recursive: true, mode: 0o700 });
      // O_NOFOLLOW: a link planted at the log's name must not send the log elsewhere.
      this.fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    } catch {
      this.pending = [];
      return false;
    }
    const pending = this.pending.join('');
    this.pending = [];
    try {
      writeSync(this.fd, pending);
    } catch {
      // As in write().
    }
    return true;
  }

  get opened(): boolean {
    return this.fd !== null;
  }

  close(): void {
    this.state = 'closed';
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.pending = [];
  }

  /** Closes and deletes the file: an attempt that found everything in place leaves no log. */
  async discard(): Promise<void> {
    const had = this.fd !== null;
    this.close();
    if (had) await unlink(this.path).catch(() => {});
  }
}

/** Deletes all but the newest `keep` attempt logs (names sort by time); never `except`. */
export async function pruneLogs(logsDir: string, keep = KEEP_LOGS, except?: string): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(logsDir)).filter((n) => LOG_NAME.test(n));
  } catch {
    return;
  }
  const timeOf = (name: string) => LOG_NAME.exec(name)?.[2] ?? '';
  const byTime = names.sort((a, b) => timeOf(a).localeCompare(timeOf(b)));
  for (const name of byTime.slice(0, Math.max(0, byTime.length - keep))) {
    const path = join(logsDir, name);
    if (path !== except) await unlink(path).catch(() => {});
  }
}

export function lastAttemptPath(layout: Layout): string {
  return join(layout.logsDir, 'last-attempt.json');
}

export async function writeLastAttempt(layout: Layout, record: LastAttempt): Promise<void> {
  const path = lastAttemptPath(layout);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await mkdir(layout.logsDir, { recursive: true, mode: 0o700 });
    await writeFile(tmp, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, path);
  } catch {
    await unlink(tmp).catch(() => {});
  }
}

export async function readLastAttempt(layout: Layout): Promise<LastAttempt | null> {
  try {
    const data = JSON.parse(await readFile(lastAttemptPath(layout), 'utf8')) as LastAttempt;
    return typeof data.token === 'string' && typeof data.ok === 'boolean' ? data : null;
  } catch {
    return null;
  }
}

/** Appends `log: <path>` to an error's detail, so every failure names where to look. */
export function withLog(error: InstallErrorData, log: string | null): InstallErrorData {
  if (!log || error.detail?.includes(log)) return error;
  return { ...error, detail: error.detail ? `${error.detail}\nlog: ${log}` : `log: ${log}` };
}
