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
 *   3. the download actor's peak RSS (VmHWM) for the 24 MB archive, a 100 MB one and a 30 GB
 *      gzip bomb; ≤ 100 MB each;
 *   4. GET /cluster/install-status on `carapace-sky serve` against a bare Bun.serve answering
 *      the same JSON, wrk with 8 connections; ≥ 0.5×.
 * Goal 5's guards (1,000 ensures, 500 SSE subscribers, RSS flat in archive size) are
 * bench/gatekeeper.ts and bench/download.ts, which `npm run bench` runs too.
 *
 *   bun bench/real-size.ts [--rounds N] [--only start|route]
 * `--only start` measures goal 2 alone, with its one-file floor (bench/_noop-floor.ts);
 * `--only route` runs goal 4 alone. Both still install once from the 24 MB release.
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
/** The same file system calls as a status or a no-op install, in one file: goal 2's floor. */
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

interface Setup {
  rounds: number;
  root: string;
  real: Release;
  url: string;
  envFor: (r: Release, home: string) => Record<string, string>;
  installed: Record<string, string>;
  fresh: () => string;
}

/**
 * A whole install, and when each of its phases began (ms from spawn), read from its `--json`
 * lines as they arrive: the first line naming a phase opens it. So the fixed costs (start and
 * imports before `checking`, the stand-in's own `tool install`) can be told from the rest.
 */
async function phasedInstall(env: Record<string, string>): Promise<{ ms: number; phases: Record<string, number> }> {
  const start = performance.now();
  const proc = Bun.spawn([BUN, CLI, 'install', '--json'], { env, stdout: 'pipe', stderr: 'pipe' });
  const phases: Record<string, number> = {};
  const decoder = new TextDecoder();
  const reader = proc.stdout.getReader();
  let pending = '';
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    const at = performance.now() - start;
    pending += decoder.decode(read.value, { stream: true });
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const phase = (JSON.parse(pending.slice(0, nl)) as { phase?: string }).phase;
      pending = pending.slice(nl + 1);
      if (phase && !(phase in phases)) phases[phase] = at;
    }
  }
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  const ms = performance.now() - start;
  if (code !== 0) throw new Error(`install failed (exit ${code}): ${stderr.slice(-500)}`);
  return { ms, phases };
}

/** The stand-in's `uv tool install` alone, with the folders the installer gives it (actors/uv-env.ts). */
function standinToolInstall(uv: string, scratch: string): number {
  return timed([uv, 'tool', 'install', '--python', '3.12', '--with', 'pip', 'skypilot-nightly[aws]'], {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    UV_TOOL_DIR: join(scratch, 'tools'),
    UV_TOOL_BIN_DIR: join(scratch, 'bin'),
    UV_PYTHON_INSTALL_DIR: join(scratch, 'python'),
    UV_CACHE_DIR: join(scratch, 'cache'),
    UV_NO_PROGRESS: '1',
    UV_PYTHON_PREFERENCE: 'only-managed',
  }).ms;
}

const PHASES = ['checking', 'downloading_uv', 'installing_skypilot', 'verifying', 'complete'] as const;
/** Sample names of the whole install's parts, indented under it in the footer. */
const PART = '  ';

/** The whole install by phase: where its time goes, and what is left without the stand-in's own work. */
function breakdown(samples: Record<string, number[]>): void {
  const m = (name: string) => median(samples[name] ?? []);
  console.log('\n| whole install, by phase (median ms) | ms |\n| --- | --- |');
  for (const name of Object.keys(samples).filter((n) => n.startsWith(PART))) console.log(`| ${name.trim()} | ${f(m(name))} |`);
  const own = m('carapace-sky install (fresh home)') - m(`${PART}the stand-in's tool install alone`);
  console.log(`\nwhole install less the stand-in's own tool install: ${f(own)} ms = **${f(own / m('curl -s URL \\| tar xz'), 2)}×** curl | tar`);
}

function header(rounds: number, what: string): void {
  console.log(`\n${cpus().length} cores, ${f(totalmem() / 1024 ** 3, 0)} GiB, Bun ${Bun.version}, load average ${f(loadavg()[0] ?? 0)}; ${rounds} interleaved rounds, ${what}`);
}

/**
 * Goals 1 and 2 interleaved, then goal 3; only goal 2 (with its floor) when `all` is false.
 * Returns every sample for the footer.
 */
async function goalsOneToThree({ rounds, root, real, url, envFor, installed, fresh }: Setup, all: boolean): Promise<Record<string, number[]>> {
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
      const { ms: install, phases } = await phasedInstall(whole);
      const scratch = fresh();
      const standin = standinToolInstall(join(installed.CARAPACE_HOME!, 'uv/bin/uv'), scratch);
      const actor = actorRun(envFor(real, fresh()));
      if (actor.code !== 'ok') throw new Error(`the download actor failed: ${actor.code}`);
      if (keep) {
        add('curl -s URL \\| tar xz', curl);
        add('carapace-sky install (fresh home)', install);
        add(`${PART}start and imports (spawn to checking)`, phases.checking ?? NaN);
        PHASES.slice(0, -1).forEach((phase, i) => add(`${PART}${phase}`, (phases[PHASES[i + 1]!] ?? NaN) - (phases[phase] ?? NaN)));
        add(`${PART}complete to exit`, install - (phases.complete ?? NaN));
        add(`${PART}the stand-in's tool install alone`, standin);
        add('download actor (in process)', actor.ms);
        actorRss.push(actor.peakKb);
      }
      for (const home of [dir, whole.CARAPACE_HOME!, scratch]) await rm(home, { recursive: true, force: true });
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
  header(rounds, all ? 'medians (wall ms)' : 'goal 2 only, medians (wall ms)');
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
  if (!all) return samples;

  // Goal 3: peak RSS of the download actor, whatever the archive.
  console.log('building the 100 MB padded release and a 30 GB gzip bomb ...');
  const padded = await release(root, '0.10.5', { padBytes: 100 * MB });
  const bomb = await gzipBomb(root, '0.10.6', 128 * MB, 240);
  const big = actorRun(envFor(padded, fresh()));
  const bombed = actorRun(envFor(bomb, fresh()));
  const peaks = [median(actorRss), big.peakKb, bombed.peakKb].map((kb) => kb / 1024);
  console.log(
    `| 3 peak RSS | ${f(peaks[0] ?? NaN)} MB (24 MB archive), ${f(peaks[1] ?? NaN)} MB (100 MB), ${f(peaks[2] ?? NaN)} MB (30 GB bomb, ${bombed.code}) | ` +
      `${Math.max(...peaks) <= 100 ? 'met' : 'not met'} | ≤ 100 MB |`,
  );
  return samples;
}

/** Goal 4: the status route against a bare server with the same answer, alternating. */
async function goalFour({ rounds, installed }: Setup): Promise<void> {
  const gatekeeper = await server([BUN, CLI, 'serve', '--port', '0'], installed, 'stderr');
  const body = await (await fetch(gatekeeper.url)).text();
  const bare = await server([BUN, '-e', `const s = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(${JSON.stringify(body)}, { headers: { 'content-type': 'application/json;charset=utf-8' } }) }); console.log('http://127.0.0.1:' + s.port);`], process.env, 'stdout');
  const ours: number[] = [];
  const theirs: number[] = [];
  const pairs = rounds > 1 ? 5 : 1;
  try {
    for (let i = 0; i < pairs; i++) {
      ours.push(wrk(gatekeeper.url));
      theirs.push(wrk(bare.url));
    }
  } finally {
    gatekeeper.stop();
    bare.stop();
  }
  const rps = median(ours) / median(theirs);
  console.log(`| 4 status route | ${f(median(ours), 0)} vs ${f(median(theirs), 0)} requests/s (bare Bun.serve), wrk -c8, ${pairs} × 3 s | **${f(rps, 2)}×** ${rps >= 0.5 ? 'met' : 'not met'} | ≥ 0.5× |`);
}

async function main(): Promise<void> {
  const argRounds = process.argv.indexOf('--rounds');
  const rounds = argRounds > 0 ? Number(process.argv[argRounds + 1]) : Number(process.env.BENCH_ROUNDS ?? 11);
  const argOnly = process.argv.indexOf('--only');
  const only = argOnly > 0 ? process.argv[argOnly + 1] : undefined;
  if (only !== undefined && only !== 'start' && only !== 'route') throw new Error(`--only takes "start" (goal 2) or "route" (goal 4), not "${only}"`);
  ensureDebianTools({ nginx: 'nginx', wrk: 'wrk', curl: 'curl' });
  const work = await mkdtemp(join(tmpdir(), 'bench-real-size-'));
  const root = join(work, 'mirror');
  console.log('building the 24 MB uv-shaped release ...');
  const real = await release(root, '0.11.12', { uvBytes: UV_ARCHIVE_BYTES - 8 * 1024 });
  const nginx = await startNginx(root);
  const envFor = (r: Release, home: string) => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    CARAPACE_HOME: home,
    CARAPACE_UV_VERSION: r.version,
    CARAPACE_UV_DOWNLOAD_BASE: nginx.base,
    CARAPACE_UV_SHA256: r.sha256,
  });
  let homes = 0;
  const fresh = () => join(work, `home-${++homes}`);
  const installed = envFor(real, fresh());
  const setup: Setup = { rounds, root, real, url: `${nginx.base}/${real.version}/${real.name}`, envFor, installed, fresh };
  timed([BUN, CLI, 'install', '--json'], installed);
  try {
    let samples: Record<string, number[]> = {};
    if (only === 'route') {
      header(rounds, 'goal 4 only');
      console.log('| goal | measured (median) | ratio | target |');
      console.log('| --- | --- | --- | --- |');
    } else {
      samples = await goalsOneToThree(setup, only === undefined);
    }
    if (only !== 'start') await goalFour(setup);
    if (only === undefined) breakdown(samples);
    if (only !== 'route') {
      console.log('\nall samples (ms):');
      for (const [name, xs] of Object.entries(samples)) console.log(`  ${name}: ${xs.map((x) => f(x)).join(' ')}`);
    }
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
