/**
 * The install statechart as data, read from `installMachine` itself, and its renderings as
 * Mermaid and Graphviz. Diagrams, docs/statechart.md and the live inspect page all come from
 * here, so none of them can drift from the machine without a test noticing.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { installMachine } from '../installer/index.ts';

export interface GraphState {
  /** The state's key, which is also the data model's phase name. */
  name: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  description: string | null;
  /** Actor sources this state invokes while it is active. */
  invokes: string[];
}

export interface GraphTransition {
  from: string;
  to: string;
  /** The event type as XState names it, e.g. `xstate.done.actor.check` or `install.cancel`. */
  event: string;
  guard: string | null;
  /** An unguarded fallback after guarded siblings: taken when none of them holds. */
  otherwise: boolean;
  /** Declared on the machine root, so it applies in every state that has not ended. */
  any_state: boolean;
  label: string;
}

export interface StatechartGraph {
  id: string;
  description: string | null;
  initial: string;
  states: GraphState[];
  transitions: GraphTransition[];
  /** Events handled without leaving the state (root transitions without a target). */
  internal: { event: string; actions: string[] }[];
}

const DONE = 'xstate.done.actor.';
const ERROR = 'xstate.error.actor.';

function nameOf(ref: unknown): string {
  if (typeof ref === 'string') return ref;
  if (ref && typeof ref === 'object' && 'type' in ref && typeof ref.type === 'string') return ref.type;
  // Inline functions have no name the reader could look up; XState would show them as anonymous too.
  return 'inline';
}

function sourceOfInvoke(node: AnyStateNode, id: string): string {
  const found = node.invoke.find((inv) => inv.id === id);
  return found ? nameOf(found.src) : id;
}

/** How a transition reads in a diagram: `check done [skyReady]`, `verify error`, `install.cancel`. */
function labelFor(node: AnyStateNode, event: string, guard: string | null, otherwise: boolean): string {
  let base = event;
  if (event.startsWith(DONE)) base = `${sourceOfInvoke(node, event.slice(DONE.length))} done`;
  else if (event.startsWith(ERROR)) base = `${sourceOfInvoke(node, event.slice(ERROR.length))} error`;
  if (guard) return `${base} [${guard}]`;
  return otherwise ? `${base} [else]` : base;
}

export function graphOf(machine: AnyStateMachine = installMachine): StatechartGraph {
  const root = machine.root;
  const children = Object.values(root.states) as AnyStateNode[];
  if (children.some((child) => Object.keys(child.states).length > 0)) {
    // The renderings below draw one level; a nested machine needs them taught clusters first.
    throw new Error('graphOf draws flat machines only; the install machine grew nested states');
  }
  const states: GraphState[] = children.map((node) => ({
    name: node.key,
    type: node.type,
    description: node.description ?? null,
    invokes: node.invoke.map((inv) => nameOf(inv.src)),
  }));
  const transitions: GraphTransition[] = [];
  const internal: StatechartGraph['internal'] = [];
  const keyOf = (target: AnyStateNode) => target.key;

  const add = (node: AnyStateNode, from: string[], anyState: boolean) => {
    for (const [event, candidates] of node.transitions) {
      const guarded = candidates.some((t) => t.guard);
      for (const t of candidates) {
        const guard = t.guard ? nameOf(t.guard) : null;
        const otherwise = !t.guard && guarded;
        if (!t.target || t.target.length === 0) {
          if (anyState) internal.push({ event, actions: t.actions.map(nameOf) });
          else for (const f of from) transitions.push({ from: f, to: f, event, guard, otherwise, any_state: false, label: labelFor(node, event, guard, otherwise) });
          continue;
        }
        for (const target of t.target) {
          for (const f of from) {
            transitions.push({ from: f, to: keyOf(target), event, guard, otherwise, any_state: anyState, label: labelFor(node, event, guard, otherwise) });
          }
        }
      }
    }
  };

  for (const node of children) add(node, [node.key], false);
  // A root transition applies wherever the machine can still receive events: every state but the final ones.
  add(root, children.filter((node) => node.type !== 'final').map((node) => node.key), true);

  const initial = root.initial?.target?.[0]?.key;
  if (!initial) throw new Error('the machine has no initial state');
  return { id: root.id, description: root.description ?? null, initial, states, transitions, internal };
}

const HEADER = 'Generated from machines/install.ts by `carapace-sky graph`; do not edit by hand.';

/** Mermaid `stateDiagram-v2`. Labels avoid `:` and `;`, which Mermaid reads as syntax. */
export function toMermaid(graph: StatechartGraph = graphOf()): string {
  const clean = (text: string) => text.replace(/[:;]/g, ' ');
  const lines = ['stateDiagram-v2', `  %% ${HEADER}`, `  [*] --> ${graph.initial}`];
  for (const state of graph.states) {
    if (state.invokes.length > 0) lines.push(`  ${state.name} : invoke ${state.invokes.join(', ')}`);
  }
  for (const t of graph.transitions) lines.push(`  ${t.from} --> ${t.to} : ${clean(t.label)}`);
  for (const state of graph.states) if (state.type === 'final') lines.push(`  ${state.name} --> [*]`);
  for (const i of graph.internal) lines.push(`  %% in every state, ${i.event} stays put and runs ${i.actions.join(', ')}`);
  return lines.join('\n') + '\n';
}

/** Graphviz dot; `dot -Tsvg` draws it. */
export function toDot(graph: StatechartGraph = graphOf()): string {
  const q = (text: string) => JSON.stringify(text);
  const lines = [
    `digraph ${q(graph.id)} {`,
    `  // ${HEADER}`,
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    '  __start [shape=point, width=0.15, label=""];',
  ];
  for (const state of graph.states) {
    const label = state.invokes.length > 0 ? `${state.name}\ninvoke ${state.invokes.join(', ')}` : state.name;
    const shape = state.type === 'final' ? ', shape=doublecircle, style=""' : '';
    lines.push(`  ${q(state.name)} [label=${q(label)}${shape}];`);
  }
  lines.push(`  __start -> ${q(graph.initial)};`);
  for (const t of graph.transitions) {
    lines.push(`  ${q(t.from)} -> ${q(t.to)} [label=${q(t.label)}${t.any_state ? ', style=dashed' : ''}];`);
  }
  for (const i of graph.internal) lines.push(`  // in every state, ${i.event} stays put and runs ${i.actions.join(', ')}`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

export type GraphFormat = 'mermaid' | 'dot' | 'json';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['mermaid', 'dot', 'json'];

export function renderGraph(format: GraphFormat, graph: StatechartGraph = graphOf()): string {
  if (format === 'dot') return toDot(graph);
  if (format === 'json') return JSON.stringify(graph, null, 2) + '\n';
  return toMermaid(graph);
}
