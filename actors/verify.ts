/**
 * `verifying`: the installed `sky --version` must run and print `skypilot, version X`
 * (sky/client/cli/command.py), and pip must run in its tool environment: SkyPilot builds
 * wheels for remote clusters with it, so an environment without pip works until the first
 * launch (docs.skypilot.co installation page). This is the one place the install path pays
 * for Python's start-up and `import sky`; status and detection read files instead.
 */
import { layoutOf } from './layout.ts';
import { classifyError, InstallError, tail } from '../machines/errors.ts';
import type { VerifyInput, VerifyOutput } from '../machines/install.ts';
import { runProcess, type RunResult } from './process.ts';
import { packageNameOf } from './requirement.ts';
import { uvEnvironment } from './uv-env.ts';

const SKY_VERSION = /skypilot, version (\S+)/;
const PIP_VERSION = /^pip (\S+) from /m;

export function parseSkyVersion(output: string): string | null {
  return SKY_VERSION.exec(output)?.[1] ?? null;
}

export function parsePipVersion(output: string): string | null {
  return PIP_VERSION.exec(output)?.[1] ?? null;
}

/** Runs one check; a program that cannot start is verify_failed, a cancel or timeout stays what it is. */
async function run(program: string, args: string[], env: Record<string, string>, input: VerifyInput, signal: AbortSignal): Promise<RunResult> {
  const label = [program.slice(program.lastIndexOf('/') + 1), ...args].join(' ');
  return runProcess(program, args, { env, signal, timeoutMs: input.settings.verify_timeout_ms, label }).catch((error: unknown) => {
    const code = classifyError(error);
    if (code === 'cancelled' || code === 'timeout') throw error;
    throw new InstallError('verify_failed', `${program} could not be started`, {
      detail: error instanceof Error ? error.message : String(error),
    });
  });
}

/** The tool environment `spec` installs into: UV_TOOL_DIR/<normalised package name>. */
function defaultEnvDir(input: VerifyInput): string {
  const name = packageNameOf(input.settings.skypilot_spec);
  if (!name) throw new InstallError('invalid_config', `CARAPACE_SKYPILOT_SPEC=${JSON.stringify(input.settings.skypilot_spec)} names no package`);
  return `${layoutOf(input.settings.home).toolDir}/${name}`;
}

export async function verifySky(input: VerifyInput, signal: AbortSignal): Promise<VerifyOutput> {
  const layout = layoutOf(input.settings.home);
  const sky = input.sky_path ?? layout.sky;
  const env = await uvEnvironment(layout, input.settings.env);
  const result = await run(sky, ['--version'], env, input, signal);
  const version = result.exitCode === 0 ? parseSkyVersion(result.stdout) : null;
  if (!version) {
    throw new InstallError('verify_failed', `sky --version exited with ${result.exitCode} and printed no version`, {
      detail: tail(`${result.stdout}\n${result.stderr}`) || null,
    });
  }
  const python = `${input.env_dir ?? defaultEnvDir(input)}/bin/python`;
  const pip = await run(python, ['-m', 'pip', '--version'], env, input, signal);
  if (pip.exitCode !== 0 || !parsePipVersion(pip.stdout)) {
    throw new InstallError('verify_failed', `pip does not run in SkyPilot's environment (${python} -m pip --version exited with ${pip.exitCode}); SkyPilot needs it to launch clusters`, {
      detail: tail(`${pip.stdout}\n${pip.stderr}`) || null,
    });
  }
  return { sky_path: sky, sky_version: version };
}
