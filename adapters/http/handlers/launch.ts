/**
 * POST /cluster/launch {cluster, task}: the lazy install, then `sky check aws` (when it fails,
 * once more after `sky api stop`), then `sky launch`. Sky runs only after this attempt
 * reported success (fail secure): a failed or cancelled install answers 503 and no sky, not
 * even one on PATH, is started.
 *
 * The task file is checked and copied once, when the request arrives (installer/task-file.ts),
 * and sky launches that copy: the path is never read again. Every line sky prints and every
 * error detail taken from its output passes the redactor before it leaves the service: the
 * event stream can be read by any local program, and `sky check` may echo credentials.
 */
import { isAbsolute } from 'node:path';
import { redactorFor, snapshotTask, tail, TaskFileError, type SkyStream, type TaskSnapshot } from '../../../installer/index.ts';
import { readJson } from '../body.ts';
import type { RouteContext } from '../context.ts';
import { HttpError, json } from '../errors.ts';

/** SkyPilot's own rule for cluster names (sky/utils/common_utils.py, check_cluster_name_is_valid). */
const CLUSTER_NAME = /^[a-zA-Z](?:[-_.a-zA-Z0-9]*[a-zA-Z0-9])?$/;

export interface LaunchRequest {
  cluster: string;
  task: string;
}

function badRequest(message: string, hint: string): HttpError {
  return new HttpError(400, 'invalid_request', message, { hint });
}

export async function parseLaunchRequest(body: unknown): Promise<LaunchRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('the body must be a JSON object {"cluster": NAME, "task": PATH}', 'Send {"cluster": "dev", "task": "/abs/path/task.yaml"}.');
  }
  const { cluster, task } = body as Record<string, unknown>;
  if (typeof cluster !== 'string' || cluster.length > 63 || !CLUSTER_NAME.test(cluster)) {
    throw badRequest(
      `"cluster" must be a SkyPilot cluster name, got ${JSON.stringify(cluster ?? null)}`,
      'Use letters, digits, "-", "_" and "." only, starting with a letter (at most 63 characters).',
    );
  }
  if (typeof task !== 'string' || !isAbsolute(task) || task.includes('\0')) {
    throw badRequest(`"task" must be an absolute path to a task YAML, got ${JSON.stringify(task ?? null)}`, 'Send the full path of the task file.');
  }
  return { cluster, task };
}

/** Checks the task file and copies it for sky; a refusal is 400 or 403 before anything installs. */
async function snapshot(task: string, home: string): Promise<TaskSnapshot> {
  try {
    return await snapshotTask(task, home);
  } catch (error) {
    if (!(error instanceof TaskFileError)) throw error;
    throw new HttpError(error.code === 'task_not_trusted' ? 403 : 400, error.code, error.message, { hint: error.hint });
  }
}

export async function launchCluster(ctx: RouteContext): Promise<Response> {
  const { cluster, task } = await parseLaunchRequest(await readJson(ctx.req));
  if (ctx.launching.has(cluster)) {
    throw new HttpError(409, 'launch_in_progress', `a launch of ${cluster} is already running`, {
      hint: 'Wait for it to finish; its output is on the event stream as cluster-log events.',
    });
  }
  const settings = ctx.installer.settings();
  // The service's own secrets (the gatekeeper token) and those it hands sky.
  const redact = redactorFor({ ...process.env, ...settings.env });
  ctx.launching.add(cluster);
  let taken: TaskSnapshot | null = null;
  try {
    taken = await snapshot(task, settings.home);
    ctx.keepOpen();
    const installed = await ctx.installer.ensureSkypilot();
    if (!installed.ok) return json(installed, 503);

    const log = (command: 'check' | 'launch') => (line: string, stream: SkyStream) =>
      ctx.events.publish({ type: 'cluster-log', cluster, command, stream, line: redact(line), time: new Date().toISOString() });
    let check = await ctx.skyRunner.checkAws({ sky: installed.sky_path, onLine: log('check') });
    let restart: string | null = null;
    if (!check.ok) {
      // SkyPilot's local API server reads credentials when it starts: ones added since (the
      // usual fix a user just made) count only after a restart (uv-skypilot-facts.md). So the
      // server is stopped, and the check (which starts a fresh one) asked once more.
      restart = (await ctx.skyRunner.stopApiServer({ sky: installed.sky_path })).warning;
      check = await ctx.skyRunner.checkAws({ sky: installed.sky_path, onLine: log('check') });
    }
    if (!check.ok) {
      throw new HttpError(412, 'aws_credentials', 'sky check aws: AWS is not enabled for SkyPilot', {
        phase: 'sky_check',
        hint: restart
          ? `Configure AWS credentials (run \`aws configure\`, or set AWS_PROFILE / AWS_ACCESS_KEY_ID), then run \`sky api stop\` so SkyPilot's local API server reads them, and retry (it could not be stopped here: ${redact(restart)}).`
          : "Configure AWS credentials (run `aws configure`, or set AWS_PROFILE / AWS_ACCESS_KEY_ID), then retry; SkyPilot's local API server was restarted to read them, and will be again.",
        detail: redact(tail(`${check.stdout}\n${check.stderr}`)) || null,
      });
    }
    const launched = await ctx.skyRunner.launch(cluster, taken.copy, { sky: installed.sky_path, cwd: taken.cwd, onLine: log('launch') });
    if (launched.exitCode !== 0) {
      throw new HttpError(502, 'launch_failed', `sky launch exited with ${launched.exitCode}`, {
        phase: 'sky_launch',
        hint: 'Read the detail and the cluster-log events; fix the task or the cloud quota, then retry.',
        detail: redact(tail(launched.stderr || launched.stdout)) || null,
      });
    }
    return json({ ok: true, cluster, task, sky_path: installed.sky_path });
  } finally {
    ctx.launching.delete(cluster);
    await taken?.remove();
  }
}
