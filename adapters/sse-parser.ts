/**
 * The client's reader of `text/event-stream` bodies where there is no EventSource (Bun,
 * Node): the same parsing rules a browser applies, so both paths see the same events.
 */
export interface ParsedEvent {
  type: string;
  data: string;
  /** The last event ID after this event, or null when the stream never set one. */
  id: string | null;
}

/**
 * The event-stream interpretation of the WHATWG HTML standard (§9.2.6): lines end with CRLF,
 * LF or CR; `:` starts a comment; a blank line dispatches; an id with NUL is ignored; data
 * lines join with LF; an event with no data is not dispatched.
 */
export function createSSEParser(handlers: { onEvent(event: ParsedEvent): void; onRetry?(ms: number): void }) {
  let buffer = '';
  let started = false;
  let data = '';
  let type = '';
  let lastId: string | null = null;
  let pendingCR = false;

  const line = (text: string) => {
    if (text === '') {
      if (data !== '') handlers.onEvent({ type: type || 'message', data: data.slice(0, -1), id: lastId });
      data = '';
      type = '';
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data += `${value}\n`;
    else if (field === 'event') type = value;
    else if (field === 'id' && !value.includes('\0')) lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) handlers.onRetry?.(Number(value));
  };

  return {
    feed(chunk: string) {
      let text = chunk;
      if (!started && text.length > 0) {
        started = true;
        if (text.startsWith('\uFEFF')) text = text.slice(1);
      }
      // A CR ending the last chunk may be half of a CRLF; skip the LF that completes it.
      if (pendingCR && text.startsWith('\n')) text = text.slice(1);
      pendingCR = false;
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        line(buffer.slice(start, i));
        if (c === 13) {
          if (i + 1 === buffer.length) pendingCR = true;
          else if (buffer.charCodeAt(i + 1) === 10) i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
  };
}
