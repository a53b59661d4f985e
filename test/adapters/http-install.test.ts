/**
 * The gatekeeper with the real installer, the loopback mirror and the stand-in uv and sky:
 * one install for many callers, the lazy install behind launch, and sky never started when
 * the install failed (fail secure).
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGatekeeper, type Gatekeeper } from '../../adapters/http/gatekeeper.ts';
import { awsEnabled, createSkyRunner, type SkyRunner } from '../../installer/sky-runner.ts';
import { local, mirrorRig, phases, PORT, post, readEvents, type Rig } from './http-harness.ts';

const SETTINGS = { host: '127.0.0.1', port: PORT, token: null, allowed_origins: [] };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: Parameters<typeof mirrorRig>[0] & { skyRunner?: SkyRunner } = {}): Promise<{ rig: Rig; gk: Gatekeeper; task: string }> {
  const rig = await mirrorRig(opts);
  const gk = createGatekeeper({ installer: rig.installer, settings: SETTINGS, ...(opts.skyRunner ? { skyRunner: opts.skyRunner } : {}) });
  const task = join(rig.home, 'task.yaml');
  await writeFile(task, 'resources:\n  cloud: aws\nrun: echo hello\n');
  cleanups.push(() => rig.close(), () => gk.close());
  return { rig, gk, task };
}

describe('one install for many callers', () => {
  test('1,000 concurrent ensure requests: one download, one uv run, identical answers', async () => {
    const { rig, gk } = await setup({ env: { STANDIN_UV_DELAY: '0.5' } });
    const stream = await gk.fetch(local('/cluster/events'));
    const answers = await Promise.all(
      Array.from({ length: 1000 }, async () => {
        const res = await gk.fetch(post('/cluster/ensure-skypilot'));
        return `${res.status} ${await res.text()}`;
      }),
    );
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toStartWith('200 ');
    expect(JSON.parse(answers[0]!.slice(4))).toMatchObject({ ok: true, status: { sky_installed: true } });
    expect(rig.mirror.downloads()).toBe(1);
    expect(await rig.uvInstalls()).toBe(1);
    const { events } = await readEvents(stream, (e) => phases(e).includes('complete'));
    expect(new Set(events.map((e) => e.data.attempt))).toEqual(new Set([1]));
    expect(phases(events)).toEqual(['checking', 'downloading_uv', 'installing_skypilot', 'verifying', 'complete']);
  }, 60_000);
});

describe('launch', () => {
  test('installs lazily, checks AWS, launches, and streams sky output as cluster-log', async () => {
    const { rig, gk, task } = await setup();
    const stream = await gk.fetch(local('/cluster/events'));
    const res = await gk.fetch(post('/cluster/launch', { cluster: 'dev-1', task }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, cluster: 'dev-1', task });
    const { events } = await readEvents(stream, (e) => e.some((x) => x.type === 'cluster-log' && x.data.line === 'task| run: echo hello'));
    expect(phases(events)).toEqual(['checking', 'downloading_uv', 'installing_skypilot', 'verifying', 'complete']);
    const logs = events.filter((e) => e.type === 'cluster-log');
    expect(logs.map((e) => e.data.command)).toEqual(['check', 'check', 'launch', 'launch', 'launch', 'launch', 'launch']);
    expect(logs[1]!.data.line).toContain('would check credentials for: aws');
    expect(logs[2]!.data).toMatchObject({ cluster: 'dev-1', stream: 'stdout' });
    // sky is given the private copy, in the task's own folder, and reads the task's bytes.
    expect(logs[2]!.data.line).toMatch(new RegExp(`would launch: -y -c dev-1 ${rig.home}/run/launch-\\d+-[0-9a-f]{16}\\.yaml$`));
    expect(logs.slice(3).map((e) => e.data.line)).toEqual([`cwd: ${rig.home}`, 'task| resources:', 'task|   cloud: aws', 'task| run: echo hello']);
    // The copy is gone once sky ended.
    expect(await readdir(join(rig.home, 'run'))).toEqual([]);
    // Every cluster-log comes after the install completed.
    const completeAt = events.findIndex((e) => e.type === 'install-state' && e.data.to === 'complete');
    expect(events.findIndex((e) => e.type === 'cluster-log')).toBeGreaterThan(completeAt);
    expect(rig.mirror.downloads()).toBe(1);
  }, 60_000);

  test('a launch during an install joins it', async () => {
    const { rig, gk, task } = await setup({ env: { STANDIN_UV_DELAY: '0.5' } });
    const ensure = gk.fetch(post('/cluster/ensure-skypilot'));
    await waitFor(() => rig.installer.phase() === 'installing_skypilot');
    const launch = await gk.fetch(post('/cluster/launch', { cluster: 'joined', task }));
    expect(launch.status).toBe(200);
    expect((await ensure).status).toBe(200);
    expect(rig.mirror.downloads()).toBe(1);
    expect(await rig.uvInstalls()).toBe(1);
  }, 60_000);

  test('a failed install answers 503 and never starts sky, not even one on PATH', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'carapace-fake-path-'));
    cleanups.push(() => rm(bin, { recursive: true, force: true }));
    const marker = join(bin, 'sky-ran');
    await writeFile(join(bin, 'sky'), `#!/bin/sh\ntouch '${marker}'\n`);
    await chmod(join(bin, 'sky'), 0o755);
    const { rig, gk, task } = await setup({
      env: { PATH: `${bin}:${process.env.PATH}` },
      handler: (_req, ctx) => (ctx.path.endsWith('.tar.gz') ? new Response('gone', { status: 404 }) : undefined),
    });
    const stream = await gk.fetch(local('/cluster/events'));
    const res = await gk.fetch(post('/cluster/launch', { cluster: 'dev', task }));
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.ok).toBe(false);
    expect(body.error).toMatchObject({ phase: 'downloading_uv' });
    expect(typeof body.error.hint).toBe('string');
    const { events } = await readEvents(stream, (e) => phases(e).includes('error'));
    expect(events.some((e) => e.type === 'cluster-log')).toBe(false);
    expect(await stat(marker).catch(() => null)).toBeNull();
    expect(await rig.uvInstalls()).toBe(0);
  }, 60_000);

  test('a task file others can write is refused with 403 before anything installs or runs', async () => {
    const { rig, gk, task } = await setup();
    await chmod(task, 0o666);
    const res = await gk.fetch(post('/cluster/launch', { cluster: 'dev', task }));
    expect(res.status).toBe(403);
    expect((await res.json()).error).toMatchObject({ code: 'task_not_trusted' });
    expect(await rig.uvInstalls()).toBe(0);
  }, 60_000);

  test('a failed credential check answers 412 with an AWS hint and does not launch', async () => {
    const { gk, task } = await setup({ env: { STANDIN_SKY_CHECK_FAIL: '1' } });
    const res = await gk.fetch(post('/cluster/launch', { cluster: 'dev', task }));
    expect(res.status).toBe(412);
    const { error } = await res.json();
    expect(error).toMatchObject({ code: 'aws_credentials', phase: 'sky_check' });
    expect(error.hint).toMatch(/AWS credentials/);
    expect(error.detail).toContain('AWS: disabled');
    const logged = gk.events.log.replay('0').map((e) => new TextDecoder().decode(e.frame));
    expect(logged.some((f) => f.includes('"command":"launch"'))).toBe(false);
    expect(logged.some((f) => f.includes('AWS: disabled'))).toBe(true);
  }, 60_000);

  test("credentials added while SkyPilot's API server runs: the server is stopped, the check passes and the launch runs", async () => {
    const api = await mkdtemp(join(tmpdir(), 'carapace-api-'));
    cleanups.push(() => rm(api, { recursive: true, force: true }));
    const credentials = join(api, 'aws-credentials');
    const { gk, task } = await setup({ env: { STANDIN_SKY_API_DIR: api, STANDIN_SKY_CREDENTIALS: credentials } });
    // No credentials yet: the check fails twice (the server restarted in between), and the hint names the server.
    const first = await gk.fetch(post('/cluster/launch', { cluster: 'dev', task }));
    expect(first.status).toBe(412);
    const { error } = await first.json();
    expect(error).toMatchObject({ code: 'aws_credentials', phase: 'sky_check' });
    expect(error.hint).toMatch(/API server/);
    expect(await readFile(join(api, 'calls'), 'utf8')).toBe('api stop\n');
    // The user configures AWS; the server that is running started without it.
    await writeFile(credentials, '[default]\n');
    const second = await gk.fetch(post('/cluster/launch', { cluster: 'dev', task }));
    expect(second.status).toBe(200);
    expect(await readFile(join(api, 'calls'), 'utf8')).toBe('api stop\napi stop\n');
    const logged = gk.events.log.replay('0').map((e) => new TextDecoder().decode(e.frame));
    expect(logged.some((f) => f.includes('"command":"launch"'))).toBe(true);
    // A check that passes leaves the server alone.
    expect((await gk.fetch(post('/cluster/launch', { cluster: 'dev', task }))).status).toBe(200);
    expect(await readFile(join(api, 'calls'), 'utf8')).toBe('api stop\napi stop\n');
  }, 60_000);

  test('a second launch of the same cluster while one runs is 409; a failing sky launch is 502', async () => {
    let release: () => void = () => {};
    const calls: string[] = [];
    const runner: SkyRunner = {
      async checkAws() {
        return { ok: true, exitCode: 0, stdout: '  AWS: enabled\n', stderr: '' };
      },
      async launch(cluster) {
        calls.push(cluster);
        if (cluster === 'slow') await new Promise<void>((r) => (release = r));
        return cluster === 'broken'
          ? { exitCode: 1, stdout: '', stderr: 'sky.exceptions.ResourcesUnavailableError: no capacity\n' }
          : { exitCode: 0, stdout: '', stderr: '' };
      },
      async stopApiServer() {
        return { stopped: true, warning: null };
      },
    };
    const { gk, task } = await setup({ skyRunner: runner });
    const first = gk.fetch(post('/cluster/launch', { cluster: 'slow', task }));
    await waitFor(() => calls.includes('slow'));
    const second = await gk.fetch(post('/cluster/launch', { cluster: 'slow', task }));
    expect(second.status).toBe(409);
    release();
    expect((await first).status).toBe(200);
    const broken = await gk.fetch(post('/cluster/launch', { cluster: 'broken', task }));
    expect(broken.status).toBe(502);
    const { error } = await broken.json();
    expect(error).toMatchObject({ code: 'launch_failed', phase: 'sky_launch' });
    expect(error.detail).toContain('ResourcesUnavailableError');
  }, 60_000);
});

describe('sky runner', () => {
  test('AWS counts as enabled only with exit 0 and no "disabled" line', () => {
    const r = (exitCode: number, stdout: string) => ({ exitCode, stdout, stderr: '' });
    expect(awsEnabled(r(0, 'Checking credentials\n  AWS: enabled [compute, storage]\n'))).toBe(true);
    expect(awsEnabled(r(1, '  AWS: enabled\n'))).toBe(false);
    expect(awsEnabled(r(0, '  AWS: disabled\n    Reason: AWS credentials are not set.\n'))).toBe(false);
    expect(awsEnabled(r(0, 'No cloud is enabled. SkyPilot will not be able to run any task.\n'))).toBe(false);
  });

  test('with no sky installed and none on PATH, the runner refuses to run', async () => {
    const home = await mkdtemp(join(tmpdir(), 'carapace-nosky-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    const runner = createSkyRunner({ settings: () => ({ home, env: { PATH: home } }) as never });
    await expect(runner.checkAws()).rejects.toThrow(/not installed/);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await Bun.sleep(10);
  }
}
