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
  /** Actor sources this state (or a state inside it) invokes while it is active. */
  invokes: string[];
  /** The states inside a compound state (one level: `checking` takes the lock, then reads), else empty. */
  children: GraphState[];
  /** Where a compound state starts, else null. */
  initial: string | null;
  /** Transitions between the states inside it, by their own keys. */
  inner: GraphTransition[];
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

const childrenOf = (node: AnyStateNode) => Object.values(node.states) as AnyStateNode[];

export function graphOf(machine: AnyStateMachine = installMachine): StatechartGraph {
  const root = machine.root;
  const children = childrenOf(root);
  if (children.some((child) => childrenOf(child).some((grandchild) => childrenOf(grandchild).length > 0))) {
    // The renderings below draw one level of nesting; a deeper machine needs them taught more first.
    throw new Error('graphOf draws one level of nested states only');
  }
  const transitions: GraphTransition[] = [];
  const internal: StatechartGraph['internal'] = [];

  /**
   * The transitions declared on `node`, drawn from each state in `from`. A target inside `top`
   * (a compound phase) goes to `inner`, by the child's key; any other target is drawn to the
   * top-level state it belongs to.
   */
  const add = (node: AnyStateNode, from: string[], anyState: boolean, top: AnyStateNode | null, inner: GraphTransition[]) => {
    for (const [event, candidates] of node.transitions) {
      const guarded = candidates.some((t) => t.guard);
      for (const t of candidates) {
        const guard = t.guard ? nameOf(t.guard) : null;
        const otherwise = !t.guard && guarded;
        const label = labelFor(node, event, guard, otherwise);
        if (!t.target || t.target.length === 0) {
          if (anyState) internal.push({ event, actions: t.actions.map(nameOf) });
          else for (const f of from) (top && node !== top ? inner : transitions).push({ from: f, to: f, event, guard, otherwise, any_state: false, label });
          continue;
        }
        for (const target of t.target) {
          const within = top !== null && target.parent === top;
          const to = within ? target.key : String(target.path[0]);
          // A compound state's own transition into one of its children leaves every other child.
          const sources = within && node === top ? childrenOf(top).map((c) => c.key).filter((k) => k !== to) : from;
          for (const f of sources) (within ? inner : transitions).push({ from: f, to, event, guard, otherwise, any_state: anyState, label });
        }
      }
    }
  };

  const states: GraphState[] = children.map((node) => {
    const inner: GraphTransition[] = [];
    const kids = childrenOf(node);
    add(node, [node.key], false, kids.length > 0 ? node : null, inner);
    for (const kid of kids) add(kid, [kid.key], false, node, inner);
    // A transition declared inside a compound state but leaving it is drawn from the compound state.
    for (const t of transitions) if (kids.some((k) => k.key === t.from)) t.from = node.key;
    return {
      name: node.key,
      type: node.type,
      description: node.description ?? null,
      invokes: [node, ...kids].flatMap((n) => n.invoke.map((inv) => nameOf(inv.src))),
      children: kids.map((kid) => ({
        name: kid.key,
        type: kid.type,
        description: kid.description ?? null,
        invokes: kid.invoke.map((inv) => nameOf(inv.src)),
        children: [],
        initial: null,
        inner: [],
      })),
      initial: node.initial?.target?.[0]?.key ?? null,
      inner,
    };
  });
  // A root transition applies wherever the machine can still receive events: every state but the final ones.
  add(root, children.filter((node) => node.type !== 'final').map((node) => node.key), true, null, []);

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
    if (state.children.length > 0) {
      lines.push(`  state ${state.name} {`, `    [*] --> ${state.initial}`);
      for (const child of state.children) if (child.invokes.length > 0) lines.push(`    ${child.name} : invoke ${child.invokes.join(', ')}`);
      for (const t of state.inner) lines.push(`    ${t.from} --> ${t.to} : ${clean(t.label)}`);
      lines.push('  }');
    } else if (state.invokes.length > 0) lines.push(`  ${state.name} : invoke ${state.invokes.join(', ')}`);
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
    const parts = [state.name, ...(state.invokes.length > 0 ? [`invoke ${state.invokes.join(', ')}`] : [])];
    if (state.children.length > 0) parts.push(`(${state.children.map((c) => c.name).join(' · ')})`);
    const label = parts.join('\n');
    const shape = state.type === 'final' ? ', shape=doublecircle, style=""' : '';
    lines.push(`  ${q(state.name)} [label=${q(label)}${shape}];`);
  }
  lines.push(`  __start -> ${q(graph.initial)};`);
  for (const t of graph.transitions) {
    lines.push(`  ${q(t.from)} -> ${q(t.to)} [label=${q(t.label)}${t.any_state ? ', style=dashed' : ''}];`);
  }
  for (const state of graph.states) {
    for (const t of state.inner) lines.push(`  // in ${state.name}: ${t.from} -> ${t.to} on ${t.label}`);
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
