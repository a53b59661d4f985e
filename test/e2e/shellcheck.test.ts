/**
 * Every shell script in the repository passes Debian's shellcheck at its default severity
 * (style and up). Scripts are found by name or shebang, so a new one is checked without
 * being listed here.
 */
import { expect, test } from 'bun:test';
import { execa } from 'execa';
import { open, readdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '../..');
const SKIP = new Set(['node_modules', '.git', '.artifacts']);
const SHELL_SHEBANG = /^#!\s*(\/usr\/bin\/env\s+)?(\/(usr\/)?bin\/)?(sh|bash|dash|ksh)\b/;

async function firstLine(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(128);
    const { bytesRead } = await file.read(buffer, 0, 128, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '';
  } finally {
    await file.close();
  }
}

async function shellScripts(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await shellScripts(path)));
    else if (entry.isFile() && (/\.(sh|bash)$/.test(entry.name) || SHELL_SHEBANG.test(await firstLine(path)))) found.push(path);
  }
  return found;
}

test('shellcheck finds nothing in any shell script', async () => {
  const scripts = (await shellScripts(ROOT)).map((p) => relative(ROOT, p)).sort();
  // The scripts the issue names must be among those found, or the search above is broken.
  expect(scripts).toEqual(expect.arrayContaining(['bin/setup', 'bin/carapace-sky', '.ci/run']));
  const run = await execa('shellcheck', ['--format=gcc', ...scripts], { cwd: ROOT, reject: false, timeout: 60_000 });
  if (run.failed && run.exitCode === undefined) throw new Error(`shellcheck did not run: ${run.message} (apt-get install shellcheck)`);
  expect(String(run.stdout)).toBe('');
  expect(run.exitCode).toBe(0);
}, 90_000);
