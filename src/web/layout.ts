// The page shell every HTML page shares: head, navigation, light and dark colours, and helpers for common bits.
import {html, raw} from 'hono/html'
import type {HtmlEscapedString} from 'hono/utils/html'

import type {Version} from '../base/version.js'

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1b1b;--muted:#595959;--line:#d6d6d6;--link:#0550ae;--code:#f4f4f4;
--success:#1a7f37;--failure:#c62828;--error:#b35900;--cancelled:#595959;--running:#0550ae;--pending:#595959;--mark:#fff3b0}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e6e6e6;--muted:#a8a8a8;--line:#3a3f45;--link:#79b8ff;
--code:#1c2128;--success:#56d364;--failure:#ff7b72;--error:#f0a05a;--cancelled:#a8a8a8;--running:#79b8ff;--pending:#a8a8a8;--mark:#4d3d00}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,sans-serif}
header{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line)}
header strong{margin-right:.5rem}main{padding:0 1rem 2rem;max-width:80rem}
a{color:var(--link)}a:focus-visible{outline:2px solid var(--link);outline-offset:2px}
table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600}code,pre{font-family:ui-monospace,monospace;font-size:.9em}code{overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
.status{font-weight:600}.s-success{color:var(--success)}.s-failure{color:var(--failure)}.s-error{color:var(--error)}
.s-cancelled{color:var(--cancelled)}.s-running{color:var(--running)}.s-pending{color:var(--pending)}
.muted{color:var(--muted)}form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}
label{display:flex;flex-direction:column;font-size:.85em}input,select,button{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);padding:.2rem .4rem}
pre.log{background:var(--code);padding:.5rem 0;overflow-x:auto;counter-reset:line}
pre.log span.line{display:block;padding:0 .5rem}pre.log span.line:target,pre.log span.line.hl{background:var(--mark)}
pre.log a.ln{display:inline-block;min-width:3.5em;color:var(--muted);text-decoration:none;user-select:none}
figure.graph{margin:1rem 0;overflow-x:auto}figure.graph svg{max-width:100%;height:auto;background:#fff}
@media (max-width:40rem){main{padding:0 .5rem 2rem}th,td{padding:.25rem .35rem}}
`

export function layout(title: string, body: Html | string, options: {head?: Html} = {}): Html {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · dkt</title><style>${raw(STYLE)}</style>${options.head ?? ''}</head>
<body>
<header><strong><a href="/">dkt</a></strong><nav aria-label="main"><a href="/runs">Runs</a> · <a href="/nodes">Nodes</a> · <a href="/sources">Sources</a> · <a href="/graph">Graph</a></nav></header>
<main><h1>${title}</h1>
${body}
</main>
</body>
</html>`
}

export function short(id: string): string {
  return id.slice(id.indexOf(':') + 1, id.indexOf(':') + 9)
}

export function statusText(status: string): Html {
  return html`<span class="status s-${status}">${status}</span>`
}

export function runLink(node: string, run: string): Html {
  return html`<a href="/runs/${node}/${run}"><code>${short(run)}</code></a>`
}

export function nodeLink(node: string): Html {
  return html`<a href="/nodes/${node}"><code>${short(node)}</code></a>`
}

export function sourceLink(name: string): Html {
  return html`<a href="/sources/${encodeURIComponent(name)}">${name}</a>`
}

export function versionLink(source: string, version: Version): Html {
  return html`<a href="/sources/${encodeURIComponent(source)}#v-${short(version)}"><code>${short(version)}</code></a>`
}

/** `name 3dd2cc1d, other 0e500a4e`, each linked to the source's page. */
export function versionsList(versions: Record<string, Version>): Html {
  const entries = Object.entries(versions)
  if (entries.length === 0) return html`<span class="muted">-</span>`
  return html`${entries.map(([name, version], i) => html`${i > 0 ? ', ' : ''}${sourceLink(name)} ${versionLink(name, version)}`)}`
}

export function time(iso: string | null): Html {
  return iso ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>` : html`<span class="muted">-</span>`
}
