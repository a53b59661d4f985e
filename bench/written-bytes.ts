/**
 * `npm run bench -- written-bytes`: what the uv phase's sign of life costs on a big cache
 * (actors/written-bytes.ts). A synthetic uv cache of BENCH_DIRS folders of 10 files each
 * (default 5,000 folders, 50,000 files: the order of a cache that holds a few SkyPilot
 * installs), all older than the phase; then "uv" unpacks 200 new folders of 10 files.
 * Reports the time of each measure() call (goal: about its 25 ms budget, p99 under 50 ms),
 * how many calls (one a second) pass until the new bytes are all counted (the lag), and what
 * one full scan of the tree would cost each second instead.
 */
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WrittenBytes } from '../actors/written-bytes.ts';

const DIRS = Number(process.env.BENCH_DIRS ?? 5_000);
const NEW_DIRS = 200;
const FILES = 10;
const SIZE = 1_000;

const root = await mkdtemp(join(tmpdir(), 'carapace-bench-written-'));
const cache = join(root, 'cache');

async function unpack(prefix: string, count: number): Promise<void> {
  for (let d = 0; d < count; d++) {
    const dir = join(cache, 'archive-v0', `${prefix}${d}`, 'pkg');
    await mkdir(dir, { recursive: true });
    await Promise.all(Array.from({ length: FILES }, (_, f) => writeFile(join(dir, `m${f}.py`), Buffer.alloc(SIZE))));
  }
}

async function fullScan(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await fullScan(path);
    else total += (await lstat(path)).size;
  }
  return total;
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

try {
  let t = performance.now();
  await unpack('old', DIRS);
  console.log(`cache: ${DIRS} folders, ${DIRS * FILES} files, built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await Bun.sleep(50);
  const meter = new WrittenBytes([cache, join(root, 'python'), join(root, 'env')], Date.now() - 20);
  const times: number[] = [];
  const call = async () => {
    const start = performance.now();
    const bytes = await meter.measure();
    times.push(performance.now() - start);
    return bytes;
  };
  // uv has been at work a few seconds before it unpacks anything new.
  for (let i = 0; i < 5; i++) await call();
  await unpack('new', NEW_DIRS);
  const want = NEW_DIRS * FILES * SIZE;
  let calls = 0;
  while ((await call()) < want && calls < 10_000) calls++;
  t = performance.now();
  const scanned = await fullScan(cache);
  const scan = performance.now() - t;
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`measure(): ${times.length} calls, p50 ${pct(sorted, 0.5).toFixed(1)} ms, p99 ${pct(sorted, 0.99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
  console.log(`new bytes (${want}) all counted after ${calls + 1} calls (at one a second: ${calls + 1} s)`);
  console.log(`one full scan of the tree: ${scan.toFixed(0)} ms (${scanned} bytes), each second, instead`);
  process.exitCode = pct(sorted, 0.99) < 50 ? 0 : 1;
} finally {
  await rm(root, { recursive: true, force: true });
}
