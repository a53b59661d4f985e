/**
 * The replay buffer behind `Last-Event-ID`. It keeps every event of the current and the
 * previous install attempt (a client that reconnects just after an attempt ended still sees
 * how it ended, and one that missed the start of a retry sees the failure before it), and the
 * newest cluster-log lines, all under a hard cap so a chatty `sky launch` cannot grow memory.
 */
export interface LoggedEvent {
  id: number;
  event: string;
  /** The serialised frame, encoded once and shared by every subscriber. */
  frame: Uint8Array;
  /** The install attempt the event belongs to; null for events outside an attempt. */
  attempt: number | null;
}

export interface EventLogLimits {
  /** All events kept, whatever they are. */
  maxEvents: number;
  /** Events outside attempts (cluster logs) kept. */
  maxOther: number;
}

export const DEFAULT_LIMITS: EventLogLimits = { maxEvents: 10_000, maxOther: 2_000 };

export class EventLog {
  private entries: LoggedEvent[] = [];
  private latestAttempt = 0;
  private others = 0;
  private nextId = 1;

  constructor(private readonly limits: EventLogLimits = DEFAULT_LIMITS) {}

  get lastId(): number {
    return this.nextId - 1;
  }

  get size(): number {
    return this.entries.length;
  }

  append(event: string, attempt: number | null, frameFor: (id: number) => Uint8Array): LoggedEvent {
    const id = this.nextId++;
    const entry: LoggedEvent = { id, event, frame: frameFor(id), attempt };
    if (attempt !== null && attempt > this.latestAttempt) {
      this.latestAttempt = attempt;
      const keepFrom = attempt - 1;
      this.entries = this.entries.filter((e) => e.attempt === null || e.attempt >= keepFrom);
    }
    this.entries.push(entry);
    if (attempt === null) this.others++;
    if (this.others > this.limits.maxOther) this.dropOldest((e) => e.attempt === null);
    while (this.entries.length > this.limits.maxEvents) this.dropOldest(() => true);
    return entry;
  }

  /**
   * What a (re)connecting client gets. With a Last-Event-ID this log issued: everything after
   * it. Without one, or with one from another server run (ids start at 1 on each start), the
   * story of the latest attempt from its first event, so a new page shows every phase so far.
   */
  replay(lastEventId: string | null): LoggedEvent[] {
    const last = lastEventId !== null && /^\d+$/.test(lastEventId.trim()) ? Number(lastEventId.trim()) : null;
    if (last !== null && last <= this.lastId) return this.entries.filter((e) => e.id > last);
    const start = this.entries.findIndex((e) => e.attempt === this.latestAttempt);
    return start === -1 ? [] : this.entries.slice(start);
  }

  private dropOldest(match: (e: LoggedEvent) => boolean): void {
    const index = this.entries.findIndex(match);
    if (index === -1) return;
    const [dropped] = this.entries.splice(index, 1);
    if (dropped?.attempt === null) this.others--;
  }
}
