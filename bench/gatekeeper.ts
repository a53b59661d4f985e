/**
 * `npm run bench -- gatekeeper`: the gatekeeper on Bun.serve (port 0) with the real installer,
 * the loopback mirror and the stand-in uv, measured over real sockets from this process.
 * 1. 1,000 concurrent POST /cluster/ensure-skypilot: installs started (goal: exactly 1).
 * 2. 500 event-stream subscribers through one install: events delivered in order (goal 100%)
 *    and fan-out latency from the installer's publish to each subscriber's parse (goal p99 ≤ 50 ms).
 * 3. GET /cluster/install-status requests per second while an install runs.
 * The clients share the process and its 2 cores with the server, so latencies are upper bounds.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { connect } from 'node:net';
import { serve } from '../adapters/http/serve.ts';
import { createInstaller, type Installer } from '../installer/installer.ts';
import { settingsFromEnv } from '../installer/settings.ts';
import { startMirror } from '../demo/mirror.ts';

const now = () => performance.timeOrigin + performance.now();

if (process.argv[2] === '--subscribers') await subscribers(Number(process.argv[3]), Number(process.argv[4]));

// Bun's fetch runs at most 256 requests at once unless told otherwise; the bench needs 1,000.
if (process.env.BUN_CONFIG_MAX_HTTP_REQUESTS === undefined) {
  const child = await execa(process.execPath, [import.meta.path, ...process.argv.slice(2)], {
    env: { BUN_CONFIG_MAX_HTTP_REQUESTS: '2048' },
    stdio: 'inherit',
    reject: false,
  });
  process.exit(child.exitCode ?? 1);
}

const ENSURES = 1000;
const SUBSCRIBERS = 500;
const STATUS_WORKERS = 8;

async function rig(delaySeconds: string) {
  const mirror = await startMirror();
  const home = await mkdtemp(join(tmpdir(), 'carapace-bench-gk-'));
  const uvLog = `${home}.uv.log`;
  const installer = createInstaller({
    settings: settingsFromEnv({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CARAPACE_HOME: home,
      CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
      CARAPACE_UV_SHA256: mirror.sha256(),
      STANDIN_UV_LOG: uvLog,
      STANDIN_UV_DELAY: delaySeconds,
    }),
  });
  return {
    mirror,
    installer,
    async uvInstalls() {
      return (await readFile(uvLog, 'utf8').catch(() => '')).split('\n').filter((l) => l.endsWith(' tool install')).length;
    },
    async close() {
      await mirror.close();
      await rm(home, { recursive: true, force: true });
      await rm(uvLog, { force: true });
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const SETTINGS = { host: '127.0.0.1', port: 0, token: null, allowed_origins: [] };
const results: Record<string, unknown> = {};
let correct = true;

// 1. One install for 1,000 callers.
{
  const r = await rig('1');
  const running = serve({ installer: r.installer, settings: SETTINGS });
  let attempts = 0;
  const off = r.installer.subscribe((e) => {
    if (e.type === 'install-state' && e.from === null) attempts++;
  });
  const t0 = performance.now();
  const answers = await Promise.all(
    Array.from({ length: ENSURES }, async () => {
      const res = await fetch(`${running.url}/cluster/ensure-skypilot`, { method: 'POST' });
      return `${res.status} ${await res.text()}`;
    }),
  );
  const elapsed = performance.now() - t0;
  results.ensure = {
    requests: ENSURES,
    installs_started: attempts,
    downloads: r.mirror.downloads(),
    uv_runs: await r.uvInstalls(),
    distinct_answers: new Set(answers).size,
    all_200: answers.every((a) => a.startsWith('200 ')),
    wall_ms: Math.round(elapsed),
  };
  correct &&= attempts === 1 && r.mirror.downloads() === 1 && new Set(answers).size === 1;
  off();
  await running.stop();
  await r.close();
}

// 2. 500 subscribers through one install. The subscribers run in a second process (this file
// again, in subscriber mode) on raw sockets, so the measure is the server's fan-out rather than
// 500 fetch readers competing with it for the same event loop. Both processes stamp events
// with performance.timeOrigin + performance.now(), a clock they share.
{
  const r = await rig('1');
  const published: number[] = [];
  // The hub numbers installer events from 1 in the order it hears them; so does this list.
  const timed: Installer = { ...r.installer, subscribe: (l) => r.installer.subscribe((e) => (published.push(now()), l(e))) };
  const running = serve({ installer: timed, settings: SETTINGS });
  const child = execa(process.execPath, [import.meta.path, '--subscribers', String(running.port), String(SUBSCRIBERS)], {
    env: process.env,
    reject: false,
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => String(chunk).includes('ready') && resolve());
    void child.then((res) => reject(new Error(`subscribers exited early: ${res.stderr}`)));
  });
  const output = await r.installer.ensureSkypilot();
  const received = JSON.parse(String((await child).stdout).split('\n').find((l) => l.startsWith('['))!) as Array<Array<[number, number]>>;
  const total = published.length;
  const inOrder = received.filter((list) => list.length === total && list.every(([id], k) => id === k + 1)).length;
  const latencies = received.flatMap((list) => list.map(([id, at]) => at - published[id - 1]!)).sort((a, b) => a - b);
  results.fanout = {
    subscribers: SUBSCRIBERS,
    events_per_subscriber: total,
    deliveries: latencies.length,
    in_order_percent: Math.round((inOrder / SUBSCRIBERS) * 10000) / 100,
    latency_p50_ms: Number(percentile(latencies, 50).toFixed(2)),
    latency_p99_ms: Number(percentile(latencies, 99).toFixed(2)),
    latency_max_ms: Number((latencies.at(-1) ?? NaN).toFixed(2)),
    install_ok: output.ok,
  };
  correct &&= inOrder === SUBSCRIBERS;
  await running.stop();
  await r.close();
}

// 3. Status throughput while an install runs.
{
  const r = await rig('3');
  const running = serve({ installer: r.installer, settings: SETTINGS });
  const install = r.installer.ensureSkypilot();
  while (r.installer.phase() !== 'installing_skypilot') await Bun.sleep(5);
  let count = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  const until = t0 + 2000;
  await Promise.all(
    Array.from({ length: STATUS_WORKERS }, async () => {
      while (performance.now() < until) {
        const s = performance.now();
        const res = await fetch(`${running.url}/cluster/install-status`);
        await res.json();
        lat.push(performance.now() - s);
        count++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  results.status = {
    workers: STATUS_WORKERS,
    requests: count,
    per_second: Math.round(count / seconds),
    latency_p50_ms: Number(percentile(lat, 50).toFixed(2)),
    latency_p99_ms: Number(percentile(lat, 99).toFixed(2)),
    phase_during: 'installing_skypilot',
  };
  await install;
  await running.stop();
  await r.close();
}

const fan = results.fanout as { latency_p99_ms: number };
console.log(JSON.stringify(results, null, 2));
console.log(
  [
    `installs started for ${ENSURES} ensures: ${(results.ensure as { installs_started: number }).installs_started} (goal 1)`,
    `in-order delivery to ${SUBSCRIBERS} subscribers: ${(results.fanout as { in_order_percent: number }).in_order_percent}% (goal 100%)`,
    `fan-out p99: ${fan.latency_p99_ms} ms (goal ≤ 50 ms) ${fan.latency_p99_ms <= 50 ? 'met' : 'MISSED'}`,
    `status during install: ${(results.status as { per_second: number }).per_second} req/s`,
  ].join('\n'),
);
process.exit(correct ? 0 : 1);

/**
 * Subscriber mode: `count` raw HTTP/1.1 connections to /cluster/events; each read is stamped
 * once and every `id:` in it recorded. Prints "ready" once all streams are open, then the
 * ids and times of each stream as one JSON line after the install completes.
 */
async function subscribers(port: number, count: number): Promise<never> {
  const lists: Array<Array<[number, number]>> = [];
  let open = 0;
  let complete = 0;
  await new Promise<void>((resolve) => {
    for (let i = 0; i < count; i++) {
      const list: Array<[number, number]> = (lists[i] = []);
      let carry = '';
      let headersSeen = false;
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`GET /cluster/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
      });
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        const at = now();
        const text = carry + chunk;
        const cut = text.lastIndexOf('\n');
        carry = text.slice(cut + 1);
        const lines = text.slice(0, cut + 1);
        if (!headersSeen && lines.includes('text/event-stream')) {
          headersSeen = true;
          if (++open === count) process.stdout.write('ready\n');
        }
        for (const m of lines.matchAll(/^id: (\d+)\r?$/gm)) list.push([Number(m[1]), at]);
        // The attempt's last event is its final progress (phase complete), published once the
        // attempt has ended, which can be a write after the `to: complete` state event.
        if (/"phase":"complete","message":"SkyPilot ready"/.test(lines)) {
          socket.destroy();
          if (++complete === count) resolve();
        }
      });
    }
  });
  // Exit only once the pipe has taken the whole line; exiting at once would cut it short.
  process.stdout.write(JSON.stringify(lists) + '\n', () => process.exit(0));
  return new Promise<never>(() => {});
}
