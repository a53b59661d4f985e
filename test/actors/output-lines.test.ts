/** Child output taken as bytes (actors/output-lines.ts): lines, cuts and the tail. */
import { describe, expect, test } from 'bun:test';
import { MAX_LINE_BYTES, OutputLines, TAIL_BYTES } from '../../actors/output-lines.ts';

function feed(chunks: Array<string | Buffer>): { lines: string[]; out: OutputLines } {
  const lines: string[] = [];
  const out = new OutputLines((l) => lines.push(l));
  for (const c of chunks) out.push(typeof c === 'string' ? Buffer.from(c) : c);
  out.end();
  return { lines, out };
}

describe('OutputLines', () => {
  test('"\\n", "\\r\\n" and a lone "\\r" end lines, across chunks; blank lines are skipped', () => {
    const { lines } = feed(['one\r\ntw', 'o\n\n  \nprogress 10%\rprogress 20', '%\rlast']);
    expect(lines).toEqual(['one', 'two', 'progress 10%', 'progress 20%', 'last']);
  });

  test('a line cut inside a multi-byte character keeps only whole characters and counts the rest', () => {
    // 1 + 2 × 5000 bytes: the cut at MAX_LINE_BYTES falls in the middle of an "é".
    const line = `a${'é'.repeat(5000)}`;
    const { lines } = feed([line.slice(0, 3001), `${line.slice(3001)}\nnext\n`]);
    const kept = (MAX_LINE_BYTES - 1 - 1) / 2;
    expect(lines).toEqual([`a${'é'.repeat(kept)} … [${10_001 - (1 + 2 * kept)} more bytes not shown]`, 'next']);
  });

  test('the tail is the last TAIL_BYTES, starting on a whole character', () => {
    const { out } = feed([`${'é'.repeat(TAIL_BYTES)}`, 'end\n']);
    const tail = out.tail();
    expect(tail).toEndWith('éend\n');
    expect(tail).not.toContain('\uFFFD');
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(TAIL_BYTES);
  });
});
