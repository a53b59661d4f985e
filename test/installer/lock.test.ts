import { describe, expect, test } from 'bun:test';
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, readLock, staleReason, type LockOwner } from '../../installer/lock.ts';
import { InstallError } from '../../machines/errors.ts';

async function lockPath() {
  return join(await mkdtemp(join(tmpdir(), 'carapace-lock-')), 'install.lock');
}

/** A pid that surely names no process: one that has just exited. */
async function deadPid(): Promise<number> {
  const child = execa('true');
  const pid = child.pid!;
  await child;
  return pid;
}

function owner(over: Partial<LockOwner> = {}): LockOwner {
  return {
    pid: process.pid,
    host: hostname(),
    boot: null,
    token: 'other-token',
    started: new Date().toISOString(),
    purpose: 'install',
    ...over,
  };
}

async function plant(path: string, who: LockOwner, ageMs = 0) {
  await writeFile(path, JSON.stringify(who));
  const t = new Date(Date.now() - ageMs);
  await utimes(path, t, t);
}

const FAST = { heartbeatMs: 50, pollMs: 10 };

describe('install lock', () => {
  test('held while the lease lives, in a file naming this process; gone after release', async () => {
    const path = await lockPath();
    const lease = await acquireLock(path, { purpose: 'install' });
    const state = await readLock(path);
    expect(state?.owner).toMatchObject({ pid: process.pid, host: hostname(), token: lease.owner.token, purpose: 'install' });
    await lease.release();
    expect(await readLock(path)).toBeNull();
    // Only the lock itself was ever left in the folder: the private record is cleaned up.
    expect(await readdir(join(path, '..'))).toEqual([]);
  });

  test('a second acquirer waits, is told who holds it, and gets it after release', async () => {
    const path = await lockPath();
    const first = await acquireLock(path, FAST);
    const waitedFor: LockOwner[] = [];
    const second = acquireLock(path, { ...FAST, onWait: (h) => waitedFor.push(h) });
    let got = false;
    void second.then(() => (got = true));
    await Bun.sleep(100);
    expect(got).toBe(false);
    expect(waitedFor.map((h) => h.token)).toEqual([first.owner.token]);
    await first.release();
    const lease = await second;
    expect(lease.waitedOn.map((h) => h.token)).toEqual([first.owner.token]);
    expect((await readLock(path))?.owner?.token).toBe(lease.owner.token);
    await lease.release();
  });

  test('a lock whose holder died on this host is taken over at once', async () => {
    const path = await lockPath();
    await plant(path, owner({ pid: await deadPid() }));
    const lease = await acquireLock(path, { ...FAST, wait: false });
    expect((await readLock(path))?.owner?.token).toBe(lease.owner.token);
    await lease.release();
  });

  test('a lock from another host is respected while its heartbeat is fresh', async () => {
    const path = await lockPath();
    await plant(path, owner({ host: 'elsewhere.example', pid: await deadPid() }));
    const error = await acquireLock(path, { ...FAST, wait: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstallError);
    expect(error).toMatchObject({ code: 'locked', message: expect.stringContaining('on elsewhere.example') });
    expect((await readLock(path))?.owner?.host).toBe('elsewhere.example');
  });

  test('a lock from another host without a heartbeat for the stale time is taken over once watched still', async () => {
    const path = await lockPath();
    await plant(path, owner({ host: 'elsewhere.example' }), 3 * 60_000);
    const waited: LockOwner[] = [];
    const lease = await acquireLock(path, { ...FAST, confirmMs: 100, onWait: (h) => waited.push(h) });
    expect(waited.map((h) => h.host)).toEqual(['elsewhere.example']);
    expect((await readLock(path))?.owner?.token).toBe(lease.owner.token);
    await lease.release();
  });

  test('an old heartbeat alone, seen at first look (as after a laptop sleep), does not free a live holder', () => {
    const state = { owner: owner(), heartbeat: Date.now() - 10 * 60_000 };
    const base = { state, now: Date.now(), staleMs: 120_000, confirmMs: 30_000, host: hostname(), boot: null };
    expect(staleReason({ ...base, unchangedMs: 0 })).toBeNull();
    expect(staleReason({ ...base, unchangedMs: 31_000 })).toContain('no heartbeat');
    expect(staleReason({ ...base, state: { ...state, heartbeat: Date.now() }, unchangedMs: 31_000 })).toBeNull();
  });

  test('a holder from before a restart of this machine is stale whatever its pid', () => {
    const state = { owner: owner({ boot: 'boot-a' }), heartbeat: Date.now() };
    const reason = staleReason({ state, now: Date.now(), unchangedMs: 0, staleMs: 120_000, confirmMs: 30_000, host: hostname(), boot: 'boot-b', alive: () => true });
    expect(reason).toContain('restarted');
  });

  test('the heartbeat moves the lock file mtime forward', async () => {
    const path = await lockPath();
    const lease = await acquireLock(path, FAST);
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    await Bun.sleep(200);
    expect((await stat(path)).mtimeMs).toBeGreaterThan(Date.now() - 10_000);
    await lease.release();
  });

  test('a holder whose lock was taken over learns it at its next heartbeat, and release leaves the new lock', async () => {
    const path = await lockPath();
    const lease = await acquireLock(path, FAST);
    let lost = false;
    lease.onLost(() => (lost = true));
    await plant(path, owner({ token: 'usurper' }));
    for (let i = 0; i < 100 && !lost; i++) await Bun.sleep(20);
    expect(lost).toBe(true);
    expect(lease.lost).toBe(true);
    await lease.release();
    expect((await readLock(path))?.owner?.token).toBe('usurper');
  });

  test('stopping while waiting ends with code cancelled and takes nothing', async () => {
    const path = await lockPath();
    const holder = await acquireLock(path, FAST);
    const controller = new AbortController();
    const waiting = acquireLock(path, { ...FAST, signal: controller.signal }).catch((e: unknown) => e);
    await Bun.sleep(50);
    controller.abort();
    expect(await waiting).toMatchObject({ code: 'cancelled', message: expect.stringContaining(`pid ${process.pid}`) });
    expect((await readLock(path))?.owner?.token).toBe(holder.owner.token);
    await holder.release();
  });

  test('many acquirers racing over one stale lock: never two holders at a time, all served', async () => {
    const path = await lockPath();
    await plant(path, owner({ pid: await deadPid() }));
    let inside = 0;
    let most = 0;
    let served = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const lease = await acquireLock(path, FAST);
        inside++;
        most = Math.max(most, inside);
        await Bun.sleep(5);
        inside--;
        served++;
        await lease.release();
      }),
    );
    expect(most).toBe(1);
    expect(served).toBe(12);
    expect(await readLock(path)).toBeNull();
    expect((await readdir(join(path, '..'))).filter((n) => n !== 'install.lock')).toEqual([]);
  });

  test('a garbled lock file is respected until it is old, then taken over', async () => {
    const path = await lockPath();
    await writeFile(path, 'not json');
    expect(await acquireLock(path, { ...FAST, wait: false }).catch((e: unknown) => (e as InstallError).code)).toBe('locked');
    const t = new Date(Date.now() - 3 * 60_000);
    await utimes(path, t, t);
    const lease = await acquireLock(path, { ...FAST, confirmMs: 50 });
    expect(JSON.parse(await readFile(path, 'utf8')).token).toBe(lease.owner.token);
    await lease.release();
  });
});

describe('a failed lock write', () => {
  test('a write that fails half-way (file size limit, as on a full disk) leaves no install.lock.*.tmp', async () => {
    const path = await lockPath();
    const dir = join(path, '..');
    // RLIMIT_FSIZE 0: creating the record succeeds, writing its bytes fails (EFBIG), the same
    // point where ENOSPC strikes. SIGXFSZ is ignored so the write fails instead of killing Bun.
    const script = `import { acquireLock } from ${JSON.stringify(join(import.meta.dir, '../../installer/lock.ts'))};
      await acquireLock(${JSON.stringify(path)}).then(() => process.exit(0), (e) => { console.error(e.code); process.exit(3); });`;
    const run = await execa('/bin/sh', ['-c', 'trap "" XFSZ; ulimit -f 0; exec "$0" -e "$1"', process.execPath, script], { reject: false });
    expect(run.stderr.trim()).toBe('EFBIG');
    expect(run.exitCode).toBe(3);
    expect(await readdir(dir)).toEqual([]);
  });
});
