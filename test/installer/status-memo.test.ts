/**
 * The status memo (installer/status-memo.ts) over a real install from the stand-in, both ways it
 * can learn of a change: the inotify watch, and, where there is none, a stat of every path on
 * each call. Either way a change is read again on the very next call, and nothing else is.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { lstatSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getInstallStatus } from '../../actors/check.ts';
import { inotifyWatch, type DiskWatch } from '../../installer/disk-watch.ts';
import { memoizedStatus, type MemoDeps } from '../../installer/status-memo.ts';
import { statusSettingsFromEnv } from '../../installer/status-settings.ts';
import { mirrorRig, type Rig } from '../adapters/http-harness.ts';

let rig: Rig;
let receipt: string;

beforeAll(async () => {
  rig = await mirrorRig();
  const out = await rig.installer.ensureSkypilot();
  if (!out.ok) throw new Error(out.error.message);
  receipt = join(rig.home, 'tools/environments/skypilot-nightly/uv-receipt.toml');
});
afterAll(async () => {
  await rig.close();
});

/** The receipt rewritten in place: same folder entries, new size and times. */
const touchReceipt = async () => writeFile(receipt, (await readFile(receipt, 'utf8')) + '\n');

/** A memo over the real check that counts its reads and its stats. */
function counted(deps: MemoDeps, during?: () => Promise<unknown>) {
  const counts = { reads: 0, stats: 0 };
  const status = memoizedStatus(
    async (s: ReturnType<typeof statusSettingsFromEnv>) => {
      counts.reads++;
      const answer = await getInstallStatus(s);
      await during?.();
      return answer;
    },
    { ...deps, lstat: (path, opts) => (counts.stats++, lstatSync(path, opts)) },
  );
  return { status, counts, settings: statusSettingsFromEnv({ CARAPACE_HOME: rig.home }) };
}

const MODES: [string, MemoDeps['watch']][] = [
  ['the inotify watch', inotifyWatch],
  ['stats only (no watch)', () => null],
];

describe.each(MODES)('memoizedStatus with %s', (_mode, watch) => {
  test('reads the disk again only when a path it depends on changed', async () => {
    const { status, counts, settings } = counted({ watch });
    try {
      const first = await status(settings);
      expect(await status(settings)).toEqual(first);
      expect(await status(settings)).toEqual(first);
      expect(counts.reads).toBe(1);
      await touchReceipt();
      await status(settings);
      expect(counts.reads).toBe(2);
      await status(settings);
      expect(counts.reads).toBe(2);
      // Another home is another answer.
      await status(statusSettingsFromEnv({ CARAPACE_HOME: join(rig.home, 'elsewhere') }));
      expect(counts.reads).toBe(3);
    } finally {
      status.close();
    }
  });

  test('calls that come while it reads share that read', async () => {
    const { status, counts, settings } = counted({ watch });
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, () => status(settings)));
      expect(counts.reads).toBe(1);
      expect(new Set(answers).size).toBe(1);
    } finally {
      status.close();
    }
  });

  test('a change made while it reads is read again by the next call', async () => {
    let change = true;
    const { status, counts, settings } = counted({ watch }, async () => {
      if (change) await touchReceipt();
      change = false;
    });
    try {
      await status(settings);
      await status(settings);
      expect(counts.reads).toBe(2);
      await status(settings);
      expect(counts.reads).toBe(2);
    } finally {
      status.close();
    }
  });

  test('no descriptor is left behind however often the disk changes; close() releases the watch', async () => {
    const openFds = () => readdirSync('/proc/self/fd').length;
    const before = openFds();
    const { status, counts, settings } = counted({ watch });
    for (let i = 0; i < 100; i++) {
      await touchReceipt();
      await status(settings);
    }
    expect(counts.reads).toBe(100);
    expect(openFds()).toBeLessThanOrEqual(before + 2); // the inotify queue and the mount table
    status.close();
    expect(openFds()).toBe(before);
  });
});

test('a watch that cannot be made is asked for once, not again on every read of the disk', async () => {
  let asked = 0;
  const { status, counts, settings } = counted({ watch: () => (asked++, null) });
  try {
    for (let i = 0; i < 3; i++) {
      await touchReceipt();
      await status(settings);
    }
    expect([counts.reads, asked]).toEqual([3, 1]);
  } finally {
    status.close();
  }
});

describe('memoizedStatus with the inotify watch', () => {
  test('a call that finds nothing changed costs one poll, not one stat; without the watch, a stat per path', async () => {
    const watched = counted({ watch: inotifyWatch });
    const statted = counted({ watch: () => null });
    try {
      for (const { status, settings } of [watched, statted]) await status(settings);
      watched.counts.stats = statted.counts.stats = 0;
      for (const { status, settings } of [watched, statted]) for (let i = 0; i < 10; i++) await status(settings);
      expect(watched.counts.stats).toBe(0);
      expect(statted.counts.stats).toBeGreaterThanOrEqual(10 * 20);
      expect([watched.counts.reads, statted.counts.reads]).toEqual([1, 1]);
    } finally {
      watched.status.close();
      statted.status.close();
    }
  });

  test('a change made before the watches took hold is read again by the next call, though it is no event', async () => {
    const real = inotifyWatch()!;
    let change = true;
    // The receipt rewritten after the identities were taken and before the watches exist.
    const racing: DiskWatch = {
      arm(targets) {
        if (change) Bun.spawnSync(['sh', '-c', 'echo >> "$1"', 'sh', receipt]);
        change = false;
        return real.arm(targets);
      },
      quiet: () => real.quiet(),
      close: () => real.close(),
    };
    const { status, counts, settings } = counted({ watch: () => racing });
    try {
      await status(settings);
      await status(settings);
      expect(counts.reads).toBe(2);
      await status(settings);
      expect(counts.reads).toBe(2);
      expect(counts.stats).toBeGreaterThan(0); // taken on the two reads, none since
    } finally {
      status.close();
    }
  });
});
