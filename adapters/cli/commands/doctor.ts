/** `doctor [--json]`: the core's findings, one line each; exit 1 when one is a problem. */
import { diagnose, type Level } from '../../../installer/index.ts';
import { ExitError } from '../errors.ts';
import type { CommandIO } from '../io.ts';

const MARK: Record<Level, string> = { ok: 'ok  ', info: '    ', warn: 'warn', problem: 'FAIL' };

export async function doctor(io: CommandIO, opts: { json: boolean }): Promise<void> {
  const findings = await diagnose(io.env);
  const ok = !findings.some((f) => f.level === 'problem');
  if (opts.json) {
    io.stdout.write(JSON.stringify({ ok, findings }) + '\n');
  } else {
    const lines = findings.map((f) => `${MARK[f.level]} ${f.topic.padEnd(13)}${f.message}${f.hint ? `\n     ${''.padEnd(13)}hint: ${f.hint}` : ''}`);
    io.stdout.write(lines.join('\n') + `\n\n${ok ? 'No problems found.' : 'Problems found: see FAIL lines and their hints.'}\n`);
  }
  if (!ok) throw new ExitError(1);
}
