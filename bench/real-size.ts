/**
 * `npm run bench -- real-size`: issue 14's goals at uv's real size, each against its reference
 * in one interleaved run (a busy neighbour slows every variant alike), medians reported.
 * Debian's nginx serves the releases on loopback as a user's mirror would; nginx, wrk and
 * curl are installed from Debian when missing.
 *   1. a 24 MB uv-shaped archive (uv itself is 24 MB of random bytes, as incompressible as
 *      the real binary, so `tar xz` and the installer write the same bytes): a whole
 *      `carapace-sky install` (stand-in uv, whose `tool install` takes no time) and the
 *      download actor alone, against `curl -s URL \\| tar xz`; goals ≤ 1.0× and ≤ 0.8×;
 *   2. a no-op `install` and `status --json` on an installed home against `bun -e 0`; ≤ 2.5×;
 *      beside them their floors: the same file system calls and output from one file
 *      (bench/_noop-floor.ts), which is what the product's structure is measured against;
 *   3. the download actor's peak RSS (VmHWM) for the 24 MB archive, a 100 MB one and a 30 GB
 *      gzip bomb; ≤ 100 MB each;
 *   4. GET /cluster/install-status on `carapace-sky serve` against a bare Bun.serve answering
 *      the same JSON, wrk with 8 connections; ≥ 0.5×.
 * Goal 5's guards (1,000 ensures, 500 SSE subscribers, RSS flat in archive size) are
 * bench/gatekeeper.ts and bench/download.ts, which `npm run bench` runs too.
 *
 *   bun bench/real-size.ts [--rounds N] [--only start]
 * `--only start` measures goal 2 alone (one install, no 100 MB or gzip-bomb releases).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { downloadUv } from '../actors/download-uv.ts';
import { settingsFromEnv } from '../installer/settings.ts';
import { gzipBomb, release, type Release } from './_archives.ts';
import { ensureDebianTools, startNginx } from './_nginx.ts';

const ROOT = resolve(import.meta.dir, '..');
const BUN = process.execPath;
const CLI = join(ROOT, 'adapters/cli/main.ts');
const FLOOR = join(ROOT, 'bench/_noop-floor.ts');
const MB = 1024 * 1024;
/** One observed download of uv 0.11 for x86_64 linux gnu (uv-skypilot-facts.md). */
const UV_ARCHIVE_BYTES = 24_284_812;

async function child(env: Record<string, string>): Promise<void> {
  const started = performance.now();
  let code = 'ok';
  try {
    await downloadUv({ settings: settingsFromEnv(env), deps: { fetch, now: Date.now }, report: () => {} }, new AbortController().signal);
  } catch (error) {
    code = (error as { code?: string }).code ?? 'thrown';
  }
  const ms = performance.now() - started;
  const status = await readFile('/proc/self/status', 'utf8');
  console.log(JSON.stringify({ ms, code, peakKb: Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]) }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const f = (n: number, d = 1) => n.toFixed(d);

function timed(cmd: string[], env: Record<string, string | undefined> = process.env): { ms: number; stdout: string } {
  const start = performance.now();
  const result = Bun.spawnSync(cmd, { env, stdout: 'pipe', stderr: 'pipe' });
  const ms = performance.now() - start;
  if (result.exitCode !== 0) throw new Error(`${cmd.join(' ')} failed: ${result.stderr.toString().slice(-500)}`);
  return { ms, stdout: result.stdout.toString() };
}

/** The download actor in a process of its own, through sh so its VmHWM owes nothing to ours. */
function actorRun(env: Record<string, string>): { ms: number; code: string; peakKb: number } {
  const { stdout } = timed(['sh', '-c', '"$@" & wait $!', 'sh', BUN, import.meta.path, '--child', JSON.stringify(env)]);
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
}

function printSamples(samples: Record<string, number[]>): void {
  console.log('\nall samples (ms):');
  for (const [name, xs] of Object.entries(samples)) console.log(`  ${name}: ${xs.map((x) => f(x)).join(' ')}`);
}

function wrk(url: string): number {
  const { stdout } = timed(['wrk', '-t2', '-c8', '-d3s', url]);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
}

/** A server process that prints its address first, on stdout or (the gatekeeper) stderr. */
async function server(cmd: string[], env: Record<string, string | undefined>, from: 'stdout' | 'stderr') {
  const proc = Bun.spawn(cmd, { env, stdout: from === 'stdout' ? 'pipe' : 'ignore', stderr: from === 'stderr' ? 'pipe' : 'inherit' });
  const stream = from === 'stdout' ? proc.stdout : proc.stderr;
  if (!(stream instanceof ReadableStream)) throw new Error('no pipe');
  const reader = stream.getReader();
  const { value } = await reader.read();
  const port = /127\.0\.0\.1:(\d+)/.exec(new TextDecoder().decode(value))?.[1];
  if (!port) throw new Error(`${cmd.join(' ')} printed no address`);
  // Keep reading, so a full pipe never blocks the server.
  void (async () => {
    while (!(await reader.read()).done);
  })();
  return { url: `http://127.0.0.1:${port}/cluster/install-status`, stop: () => proc.kill() };
}

async function main(): Promise<void> {
  const argRounds = process.argv.indexOf('--rounds');
  const rounds = argRounds > 0 ? Number(process.argv[argRounds + 1]) : Number(process.env.BENCH_ROUNDS ?? 11);
  const argOnly = process.argv.indexOf('--only');
  const only = argOnly > 0 ? process.argv[argOnly + 1] : undefined;
  if (only !== undefined && only !== 'start') throw new Error(`--only takes "start" (goal 2), not "${only}"`);
  const all = only === undefined;
  ensureDebianTools({ nginx: 'nginx', wrk: 'wrk', curl: 'curl' });
  const work = await mkdtemp(join(tmpdir(), 'bench-real-size-'));
  const root = join(work, 'mirror');
  console.log(all ? 'building releases (24 MB uv-shaped, 100 MB padded, a 30 GB gzip bomb) ...' : 'building the 24 MB uv-shaped release ...');
  const real = await release(root, '0.11.12', { uvBytes: UV_ARCHIVE_BYTES - 8 * 1024 });
  // Goal 3's archives; with --only start nothing reads them.
  const padded = all ? await release(root, '0.10.5', { padBytes: 100 * MB }) : real;
  const bomb = all ? await gzipBomb(root, '0.10.6', 128 * MB, 240) : real;
  const nginx = await startNginx(root);
  const envFor = (r: Release, home: string) => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    CARAPACE_HOME: home,
    CARAPACE_UV_VERSION: r.version,
    CARAPACE_UV_DOWNLOAD_BASE: nginx.base,
    CARAPACE_UV_SHA256: r.sha256,
  });
  const url = `${nginx.base}/${real.version}/${real.name}`;
  let homes = 0;
  const fresh = () => join(work, `home-${++homes}`);
  const installed = envFor(real, fresh());
  timed([BUN, CLI, 'install', '--json'], installed);

  try {
    // Goals 1 and 2, interleaved.
    const samples: Record<string, number[]> = {};
    const add = (name: string, ms: number) => (samples[name] ??= []).push(ms);
    const actorRss: number[] = [];
    for (let round = 0; round < rounds + 1; round++) {
      const keep = round > 0; // the first round warms the page cache and nginx
      if (all) {
        const dir = fresh();
        Bun.spawnSync(['mkdir', '-p', dir]);
        const curl = timed(['bash', '-o', 'pipefail', '-c', 'curl -s "$1" | tar xz -C "$2"', 'curl-tar', url, dir]).ms;
        const whole = envFor(real, fresh());
        const install = timed([BUN, CLI, 'install', '--json'], whole).ms;
        const actor = actorRun(envFor(real, fresh()));
        if (actor.code !== 'ok') throw new Error(`the download actor failed: ${actor.code}`);
        if (keep) {
          add('curl -s URL \\| tar xz', curl);
          add('carapace-sky install (fresh home)', install);
          add('download actor (in process)', actor.ms);
          actorRss.push(actor.peakKb);
        }
        for (const home of [dir, whole.CARAPACE_HOME]) await rm(home, { recursive: true, force: true });
      }
      const bare = timed([BUN, '-e', '0']).ms;
      const noop = timed([BUN, CLI, 'install', '--json'], installed).ms;
      const status = timed([BUN, CLI, 'status', '--json'], installed).ms;
      const noopFloor = timed([BUN, FLOOR, 'install'], installed).ms;
      const statusFloor = timed([BUN, FLOOR, 'status'], installed).ms;
      if (!keep) continue;
      add('bun -e 0', bare);
      add('carapace-sky install (installed home)', noop);
      add('carapace-sky status --json', status);
      add('floor: a no-op install in one file', noopFloor);
      add('floor: status in one file', statusFloor);
    }
    const m = (name: string) => median(samples[name] ?? []);
    const ratio = (a: string, b: string) => m(a) / m(b);
    const load = loadavg()[0] ?? 0;
    console.log(`\n${cpus().length} cores, ${f(totalmem() / 1024 ** 3, 0)} GiB, Bun ${Bun.version}, load average ${f(load)}; ${rounds} interleaved rounds, medians (wall ms)`);
    console.log(`archive: ${f(real.size / 1e6)} MB (${real.size} bytes; uv 0.11's is 24,284,812) from nginx on loopback\n`);
    console.log('| goal | measured (median) | ratio | target |');
    console.log('| --- | --- | --- | --- |');
    const row = (goal: string, a: string, b: string, target: string, ok: (r: number) => boolean) => {
      const r = ratio(a, b);
      console.log(`| ${goal} | ${a} ${f(m(a))} ms vs ${b} ${f(m(b))} ms | **${f(r, 2)}×** ${ok(r) ? 'met' : 'not met'} | ${target} |`);
    };
    if (all) {
      row('1 whole install', 'carapace-sky install (fresh home)', 'curl -s URL \\| tar xz', '≤ 1.0×', (r) => r <= 1.0);
      row('1 download actor', 'download actor (in process)', 'curl -s URL \\| tar xz', '≤ 0.8×', (r) => r <= 0.8);
    }
    row('2 no-op install', 'carapace-sky install (installed home)', 'bun -e 0', '≤ 2.5×', (r) => r <= 2.5);
    row('2 status', 'carapace-sky status --json', 'bun -e 0', '≤ 2.5×', (r) => r <= 2.5);
    const floor = (goal: string, a: string) => console.log(`| ${goal} | ${a} ${f(m(a))} ms vs bun -e 0 ${f(m('bun -e 0'))} ms | ${f(ratio(a, 'bun -e 0'), 2)}× | (reference) |`);
    floor('2 floor, no-op install', 'floor: a no-op install in one file');
    floor('2 floor, status', 'floor: status in one file');
    if (!all) {
      printSamples(samples);
      return;
    }

    // Goal 3: peak RSS of the download actor, whatever the archive.
    const big = actorRun(envFor(padded, fresh()));
    const bombed = actorRun(envFor(bomb, fresh()));
    const peaks = [median(actorRss), big.peakKb, bombed.peakKb].map((kb) => kb / 1024);
    console.log(
      `| 3 peak RSS | ${f(peaks[0] ?? NaN)} MB (24 MB archive), ${f(peaks[1] ?? NaN)} MB (100 MB), ${f(peaks[2] ?? NaN)} MB (30 GB bomb, ${bombed.code}) | ` +
        `${Math.max(...peaks) <= 100 ? 'met' : 'not met'} | ≤ 100 MB |`,
    );

    // Goal 4: the status route against a bare server with the same answer, alternating.
    const gatekeeper = await server([BUN, CLI, 'serve', '--port', '0'], installed, 'stderr');
    const body = await (await fetch(gatekeeper.url)).text();
    const bare = await server([BUN, '-e', `const s = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(${JSON.stringify(body)}, { headers: { 'content-type': 'application/json;charset=utf-8' } }) }); console.log('http://127.0.0.1:' + s.port);`], process.env, 'stdout');
    const ours: number[] = [];
    const theirs: number[] = [];
    try {
      for (let i = 0; i < (rounds > 1 ? 5 : 1); i++) {
        ours.push(wrk(gatekeeper.url));
        theirs.push(wrk(bare.url));
      }
    } finally {
      gatekeeper.stop();
      bare.stop();
    }
    const rps = median(ours) / median(theirs);
    console.log(`| 4 status route | ${f(median(ours), 0)} vs ${f(median(theirs), 0)} requests/s (bare Bun.serve), wrk -c8, 5 × 3 s | **${f(rps, 2)}×** ${rps >= 0.5 ? 'met' : 'not met'} | ≥ 0.5× |`);
    printSamples(samples);
  } finally {
    await nginx.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(JSON.parse(process.argv[3] ?? '{}'));
else await main().catch((error) => {
  console.error(error);
  process.exit(1);
});
