/**
 * Request bodies: at most 64 KiB, counted while reading so a chunked body without
 * Content-Length cannot grow past it, and JSON errors answered with the parser's reason.
 */
import { HttpError } from './errors.ts';

export const MAX_BODY_BYTES = 64 * 1024;

function tooLarge(): HttpError {
  return new HttpError(413, 'body_too_large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`, {
    hint: 'Send a smaller JSON object; the API only takes a few short fields.',
  });
}

export async function readBodyText(req: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge();
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
}

/** The body as JSON; an empty body is `undefined` so routes without required fields accept it. */
export async function readJson(req: Request): Promise<unknown> {
  const text = await readBodyText(req);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `the request body is not valid JSON: ${(error as Error).message}`, {
      hint: 'Send a JSON object with Content-Type: application/json.',
    });
  }
}
