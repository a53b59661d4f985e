/**
 * Where the CLI's output goes is not an install question: a reader that goes away ends the
 * output quietly, and a stdout that cannot be written is said on stderr with exit 74, never
 * mistaken for a network or disk problem of the install.
 */
import { describe, expect, test } from 'bun:test';
import { execa } from 'execa';
import { closeSync, openSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { CLI, runCli, tempHome } from './cli.ts';

describe('CLI output', () => {
  test('a reader that closes the pipe early (`| true`) ends the output quietly, exit 0', async () => {
    const home = await tempHome();
    // A real pipeline, so the CLI's own stdout is the pipe that loses its reader.
    const run = await execa('sh', ['-c', '{ "$0" graph; echo "rc=$?" >&2; } | true', CLI], {
      env: { ...process.env, CARAPACE_HOME: home },
      reject: false,
    });
    expect(run.stderr.trim()).toBe('rc=0');
  });

  test('a stdout that cannot be written (a full disk) exits 74 with the reason on stderr', async () => {
    const home = await tempHome();
    // The descriptor itself, so the child writes to /dev/full (execa would copy through a pipe).
    const full = openSync('/dev/full', 'w');
    const child = Bun.spawn([CLI, 'status', '--json'], { env: { ...process.env, CARAPACE_HOME: home }, stdout: full, stderr: 'pipe' });
    const [exitCode, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
    closeSync(full);
    expect(exitCode).toBe(74);
    expect(stderr).toContain('carapace-sky: cannot write to stdout: ENOSPC');
    expect(stderr).not.toContain('hint:');
  });

  test('status --json on a home it cannot trust prints exactly one object, the status fields plus error, and exits 1', async () => {
    const home = await tempHome();
    await mkdir(home);
    await chmod(home, 0o777);
    const run = await runCli(['status', '--json'], { CARAPACE_HOME: home });
    expect(run.exitCode).toBe(1);
    const lines = run.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      uv_installed: false,
      uv_version: null,
      sky_installed: false,
      sky_version: null,
      carapace_home: home,
      error: { code: 'home_not_trusted', phase: 'checking', message: expect.stringContaining(home), hint: expect.stringMatching(/./), detail: `path: ${home}` },
    });
    // The person reading stderr still gets the error as every command prints it.
    expect(run.stderr).toContain('error[home_not_trusted]');
  });
});
