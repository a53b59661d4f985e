/**
 * Runs the managed `sky` for the gatekeeper: `sky check aws` then `sky launch -y -c NAME PATH`,
 * each line of output handed on as it arrives. Through actors/process.ts, so a cancel or a
 * timeout ends sky and the ssh and cloud CLIs it started (its whole process group), and output
 * is streamed with only a bounded tail kept (`sky launch` follows the job's log, without end).
 */
import { stopApiServer, type StopApiServerOutput } from '../actors/api-server.ts';
import { runProcess, type RunResult } from '../actors/process.ts';
import { InstallError } from '../machines/errors.ts';
import type { InstallSettings } from '../machines/types.ts';
import { skyBinary } from './sky-binary.ts';

export type SkyStream = 'stdout' | 'stderr';

export interface SkyRunOptions {
  /** The sky to run; the gatekeeper passes the one the install just verified. */
  sky?: string;
  signal?: AbortSignal;
  /** sky's working directory: a launch runs in the task's folder, where its relative paths point. */
  cwd?: string;
  onLine?: (line: string, stream: SkyStream) => void;
}

export interface SkyCheckResult extends RunResult {
  /** AWS is enabled for SkyPilot. */
  ok: boolean;
}

export interface SkyRunner {
  checkAws(opts?: SkyRunOptions): Promise<SkyCheckResult>;
  /** `task` is the gatekeeper's private copy (installer/task-file.ts), `opts.cwd` the task's folder. */
  launch(cluster: string, task: string, opts?: SkyRunOptions): Promise<RunResult>;
  /** `sky api stop`: bounded, never throws but on cancel; a failure is the warning (actors/api-server.ts). */
  stopApiServer(opts?: Pick<SkyRunOptions, 'sky' | 'signal'>): Promise<StopApiServerOutput>;
}

export interface SkyRunnerDeps {
  settings: () => InstallSettings;
  checkTimeoutMs?: number;
  /** None by default: provisioning a cluster can take most of an hour. */
  launchTimeoutMs?: number;
}

// `sky check` prints one line per cloud ("  AWS: enabled" / "  AWS: disabled"); recent
// versions exit 0 even when no cloud is enabled, so the text decides as much as the exit code.
const AWS_DISABLED = /^\s*AWS(?:\s*\[[^\]]*\])?:\s*disabled/im;
const NO_CLOUD = /No cloud is enabled/i;

export function awsEnabled(result: RunResult): boolean {
  const output = `${result.stdout}\n${result.stderr}`;
  return result.exitCode === 0 && !AWS_DISABLED.test(output) && !NO_CLOUD.test(output);
}

export function createSkyRunner(deps: SkyRunnerDeps): SkyRunner {
  async function skyOf(opts: SkyRunOptions): Promise<{ sky: string; settings: InstallSettings }> {
    const settings = deps.settings();
    const sky = opts.sky ?? (await skyBinary(settings.home, settings.env));
    if (!sky) throw new InstallError('verify_failed', 'no sky to run: SkyPilot is not installed');
    return { sky, settings };
  }

  async function run(args: string[], label: string, timeoutMs: number | undefined, opts: SkyRunOptions): Promise<RunResult> {
    const { sky, settings } = await skyOf(opts);
    return runProcess(sky, args, {
      // Python block-buffers a pipe; unbuffered, each line reaches the event stream as sky prints it.
      env: { ...settings.env, PYTHONUNBUFFERED: '1' },
      label,
      ...(timeoutMs ? { timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      onStdoutLine: (line) => opts.onLine?.(line, 'stdout'),
      onStderrLine: (line) => opts.onLine?.(line, 'stderr'),
    });
  }

  return {
    async checkAws(opts = {}) {
      const result = await run(['check', 'aws'], 'sky check aws', deps.checkTimeoutMs ?? 120_000, opts);
      return { ...result, ok: awsEnabled(result) };
    },
    launch(cluster, task, opts = {}) {
      return run(['launch', '-y', '-c', cluster, task], 'sky launch', deps.launchTimeoutMs, opts);
    },
    async stopApiServer(opts = {}) {
      const { sky, settings } = await skyOf(opts);
      return stopApiServer({ sky, env: settings.env, ...(opts.signal ? { signal: opts.signal } : {}) });
    },
  };
}
