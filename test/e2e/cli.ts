/** Runs the real `carapace-sky` launcher as a child process, the way users and scripts do. */
import { execa } from 'execa';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CLI = resolve(import.meta.dir, '../../bin/carapace-sky');

export async function tempHome(prefix = 'carapace-e2e-'): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), prefix)), 'home');
}

export async function runCli(args: string[], env: Record<string, string>, timeout = 60_000) {
  const result = await execa(CLI, args, {
    env: { ...process.env, CI: '1', ...env },
    reject: false,
    timeout,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Splits `install --json` output into its progress lines and its final result line. */
export function jsonLines(stdout: string) {
  const lines = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { progress: lines.slice(0, -1), result: lines.at(-1) as Record<string, any> };
}
