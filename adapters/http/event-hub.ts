/**
 * One installer listener for all event-stream clients: events are numbered and encoded once,
 * logged for replay, then handed to each open stream. Streams register here, never with the
 * installer, so the installer's listener count stays at one however many clients come and go.
 */
import type { Installer, InstallerEvent } from '../../installer/index.ts';
import { EventLog, type EventLogLimits, type LoggedEvent } from './event-log.ts';
import { encodeSSE, type SSESink } from './sse.ts';
import type { ClusterLogData, InstallStateData, ProgressData } from '../wire.ts';

export type ClusterLogEvent = { type: 'cluster-log' } & ClusterLogData;

export type GatekeeperEvent = InstallerEvent | ClusterLogEvent;

/** The SSE `data` of each event: the wire shapes of the product contract, in snake_case. */
export function eventData(event: GatekeeperEvent): ProgressData | InstallStateData | ClusterLogData {
  switch (event.type) {
    case 'install-progress':
      return { ...event.progress, attempt: event.attempt };
    case 'install-state':
      return { attempt: event.attempt, from: event.from, to: event.to, time: event.time };
    case 'cluster-log':
      return { cluster: event.cluster, command: event.command, stream: event.stream, line: event.line, time: event.time };
  }
}

export interface EventHub {
  publish(event: GatekeeperEvent): void;
  /** Sends the replay and registers the sink in one step, so nothing is lost or sent twice. */
  attach(sink: SSESink, lastEventId: string | null): () => void;
  subscriberCount(): number;
  readonly log: EventLog;
  close(): void;
}

/**
 * `redact` runs over every string in every event before it is encoded, so nothing reaches a
 * stream or the replay log unredacted, whoever published it (sky's lines above all).
 */
export function createEventHub(installer: Installer, limits?: EventLogLimits, redact: (text: string) => string = (text) => text): EventHub {
  const log = new EventLog(limits);
  const sinks = new Set<SSESink>();

  // Events published in one tick (uv prints a dozen lines in one read) go out as one write per
  // stream, which keeps fan-out to hundreds of streams from multiplying by the burst size.
  let pending: LoggedEvent[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    const bytes = batch.length === 1 ? batch[0]!.frame : concat(batch.map((e) => e.frame));
    for (const sink of sinks) {
      if (!sink.write(bytes)) sinks.delete(sink);
    }
  };
  const publish = (event: GatekeeperEvent) => {
    const attempt = event.type === 'cluster-log' ? null : event.attempt;
    const data = JSON.stringify(eventData(event), (_key, value: unknown) => (typeof value === 'string' ? redact(value) : value));
    pending.push(log.append(event.type, attempt, (id) => encodeSSE({ id: String(id), event: event.type, data })));
    if (pending.length === 1) queueMicrotask(flush);
  };
  const unsubscribe = installer.subscribe(publish);

  return {
    publish,
    log,
    attach(sink, lastEventId) {
      // Deliver what is pending first, so the replay below is the only way this sink gets it.
      flush();
      for (const entry of log.replay(lastEventId)) {
        if (!sink.write(entry.frame)) return () => {};
      }
      sinks.add(sink);
      return () => void sinks.delete(sink);
    },
    subscriberCount: () => sinks.size,
    close() {
      unsubscribe();
      for (const sink of [...sinks]) sink.close();
      sinks.clear();
    },
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
