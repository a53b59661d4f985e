/**
 * A real interpreter of the install machine whose four work actors are promises the test
 * settles by hand, so a test decides what each side effect returns and when. The lock is
 * taken at once unless the test asks to control it too (`controlLock`).
 */
import { createActor, fromPromise } from 'xstate';
import { installMachine, type InstallInput } from '../../machines/install.ts';
import type { CheckResult, InstallSettings, InstallStatus } from '../../machines/types.ts';

export const SRCS = ['check', 'downloadUv', 'installSkypilot', 'verify', 'activate'] as const;
export type Src = (typeof SRCS)[number] | 'lock';

interface Deferred {
  input: unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
}

export const SETTINGS: InstallSettings = {
  home: '/nonexistent/carapace',
  uv_version: '0.10.2',
  download_bases: ['http://127.0.0.1:9/uv'],
  uv_sha256: null,
  skypilot_spec: 'skypilot-nightly[aws]',
  python: '3.12',
  download_retries: 3,
  connect_timeout_ms: 1000,
  stall_timeout_ms: 1000,
  install_timeout_ms: 1000,
  verify_timeout_ms: 1000,
  low_speed_limit: 1024,
  low_speed_time_ms: 60_000,
  env: {},
};

export function status(over: Partial<InstallStatus> = {}): InstallStatus {
  return {
    uv_installed: false,
    uv_version: null,
    sky_installed: false,
    sky_version: null,
    carapace_home: SETTINGS.home,
    ...over,
  };
}

export const CHECKS = {
  ready: {
    status: status({ uv_installed: true, uv_version: '0.10.2', sky_installed: true, sky_version: '1.0.0.dev1' }),
    uv_path: '/h/uv/bin/uv',
    sky_path: '/h/tools/bin/sky',
    sky_problem: null,
    sky_outdated: null,
  },
  uvOnly: {
    status: status({ uv_installed: true, uv_version: '0.10.2' }),
    uv_path: '/h/uv/bin/uv',
    sky_path: null,
    sky_problem: null,
    sky_outdated: null,
  },
  broken: {
    status: status({ uv_installed: true, uv_version: '0.10.2' }),
    uv_path: '/h/uv/bin/uv',
    sky_path: null,
    sky_problem: 'sky cannot start: its interpreter is missing',
    sky_outdated: null,
  },
  outdated: {
    status: status({ uv_installed: true, uv_version: '0.10.2', sky_installed: true, sky_version: '1.0.0.dev1' }),
    uv_path: '/h/uv/bin/uv',
    sky_path: '/h/tools/bin/sky',
    sky_problem: null,
    sky_outdated: 'installed as skypilot-nightly[aws], but CARAPACE_SKYPILOT_SPEC asks for skypilot-nightly[aws,gcp]',
  },
  nothing: { status: status(), uv_path: null, sky_path: null, sky_problem: null, sky_outdated: null },
} satisfies Record<string, CheckResult>;

export function startControlled(input: InstallInput = { settings: SETTINGS, deps: { fetch, now: Date.now } }, opts: { controlLock?: boolean } = {}) {
  const pending = new Map<Src, Deferred>();
  const waiters = new Map<Src, Array<(d: Deferred) => void>>();
  const controlled = (src: Src) =>
    fromPromise<any, any>(
      ({ input: actorInput, signal }) =>
        new Promise((resolve, reject) => {
          const deferred = { input: actorInput, resolve, reject, signal };
          pending.set(src, deferred);
          for (const w of waiters.get(src) ?? []) w(deferred);
          waiters.delete(src);
        }),
    );
  const machine = installMachine.provide({
    actors: {
      ...Object.fromEntries(SRCS.map((src) => [src, controlled(src)])),
      lock: opts.controlLock ? controlled('lock') : fromPromise(async () => {}),
    } as never,
  });
  const actor = createActor(machine, { input });
  const emitted: unknown[] = [];
  actor.on('progress', (e) => emitted.push(e.progress));
  actor.start();

  /** The running invocation of `src`, once the machine has started it. */
  function invoked(src: Src): Promise<Deferred> {
    const d = pending.get(src);
    if (d) return Promise.resolve(d);
    return new Promise((resolve) => waiters.set(src, [...(waiters.get(src) ?? []), resolve]));
  }
  return { actor, invoked, emitted, pending };
}

/** Lets settled promises reach the machine. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** What a fake `installSkypilot` built, and a fake `activate` that makes it current: no disk. */
export const STAGED = { generation: 'test-1', env_dir: '/h/tools/generations/test-1/skypilot-nightly', sky_path: '/h/tools/generations/test-1/bin/sky' };
export const fakeActivate = (sky_path = '/h/tools/bin/sky') => async () => ({ sky_path, previous: null });
