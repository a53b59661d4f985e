/**
 * `verifying`: the installed `sky --version` must run and print `skypilot, version X`
 * (sky/client/cli/command.py). This is the one place the install path pays for Python's
 * start-up and `import sky`; status and detection read files instead.
 */
import { layoutOf } from './layout.ts';
import { classifyError, InstallError, tail } from '../machines/errors.ts';
import type { VerifyInput, VerifyOutput } from '../machines/install.ts';
import { runProcess } from './process.ts';
import { uvEnvironment } from './uv-env.ts';

const SKY_VERSION = /skypilot, version (\S+)/;

export function parseSkyVersion(output: string): string | null {
  return SKY_VERSION.exec(output)?.[1] ?? null;
}

export async function verifySky(input: VerifyInput, signal: AbortSignal): Promise<VerifyOutput> {
  const layout = layoutOf(input.settings.home);
  const sky = input.sky_path ?? layout.sky;
  const result = await runProcess(sky, ['--version'], {
    env: await uvEnvironment(layout, input.settings.env),
    signal,
    timeoutMs: input.settings.verify_timeout_ms,
    label: 'sky --version',
  }).catch((error: unknown) => {
    const code = classifyError(error);
    if (code === 'cancelled' || code === 'timeout') throw error;
    throw new InstallError('verify_failed', `${sky} could not be started`, {
      detail: error instanceof Error ? error.message : String(error),
    });
  });
  const version = result.exitCode === 0 ? parseSkyVersion(result.stdout) : null;
  if (!version) {
    throw new InstallError('verify_failed', `sky --version exited with ${result.exitCode} and printed no version`, {
      detail: tail(`${result.stdout}\n${result.stderr}`) || null,
    });
  }
  return { sky_path: sky, sky_version: version };
}

