/**
 * The uv download against the three goals of issue 3, on a loopback mirror:
 *   1. download + verify + extract of a 100 MB archive vs `curl -s URL | tar xz` (≤ 1.10×);
 *   2. peak RSS with a 10 MB and a 100 MB archive (they differ by < 16 MB);
 *   3. through a mirror throttled to 25 Mbit/s, total time vs bytes / bandwidth (≤ 1.05).
 * Each installer run is a child process (`--child`), so its peak RSS is its own and the
 * mirror's copy of the archive does not count. Writes only under the system temp folder,
 * plus docs/performance.md's download section with `--write`.
 *
 *   bun bench/download.ts [--write] [--runs N]
 */
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { downloadUv } from '../actors/download-uv.ts';
import { settingsFromEnv } from '../installer/settings.ts';
import { startMirror, type Mirror } from '../demo/mirror.ts';

const VERSION = '0.10.5';
const MB = 1024 * 1024;
const THROTTLE_BITS_PER_SECOND = 25_000_000;

interface ChildResult {
  ms: number;
  maxRssKb: number;
  bytes: number;
}

async function child(spec: { base: string; sha256: string }): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'bench-dl-home-'));
  try {
    const settings = settingsFromEnv({
      PATH: process.env.PATH,
      CARAPACE_HOME: home,
      CARAPACE_UV_VERSION: VERSION,
      CARAPACE_UV_DOWNLOAD_BASE: spec.base,
      CARAPACE_UV_SHA256: spec.sha256,
    });
    let bytes = 0;
    const started = performance.now();
    await downloadUv(
      { settings, deps: { fetch, now: Date.now }, report: (p) => (bytes = p.bytes_done ?? bytes) },
      new AbortController().signal,
    );
    const ms = performance.now() - started;
    const result: ChildResult = { ms, maxRssKb: process.resourceUsage().maxRSS, bytes };
    console.log(JSON.stringify(result));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function runChild(mirror: Mirror): Promise<ChildResult> {
  const spec = JSON.stringify({ base: mirror.base, sha256: mirror.sha256() });
  // Linux carries a forked child's RSS high-water mark across exec into ru_maxrss, so a
  // child spawned straight from this (archive-holding) process would report our memory.
  // A shell started first, then backgrounding the child, gives it a small parent to fork from.
  const { stdout } = await execa('sh', ['-c', '"$@" & wait $!', 'sh', process.execPath, import.meta.path, '--child', spec]);
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

/** `only` limits tar to uv and uvx, the same writes the installer does (a reference, not the goal). */
async function curlTar(url: string, only = false): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-dl-curl-'));
  const members = only ? ['--wildcards', '*/uv', '*/uvx'] : [];
  try {
    const started = performance.now();
    await execa('bash', ['-o', 'pipefail', '-c', 'curl -sf "$1" | tar xz -C "$2" "${@:3}"', 'curl-tar', url, dir, ...members]);
    return performance.now() - started;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Serves the archive no faster than `bitsPerSecond`: each chunk leaves when the budget allows. */
function throttled(bitsPerSecond: number) {
  const bytesPerMs = bitsPerSecond / 8 / 1000;
  return (_req: Request, ctx: { archive: Uint8Array; path: string }) => {
    if (!ctx.path.endsWith('.tar.gz')) return undefined;
    const archive = ctx.archive;
    const chunk = 16 * 1024;
    let sent = 0;
    let start = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= archive.byteLength) return controller.close();
        start ||= performance.now();
        const end = Math.min(archive.byteLength, sent + chunk);
        const due = start + end / bytesPerMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        controller.enqueue(archive.slice(sent, end));
        sent = end;
      },
    });
    return new Response(body, { headers: { 'content-length': String(archive.byteLength) } });
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function main(): Promise<void> {
  const write = process.argv.includes('--write');
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
  console.log(`building archives (10 MB, 24 MB, 100 MB of incompressible padding) ...`);
  const big = await startMirror({ version: VERSION, padBytes: 100 * MB });
  const small = await startMirror({ version: VERSION, padBytes: 10 * MB });
  const slow = await startMirror({ version: VERSION, padBytes: 24 * MB, handler: throttled(THROTTLE_BITS_PER_SECOND) });
  try {
    const bigSize = (await readFile(big.archivePath())).byteLength;
    const smallSize = (await readFile(small.archivePath())).byteLength;
    const slowSize = (await readFile(slow.archivePath())).byteLength;

    // 1. Speed against curl | tar, alternating so neither always runs on a warm cache.
    await curlTar(big.url());
    await runChild(big);
    const curlMs: number[] = [];
    const curlOnlyMs: number[] = [];
    const oursMs: number[] = [];
    const bigRss: number[] = [];
    for (let i = 0; i < runs; i++) {
      curlMs.push(await curlTar(big.url()));
      curlOnlyMs.push(await curlTar(big.url(), true));
      const r = await runChild(big);
      oursMs.push(r.ms);
      bigRss.push(r.maxRssKb);
    }
    const speedRatio = median(oursMs) / median(curlMs);
    console.log(
      `speed: installer ${fmt(median(oursMs), 0)} ms, curl|tar ${fmt(median(curlMs), 0)} ms for ${fmt(bigSize / MB, 1)} MB ` +
        `(median of ${runs}) -> ${fmt(speedRatio)}x (goal <= 1.10)`,
    );
    const onlyRatio = median(oursMs) / median(curlOnlyMs);
    console.log(`reference: curl | tar xz of uv and uvx only ${fmt(median(curlOnlyMs), 0)} ms -> ${fmt(onlyRatio)}x`);

    // 2. Peak RSS, 10 MB against 100 MB.
    const smallRss: number[] = [];
    for (let i = 0; i < runs; i++) smallRss.push((await runChild(small)).maxRssKb);
    const rssDiffMb = (median(bigRss) - median(smallRss)) / 1024;
    console.log(
      `memory: peak RSS ${fmt(median(smallRss) / 1024, 1)} MB (10 MB archive) vs ${fmt(median(bigRss) / 1024, 1)} MB ` +
        `(100 MB archive) -> differ by ${fmt(rssDiffMb, 1)} MB (goal < 16)`,
    );

    // 3. Throttled: one run is already ~8 s.
    const throttledRun = await runChild(slow);
    const idealMs = ((slowSize * 8) / THROTTLE_BITS_PER_SECOND) * 1000;
    const throttleRatio = throttledRun.ms / idealMs;
    console.log(
      `throttled: ${fmt(slowSize / MB, 1)} MB at 25 Mbit/s took ${fmt(throttledRun.ms, 0)} ms, bytes/bandwidth ${fmt(idealMs, 0)} ms ` +
        `-> ${fmt(throttleRatio, 3)} (goal <= 1.05)`,
    );

    if (write) {
      const machine = `${cpus().length} cores, ${fmt(totalmem() / 1024 ** 3, 0)} GiB, Bun ${Bun.version}, load average ${fmt(loadavg()[0]!, 1)}`;
      const section = [
        '## uv download (issue 3)',
        '',
        `Measured ${new Date().toISOString().slice(0, 10)} on ${machine} with \`npm run bench -- download\``,
        `(\`bun bench/download.ts --write\` also rewrites this section). Loopback mirror, stand-in uv`,
        `archives padded with random bytes so gzip cannot shrink them. Installer figures are`,
        `\`downloadUv()\` in a child process: fetch, sha256, streaming gunzip + tar parse, staged`,
        `\`uv --version\`, rename. curl's figure is the whole \`curl -s URL | tar xz\` pipeline, which`,
        `writes every entry (the 100 MB padding too) while the installer writes only uv and uvx;`,
        `its time goes mostly to \`gzip -d\` (single-threaded; about 0.4 s alone for this file here)`,
        `and tar's writes, while the installer inflates with Bun's zlib in the same pass as the sha256.`,
        '',
        '| figure | measured | goal |',
        '| --- | --- | --- |',
        `| ${fmt(bigSize / MB, 1)} MB archive: installer vs \`curl -s \\| tar xz\` (median of ${runs}) | ${fmt(median(oursMs), 0)} ms vs ${fmt(median(curlMs), 0)} ms = **${fmt(speedRatio)}×** | ≤ 1.10× |`,
        `| reference: same, but \`tar xz\` writes only uv and uvx (no sha256) | ${fmt(median(oursMs), 0)} ms vs ${fmt(median(curlOnlyMs), 0)} ms = ${fmt(onlyRatio)}× | (none) |`,
        `| peak RSS, ${fmt(smallSize / MB, 1)} MB vs ${fmt(bigSize / MB, 1)} MB archive | ${fmt(median(smallRss) / 1024, 1)} MB vs ${fmt(median(bigRss) / 1024, 1)} MB = **${fmt(rssDiffMb, 1)} MB** apart | < 16 MB |`,
        `| ${fmt(slowSize / MB, 1)} MB at 25 Mbit/s: total vs bytes / bandwidth | ${fmt(throttledRun.ms, 0)} ms vs ${fmt(idealMs, 0)} ms = **${fmt(throttleRatio, 3)}** | ≤ 1.05 |`,
        '',
        'Peak RSS: no collection is forced on the download path (issue 10 item 7), so the gap between',
        'the two archives is garbage (fetch chunks, inflated blocks) the collector takes at its own pace',
        '(a forced full GC every 16 MB kept it near 3 MB). What is bounded by design is inflation: gunzip',
        'runs only as fast as the tar parser and the file writes take its output, and an archive that',
        'unpacks past 1 GiB is refused, so a 30 GB gzip bomb peaks under 100 MB (test/faults/memory-faults.test.ts).',
      ].join('\n');
      const path = new URL('../docs/performance.md', import.meta.url);
      const doc = await readFile(path, 'utf8');
      const start = '<!-- section:download -->';
      const end = '<!-- /section:download -->';
      const from = doc.indexOf(start);
      const to = doc.indexOf(end);
      if (from < 0 || to < from) throw new Error('docs/performance.md has no download section markers');
      await writeFile(path, `${doc.slice(0, from + start.length)}\n${section}\n${doc.slice(to)}`);
      console.log('wrote docs/performance.md (download section)');
    }
  } finally {
    await big.close();
    await small.close();
    await slow.close();
  }
}

if (process.argv[2] === '--child') await child(JSON.parse(process.argv[3]!));
else await main();
