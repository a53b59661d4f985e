import { describe, expect, test } from 'bun:test';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_LINE_BYTES, TAIL_BYTES } from '../../actors/output-lines.ts';
import { runProcess } from '../../actors/process.ts';

/** A killed process whose parent died stays a zombie until init reaps it; that counts as gone. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function grandchildScript() {
  const dir = await mkdtemp(join(tmpdir(), 'carapace-proc-'));
  const pidFile = join(dir, 'grandchild.pid');
  // The shell starts a background sleeper (its own child) and waits: a stand-in for uv's builds.
  return { pidFile, args: ['-c', `sleep 60 & echo $! > ${pidFile}; wait`] };
}

describe('runProcess', () => {
  test('returns exit code and output without throwing, streaming lines', async () => {
    const lines: string[] = [];
    const result = await runProcess('/bin/sh', ['-c', 'echo one >&2; echo two >&2; echo out; exit 3'], {
      env: { PATH: process.env.PATH },
      label: 'sh',
      onStderrLine: (l) => lines.push(l),
    });
    expect(result).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'one\ntwo\n' });
    expect(lines).toEqual(['one', 'two']);
  });

  test('120 MB of output, most of it one line, neither kills the child nor is kept whole', async () => {
    // execa's default maxBuffer (100 MB) killed such a child; now only a tail is kept, and the
    // endless line reaches the callback cut at MAX_LINE_BYTES with a note of what was dropped.
    const lines: string[] = [];
    const script = "head -c 120000000 /dev/zero | tr '\\0' x; echo; echo second line; echo done";
    const result = await runProcess('/bin/sh', ['-c', script], {
      env: { PATH: process.env.PATH },
      label: 'sh',
      onStdoutLine: (l) => lines.push(l),
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.length).toBeLessThanOrEqual(TAIL_BYTES);
    expect(result.stdout).toEndWith('x\nsecond line\ndone\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`${'x'.repeat(MAX_LINE_BYTES)} … [${120_000_000 - MAX_LINE_BYTES} more bytes not shown]`);
    expect(lines.slice(1)).toEqual(['second line', 'done']);
  }, 60_000);

  test('multi-byte characters split across reads arrive whole', async () => {
    // printf writes the two halves of "×" (0xC3 0x97) in separate writes, a read apart.
    const result = await runProcess('/bin/sh', ['-c', "printf '\\303' >&2; sleep 0.2; printf '\\227 No solution\\n' >&2"], {
      env: { PATH: process.env.PATH },
      label: 'sh',
    });
    expect(result.stderr).toBe('× No solution\n');
  });

  test('a timeout kills the whole process group, grandchildren included', async () => {
    const { pidFile, args } = await grandchildScript();
    const error = await runProcess('/bin/sh', args, { env: { PATH: process.env.PATH }, label: 'sh', timeoutMs: 500 }).catch((e) => e);
    expect(error).toMatchObject({ code: 'timeout' });
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    await Bun.sleep(100);
    expect(await alive(grandchild)).toBe(false);
  });

  test('an abort kills the whole process group with code cancelled', async () => {
    const { pidFile, args } = await grandchildScript();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const error = await runProcess('/bin/sh', args, { env: { PATH: process.env.PATH }, label: 'sh', signal: controller.signal }).catch((e) => e);
    expect(error).toMatchObject({ code: 'cancelled' });
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    await Bun.sleep(100);
    expect(await alive(grandchild)).toBe(false);
  });
});
