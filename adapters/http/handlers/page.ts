/**
 * GET /: the install panel, the screen a desktop user sees while SkyPilot installs (and a
 * reference for the app's own view). Its script is the typed client bundled with the panel
 * (GET /assets/panel.js, handlers/assets.ts); the Content-Security-Policy lets the page load
 * nothing but that script and talk to nothing but this service.
 */
import type { RouteContext } from '../context.ts';
import { STEPS } from '../panel/panel-format.ts';
import { PANEL_CSS } from '../panel/panel-style.ts';

const steps = STEPS.map(
  (s) => `<li id="step-${s.phase}" data-state="pending"><span class="row"><span class="mark" aria-hidden="true"></span>${s.label}</span><span class="state"></span></li>`,
).join('\n');

const html = (script: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SkyPilot · Carapace</title>
<style>${PANEL_CSS}</style>
<script type="module" src="${script}"></script>
</head>
<body data-mode="loading">
<main>
<header><div class="logo" aria-hidden="true">S</div><div><h1>SkyPilot for Carapace</h1><p class="sub">Launch cloud clusters from Carapace</p></div></header>
<section class="card" aria-labelledby="headline">
<div role="status" aria-live="polite"><h2 id="headline">Loading…</h2><p id="summary"></p></div>
<ol class="steps" aria-label="Install steps">
${steps}
</ol>
<div id="transfer" hidden>
<div id="bar" class="bar" role="progressbar" aria-label="uv download" aria-valuemin="0" aria-valuemax="100"><div id="fill" class="fill"></div></div>
<p class="figures"><span id="amount"></span><span id="speed"></span><span id="eta"></span></p>
</div>
<p id="elapsed" hidden></p>
<p id="activity" class="activity"></p>
<div id="failure" class="failure" role="alert" hidden>
<h3>What to do</h3>
<p id="failure-hint"></p>
<p class="meta">Error: <code id="failure-code"></code></p>
<p class="meta">Log file: <code id="failure-log"></code></p>
</div>
<dl id="done" class="done" hidden><dt>Version</dt><dd id="version"></dd><dt>Location</dt><dd><code id="path"></code></dd></dl>
<div class="actions"><button id="install" type="button" hidden>Install SkyPilot</button><button id="retry" type="button" hidden>Retry</button></div>
</section>
<footer>Installs under <code id="home"></code></footer>
</main>
</body>
</html>
`;

export function progressPage(ctx: RouteContext): Response {
  // A page opened with ?token= passes it on to its script, which the same check guards (the
  // token was just accepted for this request; encodeURIComponent leaves no quote or angle bracket).
  const token = ctx.url.searchParams.get('token');
  const script = `/assets/panel.js${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  return new Response(html(script), {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
  });
}
