/**
 * One URL fetched into a sink, surviving real networks: a connect timeout (no response
 * headers in time), a stall timeout (no byte in time), retries with backoff on network
 * errors, 408, 429 and 5xx (Retry-After honoured), never on other 4xx. A retry after a
 * partial body asks for the rest with Range (If-Range guards it with the validator the
 * server sent) and keeps the sink's state; any answer other than the exact rest restarts
 * the sink from zero. The sink hashes and unpacks, so nothing is buffered here.
 *
 * Bodies are asked for and taken as they are stored (`Accept-Encoding: identity`, no
 * decompression): an archive kept on S3/CloudFront with `Content-Encoding: gzip` is the
 * .tar.gz itself, and its digest is of those bytes, as curl saves them.
 */
import { InstallError } from '../../machines/errors.ts';
import { backoffDelayMs, isRetryableStatus, parseRetryAfter, sleep } from './backoff.ts';
import type { BodySink, FetchWithRetryOptions } from './fetch-options.ts';
import { fetchFailure, HttpStatusError, noAnswer, proxyRefusal, type ProxyInUse } from './failures.ts';
import { checkLocalFile, contentRange, discard, hostOf, lengthOf, reasonOf, requestInit, seconds, validatorOf } from './http.ts';
import { LOW_SPEED_HINT, watchLowSpeed } from './low-speed.ts';

export type { BodySink, FetchWithRetryOptions, RetryNotice } from './fetch-options.ts';

/**
 * An attempt that moved the download this far past its best so far does not use up a try:
 * a connection that drops every few megabytes still finishes a 24 MB uv. The bound is the
 * body's size, so this cannot loop forever.
 */
const PROGRESS_CREDIT_BYTES = 1024 * 1024;

class AttemptFailure extends Error {
  constructor(
    readonly error: InstallError,
    readonly retryAfterMs: number | null = null,
  ) {
    super(error.message);
  }
}

/** Failures of the sink (a full disk) are the sink's to report; nothing here retries them. */
class SinkFailure extends Error {
  constructor(readonly error: unknown) {
    super('sink failed');
  }
}

interface ResumeState {
  canRange: boolean;
  /** Strong ETag or Last-Modified of the body being resumed. */
  validator: string | null;
  total: number | null;
}

async function attempt(url: string, sink: BodySink, state: ResumeState, opts: FetchWithRetryOptions): Promise<void> {
  const control = new AbortController();
  const signal = AbortSignal.any([opts.signal, control.signal]);
  let timedOut: 'connect' | 'stall' | 'slow' | null = null;
  const expire = (kind: 'connect' | 'stall' | 'slow') => {
    timedOut = kind;
    control.abort(new DOMException(`${kind} timeout`, 'TimeoutError'));
  };
  // 0 is no limit (settings also turn values past the timer's 2^31-1 ms cap into 0).
  const arm = (kind: 'connect' | 'stall', ms: number) => (ms > 0 ? setTimeout(() => expire(kind), ms) : undefined);
  const proxy: ProxyInUse | null = opts.proxy ? { url: opts.proxy, variable: opts.proxyVariable } : null;
  const cancelled = () => new InstallError('cancelled', `the download of ${opts.what} was cancelled`);

  let restarted = false;
  if (sink.offset > 0 && !state.canRange) {
    await sink.restart();
    restarted = true;
  }
  const resumeFrom = sink.offset;
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (resumeFrom > 0) {
    headers.range = `bytes=${resumeFrom}-`;
    if (state.validator) headers['if-range'] = state.validator;
  }

  let response: Response;
  const connectTimer = arm('connect', opts.connectTimeoutMs);
  try {
    response = await opts.fetch(url, requestInit(opts, headers, signal));
  } catch (error) {
    if (opts.signal.aborted) throw cancelled();
    if (timedOut === 'connect') {
      throw new AttemptFailure(
        noAnswer(url, proxy, opts.connectTimeoutMs),
      );
    }
    if (error instanceof InstallError) throw error;
    const failure = fetchFailure(error, url, proxy);
    throw failure.retry ? new AttemptFailure(failure.error) : failure.error;
  } finally {
    clearTimeout(connectTimer);
  }

  const refusal = proxyRefusal(response, url, proxy);
  if (refusal) {
    await discard(response);
    throw refusal;
  }
  let total: number | null;
  if (resumeFrom > 0 && response.status === 206) {
    const range = contentRange(response.headers.get('content-range'));
    if (!range || range.start !== resumeFrom || (state.total !== null && range.size !== state.total)) {
      // Not the rest of the same file: ask again for all of it.
      await discard(response);
      state.canRange = false;
      return attempt(url, sink, state, opts);
    }
    total = range.size;
  } else if (resumeFrom > 0 && response.status === 416) {
    await discard(response);
    state.canRange = false;
    return attempt(url, sink, state, opts);
  } else if (response.status === 200) {
    if (resumeFrom > 0) {
      // The server ignored Range, or If-Range saw a changed file: this body is the whole file.
      await sink.restart();
      restarted = true;
    }
    total = lengthOf(response);
    state.validator = validatorOf(response);
    state.total = total;
    state.canRange = response.headers.get('accept-ranges')?.trim().toLowerCase() !== 'none';
  } else {
    await discard(response);
    const error = new HttpStatusError(response.status, `GET ${url} answered ${response.status} ${response.statusText}`.trim(), {
      detail: url,
    });
    if (!isRetryableStatus(response.status)) throw error;
    throw new AttemptFailure(error, parseRetryAfter(response.headers.get('retry-after'), opts.now()));
  }

  if (total !== null && total > opts.maxBytes) {
    await discard(response);
    throw new InstallError(opts.limitCode, `${opts.what} is ${total} bytes, more than the ${opts.maxBytes} allowed`, {
      detail: url,
    });
  }
  opts.onResponse?.({ total, offset: sink.offset, restarted });

  const reader = response.body?.getReader();
  let slowAverage = 0;
  const lowSpeed = opts.lowSpeed
    ? watchLowSpeed(opts.lowSpeed, opts.now, (average) => {
        slowAverage = average;
        expire('slow');
      })
    : null;
  let finished = false;
  try {
    while (reader) {
      const stallTimer = arm('stall', opts.stallTimeoutMs);
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } finally {
        clearTimeout(stallTimer);
      }
      if (next.done) break;
      if (sink.offset + next.value.byteLength > opts.maxBytes) {
        throw new InstallError(opts.limitCode, `${opts.what} is larger than the ${opts.maxBytes} bytes allowed`, {
          detail: url,
        });
      }
      try {
        await sink.write(next.value);
      } catch (error) {
        throw new SinkFailure(error);
      }
      lowSpeed?.add(next.value.byteLength);
      opts.onBytes?.(next.value.byteLength);
    }
    finished = true;
  } catch (error) {
    if (error instanceof SinkFailure) throw error.error;
    if (opts.signal.aborted) throw cancelled();
    if (error instanceof InstallError && timedOut === null) throw error;
    const where = total !== null ? `after ${sink.offset} of ${total} bytes` : `after ${sink.offset} bytes`;
    if (timedOut === 'slow') {
      const rule = opts.lowSpeed!;
      throw new AttemptFailure(
        new InstallError(
          'timeout',
          `${hostOf(url)} sent ${Math.round(slowAverage)} bytes/s over ${seconds(rule.timeMs)}, ` +
            `below the ${rule.limitBytesPerSecond} bytes/s allowed, ${where}`,
          { detail: url, hint: LOW_SPEED_HINT },
        ),
      );
    }
    if (timedOut === 'stall') {
      throw new AttemptFailure(
        new InstallError('timeout', `no data from ${hostOf(url)} for ${seconds(opts.stallTimeoutMs)} ${where}`, {
          detail: url,
        }),
      );
    }
    // Bun reports a body cut short as ECONNRESET whether the server closed or reset:
    // either way the file is incomplete, which is what the user needs to hear.
    const code = total !== null ? 'size_mismatch' : 'network';
    throw new AttemptFailure(
      new InstallError(code, `the download of ${opts.what} from ${hostOf(url)} broke off ${where}`, {
        detail: `${url}\n${reasonOf(error)}`,
        cause: error,
      }),
    );
  } finally {
    lowSpeed?.stop();
    if (!finished) await reader?.cancel().catch(() => {});
    reader?.releaseLock();
  }
  if (total !== null && sink.offset !== total) {
    if (sink.offset > total) state.canRange = false;
    throw new AttemptFailure(
      new InstallError('size_mismatch', `the download of ${opts.what} ended after ${sink.offset} of ${total} bytes`, {
        detail: url,
      }),
    );
  }
}

/** Fetches `url` into `sink`; resolves once every byte is in, or throws an InstallError. */
export async function fetchWithRetry(url: string, sink: BodySink, opts: FetchWithRetryOptions): Promise<void> {
  await checkLocalFile(url);
  const attempts = Math.max(1, Math.floor(opts.attempts));
  const state: ResumeState = { canRange: false, validator: null, total: null };
  let used = 0;
  let best = 0;
  for (;;) {
    used++;
    try {
      await attempt(url, sink, state, opts);
      return;
    } catch (error) {
      if (opts.signal.aborted) throw new InstallError('cancelled', `the download of ${opts.what} was cancelled`);
      if (!(error instanceof AttemptFailure)) throw error;
      if (sink.offset >= best + PROGRESS_CREDIT_BYTES) used--;
      best = Math.max(best, sink.offset);
      const failure = error.error;
      if (error.retryAfterMs !== null && error.retryAfterMs > opts.backoff.maxRetryAfterMs) {
        throw new InstallError(failure.code, `${failure.message}, and asks to wait ${seconds(error.retryAfterMs)}`, {
          detail: failure.detail,
          hint: failure.hint,
        });
      }
      if (used >= attempts) {
        if (attempts === 1) throw failure;
        throw new InstallError(failure.code, `${failure.message} (gave up after ${attempts} attempts)`, {
          detail: failure.detail,
          hint: failure.hint,
          cause: failure,
        });
      }
      const delayMs = error.retryAfterMs ?? backoffDelayMs(used, opts.backoff, opts.random);
      opts.onRetry?.({ attempt: used + 1, attempts, delayMs, reason: failure.message });
      try {
        await sleep(delayMs, opts.signal);
      } catch {
        throw new InstallError('cancelled', `the download of ${opts.what} was cancelled`);
      }
    }
  }
}
