/**
 * A CARAPACE_HOME that is not a folder (a file, or a path under a file) is a setting to fix:
 * `invalid_config` naming it, exit 1, and the file the user owns left as it was.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLines, runCli } from '../e2e/cli.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function aFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'home-faults-'));
  dirs.push(dir);
  const file = join(dir, 'notes.txt');
  await writeFile(file, 'the user\'s own file\n');
  return file;
}

test.each([
  ['is a file', (file: string) => file],
  ['lies under a file', (file: string) => join(file, 'carapace')],
])('install with a CARAPACE_HOME that %s is invalid_config naming it, and the file is untouched', async (_, homeOf) => {
  const file = await aFile();
  const home = homeOf(file);
  // A dead mirror: nothing may be fetched before the home is usable.
  const run = await runCli(['install', '--json'], { CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: 'http://127.0.0.1:9' });
  expect(run.exitCode).toBe(1);
  const { result } = jsonLines(run.stdout);
  expect(result.error).toMatchObject({ code: 'invalid_config', phase: 'checking' });
  expect(result.error.message).toBe(`CARAPACE_HOME=${home} is not a folder: it or a folder above it is a file`);
  expect(result.error.hint).toContain('Fix the named setting');
  expect(await readFile(file, 'utf8')).toBe("the user's own file\n");
});

test('uninstall with a CARAPACE_HOME that is a file is invalid_config, not a bug', async () => {
  const file = await aFile();
  const run = await runCli(['uninstall'], { CARAPACE_HOME: file });
  expect(run.exitCode).toBe(1);
  expect(run.stderr).toContain('error[invalid_config]');
  expect(run.stderr).not.toContain('internal');
  expect(await readFile(file, 'utf8')).toBe("the user's own file\n");
});
