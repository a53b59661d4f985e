/**
 * The install statechart: checking → downloading_uv → installing_skypilot → verifying →
 * complete, any phase → error. `checking` first takes the install lock (waiting, visibly, for
 * another installer when one holds it), then reads the disk. Pure: it maps names to actor
 * logic that `createInstaller` provides, so nothing here touches the disk or the network.
 * Nothing goes back; a new attempt is a new actor. Its types are in install-types.ts.
 */
import { assign, enqueueActions, fromPromise, setup, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import { InstallError, toInstallErrorData } from './errors.ts';
import type {
  ActivateInput,
  ActivateOutput,
  ActorInput,
  DownloadUvOutput,
  InstallContext,
  InstallEmitted,
  InstallEvent,
  InstallInput,
  InstallSkypilotInput,
  LockInput,
  StagedGeneration,
  VerifyInput,
  VerifyOutput,
} from './install-types.ts';
import { checked, failedIn, known, needsForce, notProvided, output, reporterFor, waitOf, type Checked, type Wait } from './install-params.ts';
import { PHASE_MESSAGES, type CheckResult, type InstallOutput, type InstallPhase, type WorkPhase } from './types.ts';

export type * from './install-types.ts';

export const installMachine = setup({
  types: {
    context: {} as InstallContext,
    events: {} as InstallEvent,
    input: {} as InstallInput,
    output: {} as InstallOutput,
    emitted: {} as InstallEmitted,
  },
  actors: {
    lock: fromPromise<void, LockInput>(async () => notProvided('lock')),
    check: fromPromise<CheckResult, InstallInput>(async () => notProvided('check')),
    downloadUv: fromPromise<DownloadUvOutput, ActorInput>(async () => notProvided('downloadUv')),
    installSkypilot: fromPromise<StagedGeneration, InstallSkypilotInput>(async () => notProvided('installSkypilot')),
    verify: fromPromise<VerifyOutput, VerifyInput>(async () => notProvided('verify')),
    activate: fromPromise<ActivateOutput, ActivateInput>(async () => notProvided('activate')),
  },
  guards: {
    skyReady: (_, { check, upgrade }: Checked) => !upgrade && check.status.sky_installed && check.sky_outdated === null,
    uvOutdated: (_, { check, upgrade, pinned }: Checked) => upgrade && check.status.uv_version !== pinned,
    hasUv: (_, { check }: Checked) => check.status.uv_installed,
  },
  actions: {
    recordProgress: assign({
      progress: ({ event }) => (event.type === 'install.progress' ? event.progress : null),
    }),
    enterPhase: assign({
      progress: (_, params: { phase: WorkPhase }) => ({ phase: params.phase, message: PHASE_MESSAGES[params.phase], percent: null }),
    }),
    emitProgress: enqueueActions(({ context, enqueue }) => {
      if (context.progress) enqueue.emit({ type: 'progress', progress: context.progress });
    }),
    recordCheck: assign((_, check: CheckResult) => ({ check, status: check.status, uv_path: check.uv_path, sky_path: check.sky_path })),
    recordUv: assign(({ context }, out: DownloadUvOutput) => ({
      uv_path: out.uv_path,
      status: context.status && { ...context.status, uv_installed: true, uv_version: out.uv_version },
    })),
    recordStaged: assign({ staged: (_, staged: StagedGeneration) => staged }),
    recordSky: assign(({ context }, out: VerifyOutput) => ({
      status: context.status && { ...context.status, sky_installed: true, sky_version: out.sky_version },
    })),
    recordActivated: assign({ sky_path: (_, out: ActivateOutput) => out.sky_path, staged: null }),
    recordError: assign({
      error: (_, params: { error: unknown; phase: WorkPhase }) => toInstallErrorData(params.error, params.phase),
    }),
    recordWait: assign({
      progress: (_, wait: Wait) => ({ phase: 'checking' as const, percent: null, ...wait }),
    }),
    recordLockLost: assign({
      error: ({ context }) =>
        toInstallErrorData(
          new InstallError('locked', 'another installer took over the install lock while this one ran'),
          context.progress?.phase ?? 'checking',
        ),
    }),
    recordCancel: assign({
      error: ({ context, event }) => {
        const reason = event.type === 'install.cancel' && event.reason ? event.reason : 'the install was cancelled';
        return toInstallErrorData(new InstallError('cancelled', reason), context.progress?.phase ?? 'checking');
      },
    }),
  },
}).createMachine({
  id: 'install',
  description: 'Makes SkyPilot available under CARAPACE_HOME, installing uv first when needed.',
  context: ({ input }) => ({
    ...input,
    mode: input.mode ?? 'install',
    check: null,
    uv_path: null,
    status: null,
    sky_path: null,
    staged: null,
    progress: null,
    error: null,
  }),
  initial: 'checking',
  on: {
    'install.progress': { actions: ['recordProgress', 'emitProgress'] },
    'install.cancel': { target: '.error', actions: 'recordCancel' },
    'lock.lost': { target: '.error', actions: 'recordLockLost' },
  },
  states: {
    checking: {
      description: 'Takes the install lock under CARAPACE_HOME, then reads the managed uv and the SkyPilot tool environment from disk.',
      entry: [{ type: 'enterPhase', params: { phase: 'checking' } }, 'emitProgress'],
      // The lock is held from here to the attempt's end; the coordinator releases it.
      invoke: {
        id: 'lock',
        src: 'lock',
        input: ({ context, self }) => ({
          settings: context.settings,
          deps: context.deps,
          onWait: (message: string, elapsed?: number) =>
            self.send(elapsed === undefined ? { type: 'lock.wait', message } : { type: 'lock.wait', message, elapsed_seconds: elapsed }),
          onLost: () => self.send({ type: 'lock.lost' }),
        }),
        onDone: '.reading',
        onError: { target: 'error', actions: { type: 'recordError', params: failedIn('checking') } },
      },
      initial: 'locking',
      states: {
        locking: {
          description: 'Takes CARAPACE_HOME/install.lock; at once unless another installer holds it.',
          on: { 'lock.wait': { target: 'waiting', actions: [{ type: 'recordWait', params: waitOf }, 'emitProgress'] } },
        },
        waiting: {
          description: 'Another installer holds the lock: waits for it, then reads what it left (or ends with its failure when it installed the same thing).',
          on: { 'lock.wait': { actions: [{ type: 'recordWait', params: waitOf }, 'emitProgress'] } },
        },
        reading: {
          description: 'Reads the managed uv and the SkyPilot tool environment from disk.',
          invoke: {
            id: 'check',
            src: 'check',
            input: ({ context }) => ({ settings: context.settings, deps: context.deps }),
            onDone: [
              { guard: { type: 'skyReady', params: checked }, target: '#install.complete', actions: { type: 'recordCheck', params: output } },
              { guard: { type: 'uvOutdated', params: checked }, target: '#install.downloading_uv', actions: { type: 'recordCheck', params: output } },
              {
                guard: { type: 'hasUv', params: checked },
                target: '#install.installing_skypilot',
                actions: { type: 'recordCheck', params: output },
              },
              { target: '#install.downloading_uv', actions: { type: 'recordCheck', params: output } },
            ],
            onError: { target: '#install.error', actions: { type: 'recordError', params: failedIn('checking') } },
          },
        },
      },
    },
    downloading_uv: {
      description: 'Downloads the pinned uv release, checks its sha256 and moves it into uv/bin.',
      entry: [{ type: 'enterPhase', params: { phase: 'downloading_uv' } }, 'emitProgress'],
      invoke: {
        id: 'downloadUv',
        src: 'downloadUv',
        input: ({ context, self }) => ({
          settings: context.settings,
          deps: context.deps,
          report: reporterFor(self, 'downloading_uv'),
        }),
        onDone: { target: 'installing_skypilot', actions: { type: 'recordUv', params: output } },
        onError: { target: 'error', actions: { type: 'recordError', params: failedIn('downloading_uv') } },
      },
    },
    installing_skypilot: {
      description: 'Runs `uv tool install --with pip <spec>` into a new generation beside the current environment, which stays current.',
      entry: [{ type: 'enterPhase', params: { phase: 'installing_skypilot' } }, 'emitProgress'],
      invoke: {
        id: 'installSkypilot',
        src: 'installSkypilot',
        input: ({ context, self }) => ({
          settings: context.settings,
          deps: context.deps,
          report: reporterFor(self, 'installing_skypilot'),
          uv_path: known(context.uv_path, 'uv_path'),
          force: needsForce(context.check),
          upgrade: context.mode === 'upgrade' && context.check?.status.sky_installed === true && !needsForce(context.check),
        }),
        onDone: { target: 'verifying', actions: { type: 'recordStaged', params: output } },
        onError: { target: 'error', actions: { type: 'recordError', params: failedIn('installing_skypilot') } },
      },
    },
    verifying: {
      description: 'Checks the new environment (`sky --version`, then `python -m pip --version` in it), then makes it current in one atomic step; until then the previous one stays current.',
      entry: [{ type: 'enterPhase', params: { phase: 'verifying' } }, 'emitProgress'],
      initial: 'testing',
      states: {
        testing: {
          description: 'Runs the new environment\'s `sky --version` (and its pip) before anything points at it.',
          invoke: {
            id: 'verify',
            src: 'verify',
            input: ({ context, self }) => {
              const { env_dir, sky_path } = known(context.staged, 'staged');
              return { settings: context.settings, deps: context.deps, report: reporterFor(self, 'verifying'), env_dir, sky_path };
            },
            onDone: { target: 'activating', actions: { type: 'recordSky', params: output } },
            onError: { target: '#install.error', actions: { type: 'recordError', params: failedIn('verifying') } },
          },
        },
        activating: {
          description: 'Switches tools/environments to the new generation (rename of a link), keeps the old one for rollback, stops a running local API server.',
          invoke: {
            id: 'activate',
            src: 'activate',
            input: ({ context, self }) => ({
              settings: context.settings,
              deps: context.deps,
              report: reporterFor(self, 'verifying'),
              staged: known(context.staged, 'staged'),
            }),
            onDone: { target: '#install.complete', actions: { type: 'recordActivated', params: output } },
            onError: { target: '#install.error', actions: { type: 'recordError', params: failedIn('verifying') } },
          },
        },
      },
    },
    complete: {
      description: 'SkyPilot answers; `sky_path` is the managed sky.',
      type: 'final',
    },
    error: {
      description: 'The attempt failed; `error` says why and what to do. The next request starts afresh.',
      type: 'final',
    },
  },
  output: ({ context }): InstallOutput => {
    if (context.error) return { ok: false, error: context.error };
    return { ok: true, sky_path: known(context.sky_path, 'sky_path'), status: known(context.status, 'status') };
  },
});

export type InstallActor = ActorRefFrom<typeof installMachine>;
export type InstallSnapshot = SnapshotFrom<typeof installMachine>;

/** The phase a snapshot is in, as the data model names it: the outer state (waiting for the lock is `checking`). */
export function phaseOf(snapshot: InstallSnapshot): InstallPhase {
  const value = snapshot.value;
  return typeof value === 'string' ? value : 'verifying' in value ? 'verifying' : 'checking';
}
