/**
 * GET /: a small page that follows installs over the event stream, for a person at the
 * browser and for the browser tests. The script is inline and allowed by its hash alone
 * (Content-Security-Policy), so the page can load nothing from anywhere else.
 */
import { createHash } from 'node:crypto';
import type { RouteContext } from '../context.ts';

const SCRIPT = `
const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get('token');
const source = new EventSource('/cluster/events' + (token ? '?token=' + encodeURIComponent(token) : ''));
let attempt = null;
source.addEventListener('install-state', (e) => {
  const d = JSON.parse(e.data);
  if (d.attempt !== attempt) { attempt = d.attempt; $('phases').replaceChildren(); $('attempt').textContent = String(d.attempt); }
  const li = document.createElement('li');
  li.dataset.phase = d.to;
  li.textContent = d.to + ' at ' + d.time;
  $('phases').append(li);
  document.body.dataset.phase = d.to;
});
source.addEventListener('install-progress', (e) => {
  const d = JSON.parse(e.data);
  $('message').textContent = d.message + (d.percent === null ? '' : ' (' + d.percent.toFixed(0) + '%)');
});
source.addEventListener('cluster-log', (e) => {
  const d = JSON.parse(e.data);
  $('log').textContent += '[' + d.cluster + '] ' + d.line + '\\n';
});
source.addEventListener('open', () => { document.body.dataset.stream = 'open'; });
source.addEventListener('error', () => { document.body.dataset.stream = 'reconnecting'; });
`;

const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Carapace · SkyPilot install</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem; max-width: 48rem; }
li[data-phase=complete] { color: #16794a; } li[data-phase=error] { color: #b3261e; }
pre { background: #f4f4f4; padding: .5rem; overflow-x: auto; }
</style>
</head>
<body>
<h1>SkyPilot install</h1>
<p>Attempt <span id="attempt">none yet</span>: <span id="message"></span></p>
<ol id="phases"></ol>
<pre id="log"></pre>
<script>${SCRIPT}</script>
</body>
</html>
`;

export function progressPage(_ctx: RouteContext): Response {
  return new Response(HTML, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; script-src 'sha256-${SCRIPT_HASH}'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
  });
}
