/** The command line as users of uv, rustup or Playwright expect it (issue 13 item 6, issue 15 item 7). */
import { describe, expect, test } from 'bun:test';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants } from 'node:os';
import { main, signalExitCode, STOP_SIGNALS } from '../../adapters/cli/main.ts';
import pkg from '../../package.json';

async function run(...argv: string[]) {
  const out = { stdout: '', stderr: '' };
  const io = {
    // A real temporary home: on the old parser `install now` ran an install.
    env: { CARAPACE_HOME: join(await mkdtemp(join(tmpdir(), 'carapace-args-')), 'home') },
    cwd: '/',
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
  };
  const code = await main(argv, io);
  return { code, ...out };
}

describe('carapace-sky command line', () => {
  test('--version prints the package version', async () => {
    expect(await run('--version')).toEqual({ code: 0, stdout: `carapace-sky ${pkg.version}\n`, stderr: '' });
  });

  test.each(['install', 'serve', 'uninstall', 'graph'])('%s --help prints that command\'s own help', async (command) => {
    const { code, stdout } = await run(command, '--help');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toStartWith(`Usage: carapace-sky ${command}`);
    expect(stdout).not.toContain('Commands:');
    expect((await run('help', command)).stdout).toBe(stdout);
  });

  test('an unknown command suggests the nearest one, exit 2', async () => {
    const { code, stderr } = await run('instal');
    expect(code).toBe(2);
    expect(stderr).toStartWith('carapace-sky: unknown command "instal"; did you mean "install"?\n');
    expect((await run('frobnicate')).stderr).not.toContain('did you mean');
  });

  test.each([
    [['install', '--json=yes'], 'install', '--json is a switch and takes no value'],
    [['serve', '--port', 'abc'], 'serve', '--port must be a port from 0 to 65535'],
    [['serve', '--port=70000'], 'serve', '--port must be a port'],
    [['status', '--all'], 'status', 'unknown option --all'],
    [['install', '--bogus'], 'install', 'unknown option --bogus'],
    [['graph', '--format', 'svg'], 'graph', '--format must be one of mermaid, dot, json'],
    [['which', 'extra'], 'which', 'unexpected argument "extra"'],
    [['install', 'now'], 'install', 'unexpected argument "now"'],
  ])('%j exits 2 with the message and that command\'s usage line', async (argv, command, message) => {
    const { code, stdout, stderr } = await run(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.split('\n');
    expect(lines[0]).toStartWith(`carapace-sky: ${message}`);
    expect(lines[1]).toStartWith(`Usage: carapace-sky ${command}`);
    expect(lines[2]).toBe(`Run 'carapace-sky ${command} --help' for more.`);
  });

  test('global flags go before or after the command', async () => {
    const elsewhere = join(await mkdtemp(join(tmpdir(), 'carapace-args-')), 'elsewhere');
    const { code, stdout } = await run('--home', elsewhere, 'status', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).carapace_home).toBe(elsewhere);
  });

  test('a stop signal exits 128 + its number on this platform', () => {
    // main.ts writes the four numbers down rather than load node:os for them.
    for (const signal of STOP_SIGNALS) expect(signalExitCode(signal)).toBe(128 + constants.signals[signal]);
  });
});
