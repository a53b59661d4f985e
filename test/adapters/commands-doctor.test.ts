/** `carapace-sky doctor`: reports what matters and exits 1 with hints when something is wrong. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { jsonLines, mirrorEnv, runCli, tempHome } from '../e2e/cli.ts';

let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror();
});
afterAll(async () => {
  await mirror.close();
});

type Finding = { topic: string; level: string; message: string; hint?: string };

function envFor(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return mirrorEnv(mirror, home, {
    PATH: '/usr/bin:/bin',
    SSL_CERT_FILE: '',
    NODE_EXTRA_CA_CERTS: '',
    ...extra,
  });
}

async function doctor(env: Record<string, string>) {
  const run = await runCli(['doctor', '--json'], env);
  const report = JSON.parse(run.stdout) as { ok: boolean; findings: Finding[] };
  const problems = report.findings.filter((f) => f.level === 'problem');
  return { exitCode: run.exitCode, report, problems, find: (topic: string) => report.findings.filter((f) => f.topic === topic) };
}

async function installedHome(): Promise<string> {
  const home = await tempHome('carapace-doctor-');
  expect((await runCli(['install'], envFor(home))).exitCode).toBe(0);
  return home;
}

describe('carapace-sky doctor', () => {
  test('a healthy install: exit 0, versions, paths, disk and the last attempt are reported', async () => {
    const home = await installedHome();
    const { exitCode, report, find, problems } = await doctor(envFor(home));
    expect(problems).toEqual([]);
    expect(exitCode).toBe(0);
    expect(report.ok).toBe(true);
    expect(find('uv')[0]).toMatchObject({ level: 'ok', message: 'uv 0.10.2' });
    expect(find('skypilot')[0]?.level).toBe('ok');
    expect(find('platform')[0]?.message).toMatch(/uv build \S+-\S+/);
    expect(find('disk')[0]?.message).toMatch(/GiB free/);
    expect(find('last attempt')[0]).toMatchObject({ level: 'ok', message: expect.stringContaining('install succeeded') });
    const text = await runCli(['doctor'], envFor(home));
    expect(text.stdout).toContain('No problems found.');
  });

  test('a broken install and a failed last attempt: exit 1, each with a hint, naming the log', async () => {
    const home = await installedHome();
    await rm(join(home, 'python'), { recursive: true, force: true });
    await rm(join(home, 'tools'), { recursive: true, force: true });
    const failed = await runCli(['install', '--json'], envFor(home, { STANDIN_UV_FAIL: '1' }));
    expect(failed.exitCode).toBe(1);
    const log = /log: (\S+)/.exec(jsonLines(failed.stdout).result.error.detail)?.[1];
    const { exitCode, find } = await doctor(envFor(home));
    expect(exitCode).toBe(1);
    expect(find('skypilot')[0]).toMatchObject({ level: 'problem', hint: expect.stringContaining('carapace-sky install') });
    const last = find('last attempt')[0]!;
    expect(log).toBeString();
    expect(last.message).toContain('[uv_install_failed]');
    expect(last.message).toContain(`log: ${log}`);
    expect(last.level).toBe('problem');
    expect(last.hint).toContain('uv could not install SkyPilot');
  });

  test('a different sky earlier on PATH is reported as shadowing the managed one', async () => {
    const home = await installedHome();
    const bin = await mkdtemp(join(tmpdir(), 'carapace-path-'));
    await writeFile(join(bin, 'sky'), '#!/bin/sh\necho old sky\n');
    await chmod(join(bin, 'sky'), 0o755);
    const { find } = await doctor(envFor(home, { PATH: `${bin}:/usr/bin:/bin` }));
    expect(find('path')[0]).toMatchObject({ level: 'warn', message: expect.stringContaining('shadows') });
    const managed = await doctor(envFor(home, { PATH: `${join(home, 'tools/bin')}:/usr/bin` }));
    expect(managed.find('path')[0]?.level).toBe('ok');
  });

  test('proxy and CA settings: shown with credentials redacted; a missing CA file is a problem', async () => {
    const home = await installedHome();
    const env = envFor(home, {
      HTTPS_PROXY: 'http://alice:pa55word@proxy.example:3128',
      SSL_CERT_FILE: join(home, 'no-such-ca.pem'),
    });
    const { exitCode, find, report } = await doctor(env);
    expect(exitCode).toBe(1);
    const network = find('network');
    expect(network.map((f) => f.message)).toContain('HTTPS_PROXY=http://***@proxy.example:3128');
    expect(JSON.stringify(report)).not.toContain('pa55word');
    expect(network.find((f) => f.message.startsWith('SSL_CERT_FILE'))).toMatchObject({ level: 'problem', hint: expect.any(String) });
  });

  test('invalid settings are a problem with the hint that names the variable', async () => {
    const home = await tempHome('carapace-doctor-');
    await mkdir(home, { recursive: true });
    const { exitCode, find } = await doctor(envFor(home, { CARAPACE_UV_SHA256: 'nope' }));
    expect(exitCode).toBe(1);
    expect(find('settings')[0]).toMatchObject({ level: 'problem', message: expect.stringContaining('CARAPACE_UV_SHA256') });
  });
});
