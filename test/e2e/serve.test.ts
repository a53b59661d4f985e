/**
 * `carapace-sky serve` as a real process: it says where it listens, installs on demand
 * through the same installer as the CLI, refuses foreign hosts, and stops cleanly on a signal,
 * exiting 128+N as every command does.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { execa } from 'execa';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { STANDIN_SKY_VERSION } from '../../demo/standin-uv.ts';
import { CLI, mirrorEnv, tempHome, uvRuns } from './cli.ts';

let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror();
});
afterAll(async () => {
  await mirror.close();
});

/** Resolves with the service's URL once its start-up line appears on stderr. */
function listeningUrl(child: ReturnType<typeof execa>): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(seen)?.[1];
      if (url) resolve(url.replace(/\/$/, ''));
    });
    child.once('exit', () => reject(new Error(`serve exited before listening:\n${seen}`)));
  });
}

test('serve answers status, installs once on ensure, and stops on SIGTERM', async () => {
  const home = await tempHome('carapace-serve-');
  const child = execa(CLI, ['serve', '--port', '0'], { env: { ...process.env, ...mirrorEnv(mirror, home) }, reject: false });
  try {
    const url = await listeningUrl(child);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const before = await (await fetch(`${url}/cluster/install-status`)).json();
    expect(before).toMatchObject({ sky_installed: false, carapace_home: home, phase: null });

    const answers = await Promise.all(
      [1, 2, 3].map(() => fetch(`${url}/cluster/ensure-skypilot`, { method: 'POST' }).then(async (r) => [r.status, await r.json()] as const)),
    );
    for (const [status, body] of answers) {
      expect(status).toBe(200);
      expect(body).toMatchObject({ ok: true, status: { sky_installed: true, sky_version: STANDIN_SKY_VERSION } });
    }
    expect((await uvRuns(home)).filter((run) => run === 'tool install')).toHaveLength(1);

    const foreign = await fetch(`${url}/cluster/install-status`, { headers: { host: 'evil.example' } });
    expect(foreign.status).toBe(421);
  } finally {
    child.kill('SIGTERM');
  }
  const exit = await child;
  // Stopped by SIGTERM after its clean-up: 128 + 15, as for every command.
  expect(exit.exitCode).toBe(143);
  expect(String(exit.stderr)).toContain('stopping');
});

/** A port nothing listens on right now: bound on port 0, then released. */
async function freePort(): Promise<number> {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
  const port = probe.port!;
  await probe.stop(true);
  return port;
}

test('serve on a non-loopback host without CARAPACE_GATEKEEPER_TOKEN, or with one under 16 characters, exits 2, listens on nothing, and names the variable', async () => {
  const home = await tempHome('carapace-serve-open-');
  const { CARAPACE_GATEKEEPER_TOKEN: _unset, ...env } = process.env;
  for (const token of [null, 'a', 'fifteen-chars-x']) {
    const port = await freePort();
    // A serve that started would run until killed; the timeout turns that into a failed exit code.
    const exit = await execa(CLI, ['serve', '--host', '0.0.0.0', '--port', String(port)], {
      env: { ...env, CARAPACE_HOME: home, ...(token === null ? {} : { CARAPACE_GATEKEEPER_TOKEN: token }) },
      extendEnv: false,
      reject: false,
      timeout: 10_000,
    });
    expect({ token, exitCode: exit.exitCode }).toEqual({ token, exitCode: 2 });
    expect(String(exit.stderr)).toContain('CARAPACE_GATEKEEPER_TOKEN');
    expect(String(exit.stderr)).toMatch(/hint: .*at least 16 characters/);
    const reached = await fetch(`http://127.0.0.1:${port}/cluster/install-status`).then(() => true, () => false);
    expect(reached).toBe(false);
  }
}, 40_000);

test('serve on a non-loopback host with a token starts and asks for it', async () => {
  const home = await tempHome('carapace-serve-token-');
  const child = execa(CLI, ['serve', '--host', '0.0.0.0', '--port', '0'], {
    env: { ...process.env, CARAPACE_HOME: home, CARAPACE_GATEKEEPER_TOKEN: 'a-long-random-token-0123456789' },
    reject: false,
  });
  try {
    const url = await listeningUrl(child);
    const port = new URL(url).port;
    expect((await fetch(`http://127.0.0.1:${port}/cluster/install-status`)).status).toBe(401);
  } finally {
    child.kill('SIGHUP');
  }
  expect((await child).exitCode).toBe(129);
});
