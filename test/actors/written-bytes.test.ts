/** The uv phase's work figure: bytes of files created or changed under some folders since a moment. */
import { afterAll, describe, expect, test } from 'bun:test';
import { appendFile, link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WrittenBytes } from '../../actors/written-bytes.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tree(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'written-bytes-'));
  dirs.push(dir);
  return dir;
}

/** Waits past the coarse clock file times come from, so "before" and "after" differ. */
const settle = () => Bun.sleep(50);
/** The moment, a little early: file times lag the wall clock by up to a kernel tick (as in install-skypilot.ts). */
const now = () => Date.now() - 20;

describe('WrittenBytes', () => {
  test('counts files written since the moment, deep or shallow, and nothing that was there before', async () => {
    const root = await tree();
    await mkdir(join(root, 'cache/old'), { recursive: true });
    await writeFile(join(root, 'cache/old/big.whl'), Buffer.alloc(500_000));
    await settle();
    const meter = new WrittenBytes([join(root, 'cache'), join(root, 'python'), join(root, 'env')], now());
    expect(await meter.measure()).toBe(0);
    await mkdir(join(root, 'cache/archive-v0/abc/pkg'), { recursive: true });
    await writeFile(join(root, 'cache/archive-v0/abc/pkg/__init__.py'), Buffer.alloc(70_000));
    await mkdir(join(root, 'python/cpython-3.12/bin'), { recursive: true });
    await writeFile(join(root, 'python/cpython-3.12/bin/python3'), Buffer.alloc(30_000));
    expect(await meter.measure()).toBe(100_000);
  });

  test('a file linked into the environment counts once; a file still growing counts as it grows', async () => {
    const root = await tree();
    await mkdir(join(root, 'cache'), { recursive: true });
    await mkdir(join(root, 'env'), { recursive: true });
    await settle();
    const meter = new WrittenBytes([join(root, 'cache'), join(root, 'env')], now());
    await writeFile(join(root, 'cache/wheel'), Buffer.alloc(10_000));
    await link(join(root, 'cache/wheel'), join(root, 'env/wheel'));
    expect(await meter.measure()).toBe(10_000);
    await appendFile(join(root, 'cache/wheel'), Buffer.alloc(5_000));
    expect(await meter.measure()).toBe(15_000);
    // Removed again (uv clears its temporary files): what was written stays counted.
    await rm(join(root, 'cache/wheel'));
    await rm(join(root, 'env/wheel'));
    expect(await meter.measure()).toBe(15_000);
  });

  test('each call walks only for its budget and the next resumes there, so a big tree is covered in steps', async () => {
    const root = await tree();
    await settle();
    const since = now();
    for (let i = 0; i < 20; i++) {
      await mkdir(join(root, `d${i}`), { recursive: true });
      await writeFile(join(root, `d${i}/f`), Buffer.alloc(1_000));
    }
    // A clock that moves half the budget per reading: one folder a call.
    let t = 0;
    const meter = new WrittenBytes([root], since, 2, () => (t += 1));
    const seen: number[] = [];
    for (let i = 0; i < 25; i++) seen.push(await meter.measure());
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(20_000);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(new Set(seen).size).toBeGreaterThan(10);
  });
});
