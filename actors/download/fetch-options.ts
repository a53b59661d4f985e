/**
 * What a download is given and tells (actors/download/fetch-with-retry.ts): the sink that takes
 * the bytes in order, the options of one URL's retries and timeouts, and the notice of a retry.
 */
import type { BackoffPolicy } from './backoff.ts';
import type { LowSpeedRule } from './low-speed.ts';

export interface BodySink {
  /** Bytes accepted so far; a resume asks for the rest from here. */
  readonly offset: number;
  /** Forgets everything written, for a download that starts again from byte 0. */
  restart(): Promise<void>;
  /** Takes the next bytes in order; a throw ends the download (it is not retried). */
  write(chunk: Uint8Array): Promise<void>;
}

export interface RetryNotice {
  /** The attempt about to start (2 for the first retry). */
  attempt: number;
  attempts: number;
  delayMs: number;
  reason: string;
}

export interface FetchWithRetryOptions {
  fetch: typeof fetch;
  signal: AbortSignal;
  /** Tries in all, at least 1. */
  attempts: number;
  /** 0 waits as long as it takes (so does the stall timeout). */
  connectTimeoutMs: number;
  stallTimeoutMs: number;
  backoff: BackoffPolicy;
  random?: () => number;
  now: () => number;
  proxy: string | false;
  /** The variable the proxy came from, for messages (HTTPS_PROXY). */
  proxyVariable?: string;
  /** curl's low-speed rule for the body; absent or 0 is off. */
  lowSpeed?: LowSpeedRule;
  ca: string[] | null;
  /** A body larger than this is refused with `limitCode`. */
  maxBytes: number;
  limitCode: 'archive_invalid' | 'checksum_unavailable';
  /** What is fetched, for messages: "the uv archive". */
  what: string;
  onResponse?: (info: { total: number | null; offset: number; restarted: boolean }) => void;
  onBytes?: (bytes: number) => void;
  onRetry?: (notice: RetryNotice) => void;
}
