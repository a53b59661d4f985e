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
import { CHECKS, SETTINGS, STAGED, settle, startControlled, type Src } from './harness.ts';

const failure = (code: 'network' | 'uv_install_failed' | 'verify_failed' | 'permission_denied') =>
  new InstallError(code, `${code} for the model`);

const OUTPUTS: Record<Src, unknown> = {
  lock: undefined,
  check: CHECKS.nothing,
  downloadUv: { uv_path: '/h/uv/bin/uv', uv_version: '0.10.2' },
  installSkypilot: STAGED,
  verify: { sky_path: '/h/tools/bin/sky', sky_version: '1.0.0.dev1' },
  activate: { sky_path: '/h/tools/bin/sky', previous: null },
};

type ModelEvent =
  | { type: `xstate.done.actor.${Src}`; output: unknown }
  | { type: `xstate.error.actor.${Src}`; error: unknown }
  | { type: 'install.cancel' }
  | { type: 'lock.wait'; message: string }
  | { type: 'lock.lost' }
  | { type: 'install.progress'; progress: { phase: 'checking'; message: string; percent: null } };

const EVENTS: ModelEvent[] = [
  { type: 'lock.wait', message: 'waiting for another installer (pid 1)' },
  { type: 'xstate.done.actor.lock', output: undefined },
  { type: 'xstate.error.actor.lock', error: failure('permission_denied') },
  { type: 'lock.lost' },
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
  { type: 'xstate.done.actor.activate', output: OUTPUTS.activate },
  { type: 'xstate.error.actor.activate', error: failure('permission_denied') },
  { type: 'install.cancel' },
  { type: 'install.progress', progress: { phase: 'checking', message: 'working', percent: null } },
];

/** `checking.waiting` for a nested state value, the key alone for a top-level one. */
function keyOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? ['', ''];
  return `${key}.${keyOf(child)}`;
}

/** A state's own leaves: itself when atomic, else its descendants'. */
const leaves = (node: AnyStateNode): AnyStateNode[] =>
  node.type === 'atomic' || node.type === 'final' ? [node] : (Object.values(node.states) as AnyStateNode[]).flatMap(leaves);
const pathOf = (node: AnyStateNode) => node.path.join('.');

const allNodes = (node: AnyStateNode): AnyStateNode[] => [node, ...(Object.values(node.states) as AnyStateNode[]).flatMap(allNodes)];

/**
 * Leaves where an actor has already finished: an invoke whose done transition moves into a
 * child of its own state (checking's lock, done before `reading`) sends nothing more there.
 */
const FINISHED = new Map<string, string>();
for (const node of allNodes(installMachine.root)) {
  for (const inv of node.invoke) {
    const target = node.transitions.get(`xstate.done.actor.${inv.id}`)?.[0]?.target?.[0];
    if (target && target.path.slice(0, node.path.length).join('.') === node.path.join('.')) FINISHED.set(pathOf(target), inv.id);
  }
}
const finishedIn = (leaf: string, eventType: string) => {
  const actor = /^xstate\.(?:done|error)\.actor\.(\w+)$/.exec(eventType)?.[1];
  return actor !== undefined && FINISHED.get(leaf) === actor;
};

/**
 * Every (state, event, target) the definition allows: a leaf takes the transitions of itself
 * and of every state around it, root transitions included. A transition into a compound
 * state lands in its initial leaf; one without a target stays put.
 */
function definedEdges(): Set<string> {
  const edges = new Set<string>();
  const root = installMachine.root;
  for (const leaf of leaves(root)) {
    if (leaf.type === 'final') continue;
    const around: AnyStateNode[] = [];
    for (let node: AnyStateNode | undefined = leaf; node; node = node.parent) around.push(node);
    const seen = new Set<string>();
    for (const node of around) {
      for (const [eventType, transitions] of node.transitions) {
        // The innermost state that handles an event wins; outer handlers of it are never reached.
        if (seen.has(eventType) || finishedIn(pathOf(leaf), eventType)) continue;
        seen.add(eventType);
        for (const t of transitions) {
          const target = t.target?.[0];
          const to = target ? pathOf(leaves(target)[0] === target ? target : (target.initial?.target?.[0] ?? target)) : pathOf(leaf);
          edges.add(`${pathOf(leaf)} --${eventType}--> ${to}`);
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
  filterEvents: (snapshot: { status: string; value: unknown; can: (e: never) => boolean }, event: { type: string }) =>
    snapshot.status === 'active' && snapshot.can(event as never) && !finishedIn(keyOf(snapshot.value), event.type),
  input: { settings: SETTINGS, deps: { fetch, now: Date.now } },
  serializeState: (s: { value: unknown }) => JSON.stringify(s.value),
  serializeEvent: (e: unknown) => JSON.stringify(e),
};

async function replay(events: ModelEvent[]) {
  const harness = startControlled({ settings: SETTINGS, deps: { fetch, now: Date.now } }, { controlLock: true });
  for (const event of events) {
    const from = keyOf(harness.actor.getSnapshot().value);
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
    const to = keyOf(harness.actor.getSnapshot().value);
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
      name: `${keyOf(state.value)} --${event.type}${describeCheck(event)}--> ${keyOf(next.value)}`,
      events: [...prefix.steps.map((s) => s.event as ModelEvent), event],
      expected: keyOf(next.value),
    });
  }
}

describe('install machine, model-based', () => {
  test('the model reaches every state', () => {
    const reached = new Set(shortest.map((p) => keyOf(p.state.value)));
    expect([...reached].sort()).toEqual(leaves(installMachine.root).map(pathOf).sort());
  });

  for (const c of cases) {
    test(c.name, async () => {
      const actor = await replay(c.events);
      expect(keyOf(actor.getSnapshot().value)).toBe(c.expected);
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
