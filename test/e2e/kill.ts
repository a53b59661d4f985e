/**
 * Kill -9 at a chosen moment, for the crash sweeps (crash.test.ts, upgrade-crash.test.ts): a
 * seeded PRNG picks "after the Nth progress line, then a few milliseconds", and the whole
 * process group of the CLI is killed, as when the app is force-quit or the OS kills it.
 */
import { execa } from 'execa';
import { CLI } from './cli.ts';

/** mulberry32: small, seedable, good enough to spread kill moments. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts `carapace-sky <args>` in its own process group and kills the group after `lines` progress lines plus `extraMs`. */
export async function runAndKill(args: string[], env: Record<string, string>, lines: number, extraMs: number) {
  const child = execa(CLI, args, {
    env: { ...process.env, CI: '1', ...env },
    detached: true,
    reject: false,
    stdin: 'ignore',
    buffer: false,
  });
  const seen: string[] = [];
  let killed = false;
  let pending = '';
  const kill = () => {
    if (killed) return;
    killed = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already ended.
    }
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      seen.push(line);
      if (seen.length === lines) setTimeout(kill, extraMs);
    }
  });
  if (lines === 0) setTimeout(kill, extraMs);
  const result = await child;
  const last = seen.map((l) => JSON.parse(l) as Record<string, unknown>).at(-1);
  return { killed: killed && result.signal === 'SIGKILL', lastPhase: (last?.phase as string | undefined) ?? 'start', lines: seen.length };
}
