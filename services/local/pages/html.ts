/** The local pages' HTML shell: one stylesheet, readable on a laptop, visible keyboard focus. */
import { escapeHtml } from '../../core/after-call/call-report.js';

export { escapeHtml };

const STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0b5cad; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
header { display: flex; align-items: baseline; gap: 1.5rem; padding: 0.75rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--bg); }
header h1 { font-size: 1.25rem; margin: 0; overflow-wrap: anywhere; }
header nav a { margin-right: 1rem; }
main { padding: 1rem 1.5rem 2rem; max-width: 1200px; }
h2 { font-size: 1.05rem; margin: 0 0 0.5rem; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
button { font: inherit; font-weight: 600; padding: 0.6rem 1.4rem; border-radius: 6px; border: 1px solid transparent; cursor: pointer; }
button:disabled { opacity: 0.45; cursor: not-allowed; }
#call { background: #1a7f37; color: #fff; }
#hang-up { background: #cf222e; color: #fff; margin-left: 0.5rem; }
.muted { color: var(--muted); }
.grid { display: grid; grid-template-columns: minmax(280px, 1fr) minmax(320px, 1.4fr); gap: 1rem; }
.panel { border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem 1rem; min-height: 6rem; }
.panel.wide { grid-column: 1 / -1; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0.75rem 0 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
ol.log { margin: 0; padding-left: 1.4rem; }
ol.log li { margin: 0.25rem 0; }
ol.log li.agent strong { color: var(--accent); }
ol.log li.caller strong { color: #1a7f37; }
ol.log li.failed { color: #cf222e; }
code, pre { font: 0.9em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { white-space: pre-wrap; background: var(--bg); padding: 0.75rem; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
@media (max-width: 800px) { .grid { grid-template-columns: 1fr; } }
`;

export function htmlPage(title: string, body: string, script?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Bolt Voice (local)</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><nav aria-label="Local pages"><a href="/phone">Softphone</a><a href="/calls">Calls</a></nav><span class="muted">Bolt Voice local stack</span></header>
<main>
${body}
</main>
${script ? `<script type="module" src="${escapeHtml(script)}"></script>` : ''}
</body>
</html>
`;
}
