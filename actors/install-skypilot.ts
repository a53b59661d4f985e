/**
 * `installing_skypilot`: `uv tool install --python <py> --with pip <spec>` into a new,
 * empty generation (actors/generations.ts) beside the working install, for a first install,
 * an upgrade and a repair alike: an empty folder resolves the newest allowed version, and the
 * current environment is never touched, so a uv error, a full disk or a kill leaves it as it
 * was (`uv tool upgrade` and `--force` would rebuild it in place). `--with pip` because
 * SkyPilot builds wheels for remote clusters with pip (docs.skypilot.co installation page).
 * Each stderr line is a progress message; a non-zero exit is `uv_install_failed` with the end
 * of stderr as detail, or `disk_full` when uv says the disk or quota ran out, with the free
 * space measured where it was writing. A failed build is removed before the error goes up.
 * While uv runs, a beat every second reports the seconds since it started and the bytes
 * written under uv's cache, python/ and the new generation since (actors/written-bytes.ts).
 */
import { rm, statfs } from 'node:fs/promises';
import { delimiter, dirname } from 'node:path';
import { uvVersionAt } from './check.ts';
import { generationBin, generationDir, migrateLayout, newGeneration } from './generations.ts';
import { layoutOf } from './layout.ts';
import { InstallError, tail, uvInstallFailureCode } from '../machines/errors.ts';
import type { InstallSkypilotInput, StagedGeneration } from '../machines/install.ts';
import { runProcess } from './process.ts';
import { packageNameOf } from './requirement.ts';
import { startBeat } from './signs-of-life.ts';
import { uvEnvironment } from './uv-env.ts';
import { WrittenBytes } from './written-bytes.ts';

/** File times come from a clock that may lag the wall clock by a tick or two. */
const CTIME_SLACK_MS = 50;

/** The folder is new and empty, so neither `--force` nor `tool upgrade` is ever needed. */
export function uvInstallArgs(input: Pick<InstallSkypilotInput, 'settings'>): string[] {
  return ['tool', 'install', '--python', input.settings.python, '--with', 'pip', input.settings.skypilot_spec];
}

const WHY: Record<string, string> = {
  upgrade: 'upgrading',
  force: 'repairing',
  install: 'installing',
};

export async function installSkypilot(input: InstallSkypilotInput, signal: AbortSignal): Promise<StagedGeneration> {
  const layout = layoutOf(input.settings.home);
  const name = packageNameOf(input.settings.skypilot_spec);
  if (!name) throw new InstallError('invalid_config', `CARAPACE_SKYPILOT_SPEC=${JSON.stringify(input.settings.skypilot_spec)} names no package`);
  await migrateLayout(layout);
  const generation = await newGeneration(layout, Date.now());
  const dir = generationDir(layout, generation);
  const bin = generationBin(layout, generation);
  try {
    await build(input, signal, dir, bin);
  } catch (error) {
    // Never current, so nothing runs from it; a kill before this line is crash clean-up's.
    await rm(dir, { recursive: true, force: true }).catch(() => {});
    throw error;
  }
  return { generation, env_dir: `${dir}/${name}`, sky_path: `${bin}/sky` };
}

async function build(input: InstallSkypilotInput, signal: AbortSignal, dir: string, bin: string): Promise<void> {
  const layout = layoutOf(input.settings.home);
  const args = uvInstallArgs(input);
  const label = 'uv tool install';
  const why = WHY[input.upgrade ? 'upgrade' : input.force ? 'force' : 'install'];
  input.report({ message: `${why} into ${dir}: uv ${args.join(' ')}`, percent: null });
  // Cached by the check or the download, so this runs nothing; it names uv's TLS variable.
  const uvVersion = await uvVersionAt(input.uv_path, input.settings.env, signal, input.settings.home);
  const env = await uvEnvironment(layout, input.settings.env, uvVersion);
  env.UV_TOOL_DIR = dir;
  env.UV_TOOL_BIN_DIR = bin;
  // On PATH for the same reason as tools/bin in uv-env.ts: uv warns about a bin folder that is not.
  env.PATH = `${bin}${delimiter}${env.PATH}`;
  // uv's cache is CARAPACE_HOME's cache/uv unless the user named their own: count where uv writes.
  const cache = env.UV_CACHE_DIR ?? layout.cacheDir;
  const written = new WrittenBytes([cache, layout.pythonDir, dir], Date.now() - CTIME_SLACK_MS);
  let running = true;
  const beat = startBeat(
    async (elapsed) => {
      const bytes = await written.measure();
      // A count that finished after uv did must not speak for a phase that is over.
      if (running) input.report({ message: `${label} running`, percent: null, elapsed_seconds: Math.floor(elapsed), bytes_done: bytes });
    },
    { now: input.deps.now },
  );
  let result: Awaited<ReturnType<typeof runProcess>>;
  try {
    result = await runProcess(input.uv_path, args, {
      env,
      signal,
      timeoutMs: input.settings.install_timeout_ms,
      label,
      onStderrLine: (line) => input.report({ message: line.trim(), percent: null }),
    });
  } finally {
    running = false;
    beat.stop();
  }
  if (result.exitCode !== 0) {
    const lastLine = result.stderr.trim().split('\n').pop()?.trim();
    if (uvInstallFailureCode(result.stderr) === 'disk_full') {
      throw new InstallError('disk_full', `${label} ran out of disk space: ${await freeSpaceAt(writtenPath(result.stderr) ?? dir)}`, {
        detail: tail(result.stderr) || null,
      });
    }
    throw new InstallError('uv_install_failed', `${label} exited with ${result.exitCode}: ${lastLine ?? 'no output'}`, {
      detail: tail(result.stderr) || null,
    });
  }
}

/** The last absolute path on uv's out-of-space line (`failed to copy file from A to B: ...`): where it was writing. */
function writtenPath(stderr: string): string | null {
  const line = stderr.split('\n').find((l) => uvInstallFailureCode(l) === 'disk_full') ?? '';
  return [...line.matchAll(/(\/[^\s`'":]+)/g)].pop()?.[1] ?? null;
}

/** "1.2 MB free on the device holding <path>", measured at the nearest folder that exists (uv removes what it half wrote). */
async function freeSpaceAt(path: string): Promise<string> {
  for (let at = path; ; at = dirname(at)) {
    try {
      const fs = await statfs(at);
      return `${(Number(fs.bavail) * Number(fs.bsize) / 1e6).toFixed(1)} MB free on the device holding ${path}`;
    } catch (error) {
      if (dirname(at) === at || (error as { code?: unknown }).code !== 'ENOENT') return `no space left on the device holding ${path}`;
    }
  }
}

