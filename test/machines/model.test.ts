/**
 * Model-based tests: xstate/graph walks the machine's own definition, and every transition
 * it finds is replayed on a real interpreter whose actors the test settles. A transition
 * added to the machine without an event here fails the coverage assertion at the end.
 */
import { describe, expect, test } from 'bun:test';
import { waitFor, type AnyStateNode } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { InstallError } from '../../machines/errors.ts';
import { installMachine } from '../../machines/install.ts';
import { CHECKS, SETTINGS, settle, startControlled, type Src } from './harness.ts';

const failure = (code: 'network' | 'uv_install_failed' | 'verify_failed' | 'permission_denied') =>
  new InstallError(code, `${code} for the model`);

const OUTPUTS: Record<Src, unknown> = {
  check: CHECKS.nothing,
  downloadUv: { uv_path: '/h/uv/bin/uv', uv_version: '0.10.2' },
  installSkypilot: undefined,
  verify: { sky_path: '/h/tools/bin/sky', sky_version: '1.0.0.dev1' },
};

type ModelEvent =
  | { type: `xstate.done.actor.${Src}`; output: unknown }
  | { type: `xstate.error.actor.${Src}`; error: unknown }
  | { type: 'install.cancel' }
  | { type: 'install.progress'; progress: { phase: 'checking'; message: string; percent: null } };

const EVENTS: ModelEvent[] = [
  { type: 'xstate.done.actor.check', output: CHECKS.ready },
  { type: 'xstate.done.actor.check', output: CHECKS.uvOnly },
  { type: 'xstate.done.actor.check', output: CHECKS.nothing },
  { type: 'xstate.error.actor.check', error: failure('permission_denied') },
  { type: 'xstate.done.actor.downloadUv', output: OUTPUTS.downloadUv },
  { type: 'xstate.error.actor.downloadUv', error: failure('network') },
  { type: 'xstate.done.actor.installSkypilot', output: OUTPUTS.installSkypilot },
  { type: 'xstate.error.actor.installSkypilot', error: failure('uv_install_failed') },
  { type: 'xstate.done.actor.verify', output: OUTPUTS.verify },
  { type: 'xstate.error.actor.verify', error: failure('verify_failed') },
  { type: 'install.cancel' },
  { type: 'install.progress', progress: { phase: 'checking', message: 'working', percent: null } },
];

/** Every (state, event, target) the definition allows; root transitions apply in every working state. */
function definedEdges(): Set<string> {
  const edges = new Set<string>();
  const root = installMachine.root;
  const states = Object.values(root.states) as AnyStateNode[];
  for (const state of states) {
    if (state.type === 'final') continue;
    for (const node of [state, root]) {
      for (const [eventType, transitions] of node.transitions) {
        for (const t of transitions) {
          const target = t.target?.[0]?.key ?? state.key;
          edges.add(`${state.key} --${eventType}--> ${target}`);
        }
      }
    }
  }
  return edges;
}

const covered = new Set<string>();
// createTestModel refuses machines that invoke actors, so walk the graph with the lower-level
// traversal and replay the paths ourselves.
const traversal = {
  events: EVENTS as never,
  // Only events a running machine handles: the adjacency map otherwise lists every event
  // everywhere, and the pure transition function lets a final state take root transitions.
  filterEvents: (snapshot: { status: string; can: (e: never) => boolean }, event: never) =>
    snapshot.status === 'active' && snapshot.can(event),
  input: { settings: SETTINGS, deps: { fetch, now: Date.now } },
  serializeState: (s: { value: unknown }) => JSON.stringify(s.value),
  serializeEvent: (e: unknown) => JSON.stringify(e),
};

async function replay(events: ModelEvent[]) {
  const harness = startControlled({ settings: SETTINGS, deps: { fetch, now: Date.now } });
  for (const event of events) {
    const from = harness.actor.getSnapshot().value as string;
    const match = /^xstate\.(done|error)\.actor\.(\w+)$/.exec(event.type);
    if (match) {
      const deferred = await harness.invoked(match[2] as Src);
      harness.pending.delete(match[2] as Src);
      if (match[1] === 'done') deferred.resolve('output' in event ? event.output : undefined);
      else deferred.reject((event as { error: unknown }).error);
    } else {
      harness.actor.send(event as never);
    }
    await settle();
    const to = harness.actor.getSnapshot().value as string;
    covered.add(`${from} --${event.type}--> ${to}`);
  }
  return harness.actor;
}

// One path per transition: the shortest path to its source state, then the transition.
// (The cast: xstate/graph's types trip over machines that declare emitted events.)
const logic = installMachine as unknown as Parameters<typeof getShortestPaths>[0];
type Snap = { value: unknown };
const shortest = getShortestPaths(logic, traversal as never) as Array<{ state: Snap; steps: Array<{ event: unknown }> }>;
const adjacency = getAdjacencyMap(logic, traversal as never) as Record<
  string,
  { state: Snap; transitions: Record<string, { event: ModelEvent; state: Snap }> }
>;

function describeCheck(event: ModelEvent): string {
  if (!('output' in event) || event.type !== 'xstate.done.actor.check') return '';
  const { status } = event.output as typeof CHECKS.ready;
  return status.sky_installed ? ' (sky ready)' : status.uv_installed ? ' (uv only)' : ' (nothing)';
}

const cases: Array<{ name: string; events: ModelEvent[]; expected: string }> = [];
for (const [key, { state, transitions }] of Object.entries(adjacency)) {
  const prefix = shortest.find((p) => JSON.stringify(p.state.value) === key);
  if (!prefix) continue;
  for (const { event, state: next } of Object.values(transitions)) {
    cases.push({
      name: `${state.value as string} --${event.type}${describeCheck(event)}--> ${next.value as string}`,
      events: [...prefix.steps.map((s) => s.event as ModelEvent), event],
      expected: next.value as string,
    });
  }
}

describe('install machine, model-based', () => {
  test('the model reaches every state', () => {
    const reached = new Set(shortest.map((p) => p.state.value as string));
    expect([...reached].sort()).toEqual(Object.keys(installMachine.root.states).sort());
  });

  for (const c of cases) {
    test(c.name, async () => {
      const actor = await replay(c.events);
      expect(actor.getSnapshot().value as string).toBe(c.expected);
      if (c.expected === 'complete' || c.expected === 'error') {
        const done = await waitFor(actor, (s) => s.status === 'done');
        expect(done.output?.ok).toBe(c.expected === 'complete');
      }
    });
  }

  // Runs last (bun keeps declaration order): every transition in the definition was taken.
  test('coverage: every transition of the definition was taken by a real interpreter', () => {
    const missing = [...definedEdges()].filter((e) => !covered.has(e));
    expect(missing).toEqual([]);
  });
});
