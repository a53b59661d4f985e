/**
 * The inspect page's script (inspect-page.ts embeds it): draws the statechart from the graph
 * and follows `install-state` events, highlighting the current state and the path taken.
 */
import type { StatechartGraph } from '../graph.ts';

/**
 * Runs in the browser. Kept as a typed function so tsc checks it; it is embedded with
 * Function.prototype.toString, so it must not reach anything outside its own body.
 */
export function inspectClient(graph: StatechartGraph): void {
  const SVG = 'http://www.w3.org/2000/svg';
  const NODE_W = 180;
  const NODE_H = 62;
  const COL = 250;
  const ROW = 190;
  const LEFT = 60;
  const TOP = 190;
  const $ = (id: string) => document.getElementById(id)!;
  const el = (name: string, attrs: Record<string, string | number>, parent?: Element) => {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
    parent?.appendChild(node);
    return node;
  };

  // Layers by longest path from the initial state, so every step forward moves right;
  // root transitions (any_state) and self-loops do not rank anything.
  const rank: Record<string, number> = { [graph.initial]: 0 };
  const forward = graph.transitions.filter((t) => !t.any_state && t.from !== t.to);
  for (let pass = 0; pass < graph.states.length; pass++) {
    for (const t of forward) {
      const from = rank[t.from];
      if (from !== undefined && (rank[t.to] ?? -1) < from + 1) rank[t.to] = from + 1;
    }
  }
  const rows: Record<number, number> = {};
  const at: Record<string, { x: number; y: number }> = {};
  for (const state of graph.states) {
    const r = rank[state.name] ?? 0;
    const row = (rows[r] = (rows[r] ?? -1) + 1);
    at[state.name] = { x: LEFT + r * COL, y: TOP + row * ROW };
  }
  const width = LEFT * 2 + (Math.max(0, ...Object.values(rank)) + 1) * COL;
  const height = TOP + Math.max(0, ...Object.values(rows)) * ROW + NODE_H + 30;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `statechart ${graph.id}` }, $('chart'));
  const defs = el('defs', {}, svg);
  for (const [id, cls] of [['arrow', 'head'], ['arrow-taken', 'head taken']] as const) {
    const marker = el('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 10, markerHeight: 10, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, defs);
    el('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }, marker);
  }

  // The source state already names the actor it invokes, so its edges say only `done` or `error`.
  const invokes: Record<string, string[]> = {};
  for (const state of graph.states) invokes[state.name] = state.invokes;
  const shortLabel = (t: StatechartGraph['transitions'][number]) => {
    const [actor, ...rest] = t.label.split(' ');
    return rest.length > 0 && invokes[t.from]?.includes(actor!) ? rest.join(' ') : t.label;
  };
  // One drawn edge per pair of states; its label lists every transition between them.
  const pairs = new Map<string, { from: string; to: string; labels: string[]; anyState: boolean }>();
  for (const t of graph.transitions) {
    if (t.from === t.to) continue;
    const key = `${t.from}>${t.to}`;
    const pair = pairs.get(key) ?? { from: t.from, to: t.to, labels: [], anyState: true };
    pair.labels.push(shortLabel(t));
    pair.anyState &&= t.any_state;
    pairs.set(key, pair);
  }
  const edges: Record<string, Element> = {};
  const edgeLayer = el('g', { class: 'edges' }, svg);
  for (const [key, pair] of pairs) {
    const a = at[pair.from]!;
    const b = at[pair.to]!;
    const span = Math.round((b.x - a.x) / COL);
    let d: string;
    let lx: number;
    let ly: number;
    let anchor = 'middle';
    if (b.y === a.y && span === 1) {
      d = `M${a.x + NODE_W},${a.y + NODE_H / 2} L${b.x},${b.y + NODE_H / 2}`;
      lx = (a.x + NODE_W + b.x) / 2;
      ly = a.y + NODE_H / 2 - 10;
    } else if (b.y === a.y) {
      // Skips a column: arc over the states in between, higher the further it goes.
      const lift = 40 + 35 * span;
      const x1 = a.x + NODE_W / 2;
      const x2 = b.x + NODE_W / 2;
      d = `M${x1},${a.y} C${x1},${a.y - lift} ${x2},${b.y - lift} ${x2},${b.y}`;
      lx = (x1 + x2) / 2;
      ly = a.y - lift * 0.75 - 6;
    } else {
      // Down to another row (the error state): straight down, then across.
      const x1 = a.x + NODE_W / 2 + (b.x > a.x ? 0 : -20);
      const y1 = b.y > a.y ? a.y + NODE_H : a.y;
      const ty = b.y + NODE_H / 2;
      d = `M${x1},${y1} C${x1},${ty} ${x1},${ty} ${b.x},${ty}`;
      lx = x1 + 8;
      ly = (y1 + ty) / 2;
      anchor = 'start';
    }
    const g = el('g', { class: pair.anyState ? 'edge any' : 'edge', 'data-edge': key }, edgeLayer);
    el('path', { d, 'marker-end': 'url(#arrow)' }, g);
    const text = el('text', { x: lx, y: ly, 'text-anchor': anchor }, g);
    pair.labels.forEach((label, i) => {
      const line = el('tspan', { x: lx, dy: i === 0 ? 0 : 14 }, text);
      line.textContent = label;
    });
    edges[key] = g;
  }

  const nodes: Record<string, Element> = {};
  const first = at[graph.initial]!;
  el('circle', { cx: first.x - 34, cy: first.y + NODE_H / 2, r: 7, class: 'start' }, svg);
  el('path', { d: `M${first.x - 27},${first.y + NODE_H / 2} L${first.x},${first.y + NODE_H / 2}`, class: 'start-edge', 'marker-end': 'url(#arrow)' }, svg);
  for (const state of graph.states) {
    const p = at[state.name]!;
    const g = el('g', { class: `state ${state.type}`, 'data-state': state.name, transform: `translate(${p.x},${p.y})` }, svg);
    const title = el('title', {}, g);
    title.textContent = state.description ?? state.name;
    el('rect', { width: NODE_W, height: NODE_H, rx: 12 }, g);
    if (state.type === 'final') el('rect', { x: 4, y: 4, width: NODE_W - 8, height: NODE_H - 8, rx: 9, class: 'inner' }, g);
    // A compound state (checking: locking, waiting for another installer, reading) lists its inner states.
    const [nameY, invokeY] = state.children.length ? [20, 37] : state.invokes.length ? [26, 46] : [36, 0];
    const name = el('text', { x: NODE_W / 2, y: nameY, 'text-anchor': 'middle', class: 'name' }, g);
    name.textContent = state.name;
    if (state.invokes.length) {
      const inv = el('text', { x: NODE_W / 2, y: invokeY, 'text-anchor': 'middle', class: 'invoke' }, g);
      inv.textContent = `invoke ${state.invokes.join(', ')}`;
    }
    if (state.children.length) {
      const inner = el('text', { x: NODE_W / 2, y: 53, 'text-anchor': 'middle', class: 'substates' }, g);
      inner.textContent = state.children.map((c) => c.name).join(' › ');
      const title = el('title', {}, inner);
      title.textContent = state.children.map((c) => `${c.name}: ${c.description ?? ''}`).join('\n');
    }
    nodes[state.name] = g;
  }
  for (const i of graph.internal) {
    const li = document.createElement('li');
    li.textContent = `${i.event}: handled in every state without leaving it (${i.actions.join(', ')})`;
    $('internal').appendChild(li);
  }

  let attempt: number | null = null;
  let current: string | null = null;
  const show = (state: string | null) => {
    current = state;
    for (const [name, node] of Object.entries(nodes)) {
      node.classList.toggle('current', name === state);
      node.setAttribute('aria-current', name === state ? 'step' : 'false');
    }
    document.body.dataset.current = state ?? '';
    $('current').textContent = state ?? 'none';
  };
  const reset = (next: number) => {
    attempt = next;
    for (const node of Object.values(nodes)) node.classList.remove('visited');
    for (const edge of Object.values(edges)) {
      edge.classList.remove('taken');
      edge.querySelector('path')!.setAttribute('marker-end', 'url(#arrow)');
    }
    $('path').replaceChildren();
    document.body.dataset.attempt = String(next);
    $('attempt').textContent = String(next);
  };
  const record = (d: { attempt: number; from: string | null; to: string; time: string }) => {
    if (d.attempt !== attempt) reset(d.attempt);
    nodes[d.to]?.classList.add('visited');
    if (d.from) {
      const edge = edges[`${d.from}>${d.to}`];
      edge?.classList.add('taken');
      edge?.querySelector('path')!.setAttribute('marker-end', 'url(#arrow-taken)');
    }
    const li = document.createElement('li');
    li.dataset.state = d.to;
    li.textContent = `${d.from ?? 'start'} → ${d.to}`;
    const time = document.createElement('time');
    time.textContent = ` ${d.time}`;
    li.appendChild(time);
    $('path').appendChild(li);
    show(d.to);
    document.body.dataset.path = Array.from($('path').children, (c) => (c as HTMLElement).dataset.state).join(' ');
  };

  const token = new URLSearchParams(location.search).get('token');
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  // Shows a running attempt's phase straight away; events then take over.
  void fetch(`/cluster/install-status${query}`, token ? { headers: { authorization: `Bearer ${token}` } } : {})
    .then((res) => (res.ok ? res.json() : null))
    .then((status: { phase?: string | null } | null) => {
      if (current === null && status?.phase) show(status.phase);
    })
    .catch(() => {});
  const source = new EventSource(`/cluster/events${query}`);
  source.addEventListener('install-state', (e) => record(JSON.parse((e as MessageEvent<string>).data)));
  source.addEventListener('open', () => {
    document.body.dataset.stream = 'open';
    $('stream').textContent = 'live';
  });
  source.addEventListener('error', () => {
    document.body.dataset.stream = 'reconnecting';
    $('stream').textContent = 'reconnecting…';
  });
  document.body.dataset.ready = 'true';
}
