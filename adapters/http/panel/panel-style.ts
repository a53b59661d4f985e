/** The install panel's style: system fonts, no images or fonts fetched, light and dark. */
export const PANEL_CSS = `
:root { color-scheme: light dark; --bg: #f5f6f8; --card: #fff; --text: #1c2330; --muted: #5b6475; --line: #dde1e8;
  --accent: #2f5fd0; --accent-text: #fff; --ok: #17804f; --bad: #b42318; --bad-bg: #fef3f2; --track: #e7eaf0; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #12151b; --card: #1b2029; --text: #e6e9ef; --muted: #9aa3b2; --line: #2c3340; --accent: #6d93ff;
    --accent-text: #0b1020; --ok: #4cc38a; --bad: #ff8a80; --bad-bg: #2a1818; --track: #2a303c; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 46rem; margin: 0 auto; padding: 2.5rem 1.5rem 3rem; }
header { display: flex; align-items: center; gap: .9rem; margin-bottom: 1.5rem; }
.logo { width: 2.5rem; height: 2.5rem; border-radius: .7rem; background: linear-gradient(135deg, #2f5fd0, #6d3fd0);
  display: grid; place-items: center; color: #fff; font-weight: 700; font-size: 1.1rem; }
h1 { font-size: 1.35rem; margin: 0; }
.sub { margin: 0; color: var(--muted); font-size: .9rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 14px; padding: 1.75rem; box-shadow: 0 1px 3px rgb(0 0 0 / .06); }
h2 { font-size: 1.25rem; margin: 0 0 .25rem; }
#summary { margin: 0 0 1.5rem; color: var(--muted); }
body[data-mode=error] #summary { color: var(--text); font-weight: 500; }
ol.steps { list-style: none; margin: 0 0 1.5rem; padding: 0; display: grid; grid-template-columns: repeat(4, 1fr); gap: .5rem; counter-reset: step; }
.steps li { counter-increment: step; display: flex; flex-direction: column; gap: .45rem; font-size: .9rem; color: var(--muted); }
.steps li::before { content: ""; display: block; height: 4px; border-radius: 2px; background: var(--track); }
.steps .mark { display: inline-grid; place-items: center; width: 1.4rem; height: 1.4rem; border-radius: 50%; border: 1.5px solid var(--line);
  font-size: .75rem; font-weight: 600; margin-right: .4rem; flex: none; }
.steps .mark::after { content: counter(step); }
.steps .row { display: flex; align-items: center; }
.steps .state { display: block; font-size: .78rem; padding-left: 1.8rem; min-height: 1.2em; }
.steps li[data-state=active] { color: var(--text); font-weight: 600; }
.steps li[data-state=active]::before { background: var(--accent); }
.steps li[data-state=active] .mark { border-color: var(--accent); color: var(--accent); }
.steps li[data-state=done]::before { background: var(--ok); }
.steps li[data-state=done] .mark { background: var(--ok); border-color: var(--ok); color: #fff; }
.steps li[data-state=done] .mark::after { content: "✓"; }
.steps li[data-state=skipped] .mark::after { content: "–"; }
.steps li[data-state=failed] { color: var(--bad); font-weight: 600; }
.steps li[data-state=failed]::before { background: var(--bad); }
.steps li[data-state=failed] .mark { background: var(--bad); border-color: var(--bad); color: #fff; }
.steps li[data-state=failed] .mark::after { content: "!"; }
.bar { height: 10px; border-radius: 5px; background: var(--track); overflow: hidden; }
.fill { height: 100%; width: 0; background: var(--accent); border-radius: 5px; transition: width .2s linear; }
.bar.indeterminate .fill { width: 30% !important; animation: slide 1.4s ease-in-out infinite; }
@keyframes slide { from { transform: translateX(-100%); } to { transform: translateX(340%); } }
@media (prefers-reduced-motion: reduce) { .bar.indeterminate .fill { animation: none; width: 100% !important; opacity: .4; } }
.figures { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; margin: .6rem 0 0; font-variant-numeric: tabular-nums; color: var(--muted); font-size: .9rem; }
.figures span:first-child { color: var(--text); font-weight: 500; }
#elapsed { margin: 0; font-variant-numeric: tabular-nums; }
.activity:empty { display: none; }
.activity { margin: .75rem 0 0; min-height: 1.3em; color: var(--muted); font: .82rem/1.4 ui-monospace, SFMono-Regular, Menlo, monospace;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.failure { background: var(--bad-bg); border: 1px solid color-mix(in srgb, var(--bad) 35%, transparent); border-radius: 10px; padding: 1rem 1.1rem; }
.failure h3 { margin: 0 0 .35rem; font-size: 1rem; color: var(--bad); }
.failure p { margin: .3rem 0; }
.failure .meta { color: var(--muted); font-size: .85rem; }
code { font: .85rem ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
dl.done { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1.25rem; margin: 0; }
dl.done dt { color: var(--muted); }
dl.done dd { margin: 0; font-weight: 500; }
.actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
.actions:not(:has(button:not([hidden]))) { display: none; }
button { font: inherit; font-weight: 600; padding: .6rem 1.3rem; border-radius: 8px; border: 0; background: var(--accent); color: var(--accent-text); cursor: pointer; }
button:hover { filter: brightness(1.08); }
button:disabled { opacity: .6; cursor: progress; }
button:focus-visible { outline: 3px solid color-mix(in srgb, var(--accent) 45%, transparent); outline-offset: 2px; }
footer { margin-top: 1rem; color: var(--muted); font-size: .82rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
[hidden] { display: none !important; }
@media (max-width: 560px) {
  main { padding: 1.25rem .9rem; }
  ol.steps { grid-template-columns: 1fr; }
  .steps li::before { display: none; }
}
`;
