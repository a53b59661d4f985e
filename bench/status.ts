/**
 * `npm run bench -- status`: how fast status is, the thing the app asks most often.
 * 1. A fresh `carapace-sky status --json` process (through `bun adapters/cli/main.ts` and
 *    through the bin/carapace-sky launcher) against a bare `bun -e 0` start; goal ≤ 1.5×.
 *    Two floors frame it: a TypeScript file that only prints a line, and _status-floor.ts,
 *    the same reads and checks as status in one file with nothing else.
 * 2. In-process `getInstallStatus()`: the first (cold) call, then p50 and p99 over many calls.
 * The home is a real install from the loopback stand-in mirror, so status reads the same
 * files as on a user's machine (receipt, METADATA, link, uv version cache). Runs are
 * interleaved so a busy neighbour slows every variant alike; medians are reported.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getInstallStatus } from '../actors/check.ts';
import { createInstaller } from '../installer/installer.ts';
import { settingsFromEnv } from '../installer/settings.ts';
import { startMirror } from '../demo/mirror.ts';

const ROOT = resolve(import.meta.dir, '..');
const BUN = process.execPath;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const CALLS = Number(process.env.BENCH_CALLS ?? 2000);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { min: sorted[0]!, p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99) };
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

const mirror = await startMirror();
const home = join(await mkdtemp(join(tmpdir(), 'carapace-bench-status-')), 'home');
const env = { ...process.env, CARAPACE_HOME: home, CARAPACE_UV_DOWNLOAD_BASE: mirror.base, CARAPACE_UV_SHA256: mirror.sha256() };
const settings = settingsFromEnv(env);
const installed = await createInstaller({ settings }).ensureSkypilot();
await mirror.close();
if (!installed.ok) throw new Error(`bench setup failed: ${installed.error.message}`);

// The floor for any TypeScript entry on this runtime: a file that only prints a line, the way
// status does (Bun's file sink on fd 1; process.stdout alone costs ~10 ms).
const floor = join(home, '..', 'floor.ts');
await Bun.write(floor, `const out = Bun.stdout.writer();\nout.write('{}\\n');\nout.flush();\n`);
const emptyHome = join(home, '..', 'empty-home');

const variants: Array<{ name: string; cmd: string[]; env?: Record<string, string | undefined> }> = [
  { name: 'bun -e 0', cmd: [BUN, '-e', '0'] },
  { name: 'floor: bun <prints a line>.ts', cmd: [BUN, floor] },
  { name: 'floor: bun bench/_status-floor.ts (least complete status)', cmd: [BUN, join(ROOT, 'bench/_status-floor.ts')] },
  { name: 'bun adapters/cli/main.ts status --json', cmd: [BUN, join(ROOT, 'adapters/cli/main.ts'), 'status', '--json'] },
  { name: 'bin/carapace-sky status --json', cmd: [join(ROOT, 'bin/carapace-sky'), 'status', '--json'] },
  {
    name: 'bin/carapace-sky status --json (nothing installed)',
    cmd: [join(ROOT, 'bin/carapace-sky'), 'status', '--json'],
    env: { ...env, CARAPACE_HOME: emptyHome },
  },
];
const samples = new Map(variants.map((v) => [v.name, [] as number[]]));
for (let round = 0; round < ROUNDS + 3; round++) {
  for (const v of variants) {
    const start = performance.now();
    const result = Bun.spawnSync(v.cmd, { env: v.env ?? env, stdout: 'pipe', stderr: 'pipe' });
    const took = performance.now() - start;
    if (result.exitCode !== 0) throw new Error(`${v.name} failed: ${result.stderr.toString()}`);
    if (v.name.includes('status') && JSON.parse(result.stdout.toString()).sky_installed !== !v.env) throw new Error(`${v.name}: wrong answer`);
    if (round >= 3) samples.get(v.name)!.push(took); // the first rounds warm the page cache
  }
}
const base = summary(samples.get('bun -e 0')!).p50;
console.log(`Fresh processes, ${ROUNDS} interleaved runs each (wall time, spawn to exit):`);
console.log('| command | p50 | p90 | min | p50 vs bun -e 0 |');
console.log('| --- | --- | --- | --- | --- |');
for (const v of variants) {
  const s = summary(samples.get(v.name)!);
  console.log(`| \`${v.name}\` | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.min)} | ${(s.p50 / base).toFixed(2)}× |`);
}

const coldStart = performance.now();
await getInstallStatus(settings);
const cold = performance.now() - coldStart;
const calls: number[] = [];
for (let i = 0; i < CALLS; i++) {
  const start = performance.now();
  await getInstallStatus(settings);
  calls.push(performance.now() - start);
}
const inProcess = summary(calls);
console.log(`\nIn-process getInstallStatus(), ${CALLS} calls after one first call of ${ms(cold)}:`);
console.log(`p50 ${ms(inProcess.p50)}, p99 ${ms(inProcess.p99)}, min ${ms(inProcess.min)}`);
const ratio = summary(samples.get('bun adapters/cli/main.ts status --json')!).p50 / base;
console.log(`\nGoal: status ≤ 1.5× bun -e 0 → ${ratio <= 1.5 ? 'met' : 'not met'} (${ratio.toFixed(2)}×)`);
