/**
 * `sky launch` follows the job's log without end. Through the real `carapace-sky serve`, a
 * stand-in sky printing 1 GB must neither be killed for it (execa's 100 MB maxBuffer did, a
 * 502) nor grow the service: its RSS stays within 50 MB of what it was idle (issue 15; the
 * figures are in docs/performance.md). A memory bound, sampled from /proc, not a timing.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMirror, type Mirror } from '../../demo/mirror.ts';
import { CLI, mirrorEnv, tempHome } from './cli.ts';

const GB = 1024 ** 3;
const MB = 1024 ** 2;
/** Long lines keep the line count (and so the run time) down; the bytes are what memory sees. */
const LINE = `(task, pid=4242) ${'epoch 3 step 1234 loss=0.1234 throughput 812 samples/s '.repeat(18)}`;

let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror();
});
afterAll(async () => {
  await mirror.close();
});

async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) * 1024;
}

function listeningUrl(child: ReturnType<typeof execa>): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(seen)?.[1];
      if (url) resolve(url.replace(/\/$/, ''));
    });
    child.once('exit', () => reject(new Error(`serve exited before listening:\n${seen}`)));
  });
}

test('a sky launch printing 1 GB succeeds, and the service stays within 50 MB of its idle RSS', async () => {
  const home = await tempHome('carapace-bigout-');
  const task = join(home, '..', 'task.yaml');
  await writeFile(task, 'run: echo hello\n');
  const env = mirrorEnv(mirror, home, { STANDIN_SKY_LOG_BYTES: String(GB), STANDIN_SKY_LOG_LINE: LINE });
  const child = execa(CLI, ['serve', '--port', '0'], { env: { ...process.env, ...env }, reject: false });
  try {
    const url = await listeningUrl(child);
    expect((await fetch(`${url}/cluster/ensure-skypilot`, { method: 'POST' })).status).toBe(200);
    // Idle: installed, nothing running; the highest of a few samples.
    let idle = 0;
    for (let i = 0; i < 5; i++, await Bun.sleep(100)) idle = Math.max(idle, await rss(child.pid!));

    let peak = 0;
    let done = false;
    const sampler = (async () => {
      while (!done) {
        peak = Math.max(peak, await rss(child.pid!));
        await Bun.sleep(50);
      }
    })();
    const res = await fetch(`${url}/cluster/launch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cluster: 'chatty', task }),
    });
    done = true;
    await sampler;
    const body = await res.json();
    expect({ status: res.status, ok: body.ok }).toEqual({ status: 200, ok: true });
    console.info(`launch-output: idle RSS ${(idle / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB while sky printed 1 GB`);
    expect(peak - idle).toBeLessThan(50 * MB);
  } finally {
    child.kill('SIGTERM');
    await child;
  }
}, 600_000);
