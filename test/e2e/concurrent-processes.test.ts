/**
 * Many processes installing into one CARAPACE_HOME at once (the app's gatekeeper, bin/setup
 * and a terminal): one download, one uv run, and every process ends with the same outcome.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { exists, jsonLines, mirrorEnv, runCli, tempHome, uvRuns } from './cli.ts';

let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror();
});
afterAll(async () => {
  await mirror.close();
});

const envFor = (home: string, extra: Record<string, string> = {}) => mirrorEnv(mirror, home, extra);
const uvRunCount = async (home: string, sub: string) => (await uvRuns(home)).filter((run) => run === sub).length;

const waiting = (progress: Array<Record<string, unknown>>) =>
  progress.some((p) => p.phase === 'checking' && /^waiting for another installer \(pid \d+\)$/.test(String(p.message)));

describe('installs from many processes at once', () => {
  test('8 processes: exactly one download and one uv install, all succeed with the same sky', async () => {
    const home = await tempHome('carapace-many-');
    const before = mirror.downloads();
    // A slow uv keeps the first holder busy while the others start, as on a real machine.
    const env = envFor(home, { STANDIN_UV_DELAY: '3' });
    const runs = await Promise.all(Array.from({ length: 8 }, () => runCli(['install', '--json'], env, 120_000)));

    for (const run of runs) expect({ exit: run.exitCode, stderr: run.stderr }).toEqual({ exit: 0, stderr: '' });
    const outputs = runs.map((run) => jsonLines(run.stdout));
    expect(new Set(outputs.map((o) => JSON.stringify(o.result))).size).toBe(1);
    expect(outputs[0]!.result).toMatchObject({ ok: true, sky_path: join(home, 'tools/bin/sky') });
    expect(mirror.downloads() - before).toBe(1);
    expect(await uvRunCount(home, 'tool install')).toBe(1);

    const workers = outputs.filter((o) => o.progress.some((p) => p.phase === 'installing_skypilot'));
    expect(workers).toHaveLength(1);
    // Everyone else said whom they waited for, and found SkyPilot installed once they got the lock.
    const others = outputs.filter((o) => !workers.includes(o));
    for (const other of others) {
      expect(waiting(other.progress)).toBe(true);
      expect([...new Set(other.progress.map((p) => p.phase))]).toEqual(['checking', 'complete']);
    }

    // One attempt did the work and kept a log; waiters that found it done left none.
    const logs = (await readdir(join(home, 'logs'))).filter((n) => n.endsWith('.log'));
    expect(logs).toHaveLength(1);
    expect(await readdir(join(home, 'staging'))).toEqual([]);
    expect(await exists(join(home, 'install.lock'))).toBe(false);
  }, 150_000);

  test('when the holder fails, the processes that waited for it end with its error instead of retrying', async () => {
    const home = await tempHome('carapace-many-fail-');
    const env = envFor(home, { STANDIN_UV_DELAY: '3', STANDIN_UV_FAIL: '1' });
    const runs = await Promise.all(Array.from({ length: 4 }, () => runCli(['install', '--json'], env, 120_000)));

    expect(runs.map((r) => r.exitCode)).toEqual([1, 1, 1, 1]);
    const results = runs.map((r) => jsonLines(r.stdout).result);
    for (const result of results) {
      expect(result).toMatchObject({ ok: false, error: { code: 'uv_install_failed', phase: 'installing_skypilot' } });
    }
    expect(await uvRunCount(home, 'tool install')).toBe(1);
    // Every error names the one log of the attempt that failed.
    const logs = (await readdir(join(home, 'logs'))).filter((n) => n.endsWith('.log'));
    expect(logs).toHaveLength(1);
    for (const result of results) expect(result.error.detail).toContain(join(home, 'logs', logs[0]!));
    const log = await readFile(join(home, 'logs', logs[0]!), 'utf8');
    expect(log).toContain('stand-in failure requested');

    // A later install is a fresh attempt, not the old failure.
    const again = await runCli(['install', '--json'], envFor(home));
    expect(again.exitCode).toBe(0);
    expect(await uvRunCount(home, 'tool install')).toBe(2);
  }, 150_000);
});
