/**
 * POST /cluster/ensure-skypilot {"wait": false}: starts or joins the attempt and answers 202
 * with its phase at once; the end arrives on the event stream as the final progress event.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { createGatekeeper, type Gatekeeper } from '../../adapters/http/gatekeeper.ts';
import { local, mirrorRig, PORT, post, readEvents, type Rig } from './http-harness.ts';

const SETTINGS = { host: '127.0.0.1', port: PORT, token: null, allowed_origins: [] };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(env: Record<string, string> = {}): Promise<{ rig: Rig; gk: Gatekeeper }> {
  const rig = await mirrorRig({ env });
  const gk = createGatekeeper({ installer: rig.installer, settings: SETTINGS });
  cleanups.push(() => rig.close(), () => gk.close());
  return { rig, gk };
}

describe('ensure without waiting', () => {
  test('answers 202 with the phase while the install runs, joins it on a second call, and the stream carries the end', async () => {
    // uv takes a second, so the attempt is surely still running when the answers arrive.
    const { rig, gk } = await setup({ STANDIN_UV_DELAY: '1' });
    const stream = await gk.fetch(local('/cluster/events'));
    const first = await gk.fetch(post('/cluster/ensure-skypilot', { wait: false }));
    expect(first.status).toBe(202);
    const body = await first.json();
    expect(body).toEqual({ ok: true, accepted: true, phase: expect.stringMatching(/^(checking|downloading_uv|installing_skypilot)$/) });
    expect(rig.installer.phase()).not.toBeNull();
    const second = await gk.fetch(post('/cluster/ensure-skypilot', { wait: false }));
    expect(second.status).toBe(202);
    const { events } = await readEvents(stream, (e) => e.some((x) => x.type === 'install-progress' && x.data.phase === 'complete'));
    const progress = events.filter((e) => e.type === 'install-progress');
    expect(new Set(progress.map((e) => e.data.attempt))).toEqual(new Set([1]));
    expect(progress.at(-1)!.data).toMatchObject({ phase: 'complete', message: 'SkyPilot ready', sky_path: `${rig.home}/tools/bin/sky` });
    expect(rig.mirror.downloads()).toBe(1);
    expect(await rig.uvInstalls()).toBe(1);
  }, 30_000);

  test('"wait" must be a boolean', async () => {
    const { rig, gk } = await setup();
    const res = await gk.fetch(post('/cluster/ensure-skypilot', { wait: 'no' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(rig.installer.phase()).toBeNull();
  });
});
