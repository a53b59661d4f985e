/** Runs the real `carapace-sky` launcher as a child process, the way users and scripts do. */
import { execa } from 'execa';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Mirror } from '../../demo/mirror.ts';

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

export const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * The environment of a CLI run that installs from `mirror` into `home`: the mirror's base and
 * digest (the stand-in is not the real 0.10.2, so the built-in digest would refuse it), and a
 * log of the stand-in's runs beside the home (STANDIN_UV_LOG).
 */
export function mirrorEnv(mirror: Mirror, home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CARAPACE_HOME: home,
    CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
    CARAPACE_UV_SHA256: mirror.sha256(),
    STANDIN_UV_LOG: join(home, '..', 'uv.log'),
    ...extra,
  };
}

/** The stand-in uv's runs for a home set up by mirrorEnv, without pids: `tool install`, `--version`, ... */
export async function uvRuns(home: string): Promise<string[]> {
  const log = await readFile(join(home, '..', 'uv.log'), 'utf8').catch(() => '');
  return log.split('\n').filter(Boolean).map((line) => line.replace(/^\d+ /, ''));
}

/** A complete install from `mirror` whose uv version is not cached, so `status` would have to run uv. */
export async function installedUncachedHome(mirror: Mirror, prefix: string): Promise<{ home: string; env: Record<string, string> }> {
  const home = await tempHome(prefix);
  const env = mirrorEnv(mirror, home);
  const run = await runCli(['install'], env);
  if (run.exitCode !== 0) throw new Error(`install failed: ${run.stderr}`);
  await rm(join(home, 'cache/uv-version.json'));
  return { home, env };
}
