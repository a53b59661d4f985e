/**
 * One output stream of a child, taken as it arrives: complete lines for a callback, and the
 * stream's last TAIL_BYTES for error details. It works on the bytes the pipe delivers and
 * decodes only the lines: decoding every chunk to a string and keeping a string tail made
 * garbage at the rate the child prints, and on a `sky launch` printing 1 GB the service's RSS
 * rose by well over 100 MB before the collector caught up (measured; docs/performance.md).
 *
 * A line break is "\n", "\r\n" or a lone "\r" (progress bars). A line longer than
 * MAX_LINE_BYTES is cut there (at a character boundary) and ends with a note of how much was
 * dropped, so a child that never prints a newline cannot grow one line without end. A line is
 * decoded only once complete, so a multi-byte character split across two reads arrives whole.
 */
export const TAIL_BYTES = 64 * 1024;
export const MAX_LINE_BYTES = 8 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder();

/** The start of the first whole UTF-8 character at or after `at`. */
function charStart(bytes: Uint8Array, at: number): number {
  let i = at;
  while (i < bytes.length && (bytes[i]! & 0xc0) === 0x80) i++;
  return i;
}

export class OutputLines {
  private tailChunks: Buffer[] = [];
  private tailSize = 0;
  private line = Buffer.alloc(MAX_LINE_BYTES);
  private lineSize = 0;
  private dropped = 0;

  constructor(private readonly onLine?: (line: string) => void) {}

  push(chunk: Buffer): void {
    this.keepTail(chunk);
    if (!this.onLine) return;
    let pos = 0;
    let lf = chunk.indexOf(LF);
    let cr = chunk.indexOf(CR);
    while (lf >= 0 || cr >= 0) {
      const at = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      this.append(chunk, pos, at);
      this.emit();
      pos = at + 1;
      if (lf >= 0 && lf < pos) lf = chunk.indexOf(LF, pos);
      if (cr >= 0 && cr < pos) cr = chunk.indexOf(CR, pos);
    }
    this.append(chunk, pos, chunk.length);
  }

  /** Hands on the last line when the stream ends without a newline. */
  end(): void {
    if (this.onLine) this.emit();
  }

  /** The last TAIL_BYTES of the stream, decoded. */
  tail(): string {
    const all = Buffer.concat(this.tailChunks);
    const from = all.length > TAIL_BYTES ? charStart(all, all.length - TAIL_BYTES) : 0;
    return decoder.decode(all.subarray(from));
  }

  private keepTail(chunk: Buffer): void {
    this.tailChunks.push(chunk);
    this.tailSize += chunk.length;
    while (this.tailSize - this.tailChunks[0]!.length >= TAIL_BYTES) this.tailSize -= this.tailChunks.shift()!.length;
  }

  private append(chunk: Buffer, from: number, to: number): void {
    const room = MAX_LINE_BYTES - this.lineSize;
    const take = Math.min(room, to - from);
    chunk.copy(this.line, this.lineSize, from, from + take);
    this.lineSize += take;
    this.dropped += to - from - take;
  }

  private emit(): void {
    let size = this.lineSize;
    let dropped = this.dropped;
    if (dropped > 0 && size > 0) {
      // The cut may have split the last character: give its first bytes to the dropped count.
      let lead = size - 1;
      while (lead > 0 && (this.line[lead]! & 0xc0) === 0x80) lead--;
      const b = this.line[lead]!;
      const want = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      if (lead + want > size) {
        dropped += size - lead;
        size = lead;
      }
    }
    const text = decoder.decode(this.line.subarray(0, size));
    this.lineSize = 0;
    this.dropped = 0;
    if (text.trim() === '' && dropped === 0) return;
    this.onLine!(dropped > 0 ? `${text} … [${dropped} more bytes not shown]` : text);
  }
}
