/**
 * GET /cluster/install/inspect: the install statechart, live and offline. The page draws the
 * chart from the machine's own definition (adapters/graph.ts, embedded as JSON), then follows
 * `install-state` events on /cluster/events, highlighting the current state and the path the
 * attempt took. Everything is inline and allowed by hash (Content-Security-Policy), so it
 * works on a plane and can load nothing from anywhere else.
 */
import { createHash } from 'node:crypto';
import { graphOf, type StatechartGraph } from '../graph.ts';
import { inspectClient } from './inspect-client.ts';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem 2rem; color: #1d232a; background: #fbfcfd; }
h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
.bar { color: #4a5560; margin-bottom: .5rem; } .bar b { color: #1d232a; }
#chart { overflow-x: auto; }
svg { font: 12px system-ui, sans-serif; }
.state rect { fill: #fff; stroke: #8a96a3; stroke-width: 1.5; }
.state .inner { fill: none; }
.state .name { font-weight: 600; font-size: 14px; fill: #1d232a; }
.state .invoke { fill: #5b6773; font-size: 12px; }
.state .substates { fill: #5b6773; font-size: 11px; font-style: italic; }
.state.visited rect { fill: #e7f5ec; stroke: #2e8b57; }
.state.current rect { fill: #dbeafe; stroke: #1d4ed8; stroke-width: 3.5; }
.state.current.final rect { fill: #d1fae5; stroke: #047857; }
.state.current[data-state=error] rect { fill: #fde2e1; stroke: #b3261e; }
.state.current .inner { fill: none; stroke-width: 1.5; }
.edge path { fill: none; stroke: #9aa5b1; stroke-width: 1.4; }
.edge.any path { stroke-dasharray: 5 4; }
.edge text { fill: #5b6773; }
.edge.taken path { stroke: #2e8b57; stroke-width: 3; stroke-dasharray: none; }
.edge.taken text { fill: #1f6b43; }
.head { fill: #9aa5b1; } .head.taken { fill: #2e8b57; }
.start { fill: #1d232a; } .start-edge { stroke: #1d232a; stroke-width: 1.4; fill: none; }
#path li time { color: #6b7785; font-size: 12px; }
.legend { color: #4a5560; font-size: 13px; }
`;

const CACHE = new Map<string, { html: string; csp: string }>();

function render(graph: StatechartGraph): { html: string; csp: string } {
  const key = JSON.stringify(graph);
  const hit = CACHE.get(key);
  if (hit) return hit;
  // `<` escaped so no label can close the script element.
  const data = key.replace(/</g, '\\u003c');
  const script = `(${inspectClient.toString()})(${data});`;
  const hash = createHash('sha256').update(script).digest('base64');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Carapace · install statechart</title>
<style>${STYLE}</style>
</head>
<body data-current="" data-stream="connecting">
<h1>Install statechart <small>(${graph.id}, drawn from the machine definition)</small></h1>
<p class="bar">Attempt <b id="attempt">none yet</b> · current state <b id="current">none</b> · events <b id="stream">connecting…</b></p>
<div id="chart"></div>
<p class="legend">Blue: the current state. Green: the path this attempt took. Hover a state for what it does.</p>
<ul class="legend" id="internal"></ul>
<h2>Path taken</h2>
<ol id="path"></ol>
<script>${script}</script>
</body>
</html>
`;
  const csp = `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;
  const rendered = { html, csp };
  CACHE.set(key, rendered);
  return rendered;
}

/** The page for GET /cluster/install/inspect. */
export function inspectPage(graph: StatechartGraph = graphOf()): Response {
  const { html, csp } = render(graph);
  return new Response(html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
  });
}
