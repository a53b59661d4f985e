/**
 * The launch's task copy (installer/task-file.ts): private, byte for byte, and the only files
 * it ever removes are its own copies left by a service that died.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_TASK_BYTES, snapshotTask, TaskFileError } from '../../installer/task-file.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'carapace-taskfile-'));
  dirs.push(dir);
  return dir;
}

async function deadPid(): Promise<number> {
  const child = execa('true');
  const pid = child.pid!;
  await child;
  return pid;
}

describe('snapshotTask', () => {
  test('copies the bytes to a 0600 file in a 0700 run/ folder, and remove() deletes only that copy', async () => {
    const home = await temp();
    const task = join(await temp(), 'task.yaml');
    const bytes = 'run: echo é\n# \u00ff\n';
    await writeFile(task, bytes);
    const taken = await snapshotTask(task, home);
    expect(taken.copy).toMatch(new RegExp(`^${home}/run/launch-${process.pid}-[0-9a-f]{16}\\.yaml$`));
    expect(await readFile(taken.copy, 'utf8')).toBe(bytes);
    expect((await stat(taken.copy)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'run'))).mode & 0o777).toBe(0o700);
    expect(taken.cwd).toBe(join(task, '..'));
    await writeFile(join(home, 'run', 'notes.txt'), 'mine');
    await taken.remove();
    expect(await readdir(join(home, 'run'))).toEqual(['notes.txt']);
  });

  test('sweeps only its own copies whose process died over an hour ago', async () => {
    const home = await temp();
    const run = join(home, 'run');
    await mkdir(run, { mode: 0o700 });
    const dead = await deadPid();
    const old = new Date(Date.now() - 2 * 3600_000);
    const names = {
      stale: `launch-${dead}-0123456789abcdef.yaml`,
      staleTmp: `launch-${dead}-0123456789abcdef.yaml.tmp`,
      recent: `launch-${dead}-fedcba9876543210.yaml`,
      foreign: `launch-${dead}-notours.yaml`,
      note: 'notes.txt',
    };
    for (const name of Object.values(names)) {
      await writeFile(join(run, name), 'x');
      if (name !== names.recent) await utimes(join(run, name), old, old);
    }
    const task = join(await temp(), 'task.yaml');
    await writeFile(task, 'run: x\n');
    const taken = await snapshotTask(task, home);
    await taken.remove();
    expect((await readdir(run)).sort()).toEqual([names.foreign, names.recent, names.note].sort());
  });

  test('a task over 1 MiB is refused as invalid_request, and nothing is copied', async () => {
    const home = await temp();
    const task = join(await temp(), 'task.yaml');
    await writeFile(task, Buffer.alloc(MAX_TASK_BYTES + 1, 0x61));
    const error = await snapshotTask(task, home).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFileError);
    expect((error as TaskFileError).code).toBe('invalid_request');
    expect(await readdir(home)).toEqual([]);
  });

  test('a FIFO is refused before it is opened: a writer waiting on it is never woken (F8)', async () => {
    const dir = await temp();
    const fifo = join(dir, 'task.yaml');
    await execa('mkfifo', ['-m', '600', fifo]);
    // The shell's open for writing returns only once some process opens the FIFO for reading.
    const writer = execa('sh', ['-c', ': > "$1"; echo woken', 'sh', fifo], { reject: false });
    const error = await snapshotTask(fifo, await temp()).catch((e: unknown) => e);
    expect((error as TaskFileError).code).toBe('invalid_request');
    const woken = await Promise.race([writer.then((r) => r.stdout === 'woken'), Bun.sleep(500).then(() => false)]);
    writer.kill('SIGKILL');
    await writer;
    expect(woken).toBe(false);
  });

  test('paths in /proc, /sys and /dev are refused as invalid_request, also through a link (F4)', async () => {
    const link = join(await temp(), 'task.yaml');
    await symlink('/proc/self/environ', link);
    for (const task of ['/proc/self/environ', '/dev/null', '/sys/kernel/mm/../../power/state', link]) {
      const error = await snapshotTask(task, await temp()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskFileError);
      expect({ task, code: (error as TaskFileError).code, message: (error as TaskFileError).message }).toEqual({
        task,
        code: 'invalid_request',
        message: `the task file ${task} is under /proc, /sys or /dev, which hold no task files`,
      });
    }
  });
});
