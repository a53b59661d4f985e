/** `carapace-sky demo`: a full install into a temporary home that it removes, or keeps and names. */
import { describe, expect, test } from 'bun:test';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exists, jsonLines, runCli } from './cli.ts';

describe('carapace-sky demo', () => {
  test('--json: the install lines end with "SkyPilot ready" and {"ok":true}; the temporary home is removed', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'carapace-demo-test-'));
    const run = await runCli(['demo', '--json'], { TMPDIR: tmp });
    expect(run.exitCode).toBe(0);
    const { progress, result } = jsonLines(run.stdout);
    expect(progress.at(-1)).toMatchObject({ phase: 'complete', message: 'SkyPilot ready' });
    expect(result).toMatchObject({ ok: true, status: { sky_installed: true } });
    expect(await readdir(tmp)).toEqual([]);
    expect(run.stderr).toMatch(/Removed the temporary CARAPACE_HOME .*carapace-demo-/);
  }, 60_000);

  test('--keep keeps the home and says where it is', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'carapace-demo-test-'));
    const run = await runCli(['demo', '--keep'], { TMPDIR: tmp });
    expect(run.exitCode).toBe(0);
    const [home] = await readdir(tmp);
    expect(home).toStartWith('carapace-demo-');
    expect(run.stdout).toContain(`The temporary CARAPACE_HOME is kept at ${join(tmp, home!)}`);
    expect(await exists(join(tmp, home!, 'tools/bin/sky'))).toBe(true);
  }, 60_000);
});
