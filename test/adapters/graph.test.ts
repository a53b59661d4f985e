import { describe, expect, test } from 'bun:test';
import { fromPromise, setup } from 'xstate';
import { graphOf, renderGraph, toDot, toMermaid } from '../../adapters/graph.ts';
import { INSTALL_PHASES } from '../../machines/types.ts';

describe('graph of the install machine', () => {
  const graph = graphOf();

  test('has one state per phase, starting at checking, with complete and error final', () => {
    expect(graph.states.map((s) => s.name).sort()).toEqual([...INSTALL_PHASES].sort());
    expect(graph.initial).toBe('checking');
    expect(graph.states.filter((s) => s.type === 'final').map((s) => s.name).sort()).toEqual(['complete', 'error']);
  });

  test('each work phase invokes its actor', () => {
    const invokes = Object.fromEntries(graph.states.map((s) => [s.name, s.invokes]));
    expect(invokes).toEqual({
      checking: ['lock', 'check'],
      downloading_uv: ['downloadUv'],
      installing_skypilot: ['installSkypilot'],
      verifying: ['verify', 'activate'],
      complete: [],
      error: [],
    });
  });

  test("checking's guarded choices keep their order and end in an unguarded fallback", () => {
    const fromChecking = graph.transitions.filter((t) => t.from === 'checking' && t.event === 'xstate.done.actor.check');
    expect(fromChecking.map((t) => [t.to, t.guard, t.otherwise])).toEqual([
      ['complete', 'skyReady', false],
      ['downloading_uv', 'uvOutdated', false],
      ['installing_skypilot', 'hasUv', false],
      ['downloading_uv', null, true],
    ]);
  });

  test('every work state can fail and be cancelled; final states have no way out', () => {
    for (const phase of ['checking', 'downloading_uv', 'installing_skypilot', 'verifying']) {
      const out = graph.transitions.filter((t) => t.from === phase);
      expect(out.some((t) => t.to === 'error' && t.event.startsWith('xstate.error.actor.'))).toBe(true);
      expect(out.some((t) => t.to === 'error' && t.event === 'install.cancel' && t.any_state)).toBe(true);
    }
    expect(graph.transitions.filter((t) => t.from === 'complete' || t.from === 'error')).toEqual([]);
    expect(graph.internal).toEqual([{ event: 'install.progress', actions: ['recordProgress', 'emitProgress'] }]);
  });

  test('checking takes the lock first, waits for another installer inside it, then reads', () => {
    const checking = graph.states.find((s) => s.name === 'checking');
    expect(checking?.initial).toBe('locking');
    expect(checking?.children.map((c) => [c.name, c.invokes])).toEqual([
      ['locking', []],
      ['waiting', []],
      ['reading', ['check']],
    ]);
    expect(checking?.inner.map((t) => `${t.from} -> ${t.to}: ${t.label}`)).toEqual([
      'locking -> reading: lock done',
      'waiting -> reading: lock done',
      'locking -> waiting: lock.wait',
      'waiting -> waiting: lock.wait',
    ]);
    expect(graph.transitions.filter((t) => t.event === 'lock.lost').map((t) => [t.from, t.to, t.any_state])).toEqual([
      ['checking', 'error', true],
      ['downloading_uv', 'error', true],
      ['installing_skypilot', 'error', true],
      ['verifying', 'error', true],
    ]);
    expect(toMermaid(graph)).toContain('  state checking {\n    [*] --> locking\n');
    expect(toMermaid(graph)).toContain('    locking --> waiting : lock.wait\n');
  });

  test('Mermaid and dot name every state and every transition label', () => {
    const mermaid = toMermaid(graph);
    const dot = toDot(graph);
    expect(mermaid.startsWith('stateDiagram-v2\n')).toBe(true);
    expect(dot.startsWith('digraph "install" {')).toBe(true);
    for (const t of graph.transitions) {
      expect(mermaid).toContain(`${t.from} --> ${t.to} : ${t.label}`);
      expect(dot).toContain(`"${t.from}" -> "${t.to}" [label="${t.label}"`);
    }
    expect(mermaid).toContain('[*] --> checking');
    expect(mermaid).toContain('complete --> [*]');
    expect(dot).toContain('"error" [label="error", shape=doublecircle');
    expect(JSON.parse(renderGraph('json'))).toEqual(JSON.parse(JSON.stringify(graph)));
  });
});

describe('graphOf follows whatever machine it is given', () => {
  test('a renamed state, a new guard and a new event show up', () => {
    const machine = setup({
      actors: { fetchThing: fromPromise(async () => 1) },
      guards: { isBig: () => true },
    }).createMachine({
      id: 'other',
      initial: 'idle',
      on: { 'thing.reset': { target: '.idle' } },
      states: {
        idle: { on: { 'thing.go': 'working' } },
        working: {
          invoke: { id: 'fetch', src: 'fetchThing', onDone: [{ guard: 'isBig', target: 'big' }, { target: 'small' }] },
        },
        big: { type: 'final' },
        small: { type: 'final' },
      },
    });
    const g = graphOf(machine);
    expect(g.id).toBe('other');
    expect(g.transitions.map((t) => t.label)).toEqual([
      'thing.go',
      'fetchThing done [isBig]',
      'fetchThing done [else]',
      'thing.reset',
      'thing.reset',
    ]);
    expect(toMermaid(g)).toContain('working --> big : fetchThing done [isBig]');
  });

  test('a machine nested deeper than one level is refused rather than drawn wrong', () => {
    const machine = setup({}).createMachine({ initial: 'a', states: { a: { initial: 'b', states: { b: { initial: 'c', states: { c: {} } } } } } });
    expect(() => graphOf(machine)).toThrow(/one level of nested states/);
  });
});
