/**
 * One redaction for every channel: each secret is planted in the environment and echoed by
 * uv and sky (as they do: an index URL, `sky check` dumping credentials), then every channel
 * is searched for it: the attempt log, last-attempt.json, the install result (the CLI's JSON
 * error), CLI error text, doctor (text and --json), the event stream (install-progress,
 * install-state, cluster-log), HTTP error bodies, and what the inspector would send.
 */
import { STAGED, fakeActivate } from '../machines/harness.ts';
import { expect, test } from 'bun:test';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InspectionEvent } from 'xstate';
import { doctor } from '../../adapters/cli/commands/doctor.ts';
import { main } from '../../adapters/cli/main.ts';
import { createGatekeeper } from '../../adapters/http/gatekeeper.ts';
import { redact as inspectorCopy } from '../../installer/inspector.ts';
import { createInstaller } from '../../installer/installer.ts';
import { redactorFor } from '../../installer/redact.ts';
import { gatekeeperSettingsFromEnv, settingsFromEnv } from '../../installer/settings.ts';
import type { SkyRunner } from '../../installer/sky-runner.ts';
import { InstallError } from '../../machines/errors.ts';
import type { CheckResult } from '../../machines/types.ts';
import { startMirror } from '../../demo/mirror.ts';
import { mirrorEnv, tempHome } from '../e2e/cli.ts';
import { local, post, readEvents } from './http-harness.ts';

const TOKEN = 'gk-Tok3n-0123456789abcdef';
/** Each secret, as the environment holds it and in the forms tools print it. */
const SECRETS = {
  schemelessProxyPassword: 'pr0xy@pa/ss:wd',
  proxyPasswordEscaped: 'Pct%2Fpass%40w0rd',
  proxyPasswordDecoded: 'Pct/pass@w0rd',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  awsSession: 'IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENvalue0123',
  awsKeyId: 'AKIAIOSFODNN7EXAMPLE',
  gatekeeperToken: TOKEN,
  appSecret: 's3cr3t-value',
  shortKey: 'k9x2',
  dbPassword: 'hunter22',
  serviceToken: 'svc-tok-777',
};

function secretEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    CARAPACE_HOME: home,
    HTTPS_PROXY: `us%40er:${SECRETS.schemelessProxyPassword}@proxy.corp.example:3128`,
    HTTP_PROXY: `http://user:${SECRETS.proxyPasswordEscaped}@proxy.corp.example:3128`,
    NO_PROXY: 'localhost,127.0.0.1',
    AWS_SECRET_ACCESS_KEY: SECRETS.awsSecret,
    AWS_SESSION_TOKEN: SECRETS.awsSession,
    AWS_ACCESS_KEY_ID: SECRETS.awsKeyId,
    AWS_REGION: 'us-east-1',
    CARAPACE_GATEKEEPER_TOKEN: TOKEN,
    MY_APP_SECRET: SECRETS.appSecret,
    DEPLOY_KEY: SECRETS.shortKey,
    DB_PASSWORD: SECRETS.dbPassword,
    SERVICE_TOKEN: SECRETS.serviceToken,
  };
}

/** What uv or sky might print: every variable as NAME=value, then each value bare. */
function echoed(env: Record<string, string>): string[] {
  return [
    ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
    ...Object.values(SECRETS).map((value) => `seen: ${value} (quoted "${value}")`),
    `Using proxy ${env.HTTPS_PROXY} and ${env.HTTP_PROXY}`,
  ];
}

function expectClean(channel: string, text: string): void {
  for (const [name, value] of Object.entries(SECRETS)) expect({ channel, name, leaked: text.includes(value) }).toEqual({ channel, name, leaked: false });
}

function status(home: string, installed: boolean): CheckResult {
  return {
    status: { uv_installed: installed, uv_version: installed ? '0.10.2' : null, sky_installed: installed, sky_version: installed ? '1.0' : null, carapace_home: home },
    uv_path: installed ? join(home, 'uv/bin/uv') : null,
    sky_path: installed ? join(home, 'tools/bin/sky') : null,
    sky_problem: null,
    sky_outdated: null,
  };
}

function captureIO(env: Record<string, string>) {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      env,
      cwd: '/',
      stdout: { write: (t: string) => ((out.stdout += t), true) },
      stderr: { write: (t: string) => ((out.stderr += t), true) },
    },
  };
}

test('no planted secret reaches any channel', async () => {
  const home = await tempHome('carapace-redact-');
  const env = secretEnv(home);
  const lines = echoed(env);
  let failInstall = true;
  let installed = false;
  const inspection: InspectionEvent[] = [];
  const installer = createInstaller({
    settings: () => settingsFromEnv(env),
    coordinate: true,
    inspect: (event) => inspection.push(event),
    actors: {
      check: async () => status(home, installed),
      downloadUv: async (input) => {
        for (const line of lines) input.report({ message: line, percent: null });
        return { uv_path: join(home, 'uv/bin/uv'), uv_version: '0.10.2' };
      },
      installSkypilot: async () => {
        if (failInstall) throw new InstallError('uv_install_failed', `uv exited with 2: ${lines[0]}`, { detail: lines.join('\n') });
        installed = true;
        return STAGED;
      },
      verify: async () => ({ sky_path: join(home, 'tools/bin/sky'), sky_version: '1.0' }),
      activate: fakeActivate(join(home, 'tools/bin/sky')),
    },
  });
  const skyRunner: SkyRunner = {
    async checkAws(opts) {
      for (const line of lines) opts?.onLine?.(line, 'stdout');
      return { ok: false, exitCode: 0, stdout: lines.join('\n'), stderr: lines.join('\n') };
    },
    async launch() {
      return { exitCode: 1, stdout: '', stderr: lines.join('\n') };
    },
    // A failed `sky api stop` lands in the 412 hint: it may echo secrets too.
    async stopApiServer() {
      return { stopped: false, warning: `sky api stop exited with 1: ${lines.join(' ')}` };
    },
  };
  const gatekeeper = createGatekeeper({ installer, skyRunner, settings: gatekeeperSettingsFromEnv(env), port: 8787 });
  const auth = { authorization: `Bearer ${TOKEN}` };
  try {
    // A failed install: the 503 body is the same result `install --json` prints last.
    const ensure = await gatekeeper.fetch(post('/cluster/ensure-skypilot', undefined, auth));
    expect(ensure.status).toBe(503);
    expectClean('ensure-skypilot 503', await ensure.text());

    // A launch whose `sky check aws` prints every secret: cluster-log events and the 412 detail.
    failInstall = false;
    const task = join(home, '..', 'task.yaml');
    await writeFile(task, 'run: echo hi\n');
    await chmod(task, 0o600);
    const launch = await gatekeeper.fetch(post('/cluster/launch', { cluster: 'dev', task }, auth));
    expect(launch.status).toBe(412);
    expectClean('launch 412', await launch.text());

    const stream = await gatekeeper.fetch(local('/cluster/events', { headers: { ...auth, 'last-event-id': '0' } }));
    const { events } = await readEvents(stream, (seen) => seen.filter((e) => e.type === 'cluster-log').length >= lines.length);
    const types = new Set(events.map((e) => e.type));
    expect([...types].sort()).toEqual(['cluster-log', 'install-progress', 'install-state']);
    expectClean('event stream', JSON.stringify(events));
  } finally {
    gatekeeper.close();
  }

  const logs = join(home, 'logs');
  for (const name of await readdir(logs)) expectClean(`logs/${name}`, await readFile(join(logs, name), 'utf8'));
  expect(await readdir(logs)).toContain('last-attempt.json');

  const text = redactorFor(env);
  // What the inspector serialises of each event: the snapshots (context: progress, errors)
  // and the events (actor outputs and errors) are where the secrets travel.
  const sent = inspection.map((e) => (e.type === '@xstate.snapshot' ? inspectorCopy(e.snapshot, text) : e.type === '@xstate.event' ? inspectorCopy(e.event, text) : null));
  expect(JSON.stringify(inspection.map((e) => (e.type === '@xstate.event' ? e.event : null)))).toContain(SECRETS.awsSecret);
  expectClean('inspector', JSON.stringify(sent));

  for (const json of [false, true]) {
    const { io, out } = captureIO(env);
    await doctor(io, { json }).catch(() => {});
    expectClean(`doctor${json ? ' --json' : ''}`, out.stdout + out.stderr);
    expect(out.stdout).toContain('proxy.corp.example:3128');
  }

  // A bad setting is quoted in the CLI's error.
  const bad = { ...env, CARAPACE_UV_DOWNLOAD_BASE: `ftp://user:${SECRETS.dbPassword}@mirror.example/uv` };
  const { io, out } = captureIO(bad);
  expect(await main(['which'], io)).toBe(1);
  expect(out.stderr).toContain('invalid_config');
  expectClean('CLI error', out.stdout + out.stderr);
}, 30_000);

/** A loopback port nothing listens on: bound on port 0, then released. */
async function deadPort(): Promise<number> {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
  const port = probe.port!;
  await probe.stop(true);
  return port;
}

test('proxy credentials with @, a space, a lone token, an IPv6 zone or an unescaped / reach no channel', async () => {
  const mirror = await startMirror();
  const dead = await deadPort();
  // Each proxy value, and the pieces of its credentials that must never be shown.
  const cases: Array<[string, string[]]> = [
    [`http://bob:p@ssw0rdX@127.0.0.1:${dead}`, ['ssw0rdX']],
    [`bob:p@ssw0rdX@127.0.0.1:${dead}`, ['ssw0rdX']],
    ['http://bob:p@ssw0rdX@[::1%25lo]:3128', ['ssw0rdX']],
    [`tok3nSecretValue99@127.0.0.1:${dead}`, ['tok3nSecretValue99']],
    [`http://alice:pass word12@127.0.0.1:${dead}`, ['word12']],
    [`http://bob:Sup3r:S@cret/x@127.0.0.1:${dead}`, ['Sup3r', 'S@cret']],
  ];
  try {
    for (const [proxy, pieces] of cases) {
      const home = await tempHome('carapace-redact-proxy-');
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...mirrorEnv(mirror, home), HTTP_PROXY: proxy, CARAPACE_CONNECT_TIMEOUT: '3' };
      const seen: string[] = [];
      const install = captureIO(env);
      expect({ proxy, exit: await main(['install', '--json'], install.io) }).toEqual({ proxy, exit: 1 });
      seen.push(install.out.stdout, install.out.stderr);
      for (const json of [false, true]) {
        const { io, out } = captureIO(env);
        await doctor(io, { json }).catch(() => {});
        seen.push(out.stdout, out.stderr);
      }
      for (const name of await readdir(join(home, 'logs'))) seen.push(await readFile(join(home, 'logs', name), 'utf8'));
      const text = seen.join('\n');
      for (const piece of pieces) expect({ proxy, piece, leaked: text.includes(piece) }).toEqual({ proxy, piece, leaked: false });
    }
  } finally {
    await mirror.close();
  }
}, 60_000);
