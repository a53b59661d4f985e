/**
 * One error type for answers the gatekeeper refuses (hono's HTTPException): a status, a stable
 * code, a one-line hint. Its body has the same shape as an install error so a client reads
 * every failure the same way; `phase` is null when no install or sky step was involved.
 */
import type { ErrorBody } from '../wire.ts';

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string;
  readonly detail: string | null;
  readonly phase: string | null;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    opts: { hint?: string; detail?: string | null; phase?: string | null; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.hint = opts.hint ?? '';
    this.detail = opts.detail ?? null;
    this.phase = opts.phase ?? null;
    this.headers = opts.headers ?? {};
  }

  body(): ErrorBody {
    return { code: this.code, phase: this.phase, message: this.message, hint: this.hint, detail: this.detail };
  }
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
/** Built once: each Response copies a Headers object in about half the time it reads a plain one. */
const PLAIN_JSON = new Headers(JSON_HEADERS);

export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return jsonText(JSON.stringify(body), status, headers);
}

/** A body already serialised (the status route reuses its last one). */
export function jsonText(body: string, status = 200, headers?: Record<string, string>): Response {
  return new Response(body, { status, headers: headers ? { ...JSON_HEADERS, ...headers } : PLAIN_JSON });
}

/** The answer for `error`; `redact` clears secrets from its message and detail (sky's output). */
export function errorResponse(error: HttpError, redact: (text: string) => string = (text) => text): Response {
  const body = error.body();
  const clean = { ...body, message: redact(body.message), detail: body.detail === null ? null : redact(body.detail) };
  return json({ ok: false, error: clean }, error.status, error.headers);
}
