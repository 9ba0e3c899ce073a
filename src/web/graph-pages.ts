// The pages drawn as graphs: a version's provenance and the pipeline, as SVG (Graphviz, whose boxes link to their
// pages) with the same facts as lists and tables for readers that do not see the drawing.
import {html, raw} from 'hono/html'

import {renderSvg} from '../core/inspect/dot.js'
import type {PipelineGraph} from '../core/inspect/pipeline.js'
import {isRunEntry, type ManifestEntry, type Provenance} from '../core/inspect/walk.js'
import {commandText} from '../core/interpolate.js'
import {type Html, layout, nodeLink, short, sourceLink, statusText} from './layout.js'

export function versionPath(versionKey: string): string {
  const colon = versionKey.indexOf(':')
  return `/versions/${encodeURIComponent(versionKey.slice(0, colon))}:${versionKey.slice(colon + 1)}`
}

/** Where a box of a provenance graph links to. */
export function entryHref(entry: ManifestEntry): string {
  return isRunEntry(entry) ? `/runs/${entry.run}` : versionPath(entry.version)
}

/** Graphviz's SVG, with no XML prologue, as a figure described by `label`. */
async function figure(dot: string, label: string): Promise<Html> {
  const svg = (await renderSvg(dot)).replace(/^[\s\S]*?<svg/, '<svg').replace('<svg', `<svg role="img" aria-label="${label.replace(/[<>&"]/g, '')}"`)
  // Graphviz escapes every label and link it writes into the SVG.
  return html`<figure class="graph">${raw(svg)}</figure>`
}

export async function versionPage(provenance: Provenance, dot: string): Promise<Html> {
  const base = versionPath(provenance.target)
  const target = provenance.entries.at(-1)
  return layout(
    `Provenance of ${target && !isRunEntry(target) ? `${target.source}:${target.ID}` : provenance.target}`,
    html`<p>Downloads: <a href="${base}?format=json">JSON</a> · <a href="${base}?format=dot">DOT</a></p>
${await figure(dot, `provenance of ${provenance.target}`)}
<h2>Entries</h2><ol>${provenance.entries.map((entry) =>
      isRunEntry(entry)
        ? html`<li>run <a href="${entryHref(entry)}"><code>${entry.ID}</code></a> of node ${nodeLink(entry.node)} ${statusText(entry.status)}: <code>${commandText(entry.command)}</code></li>`
        : html`<li>${sourceLink(entry.source)} <a href="${entryHref(entry)}"><code>${entry.ID}</code></a> <span class="muted">(${entry.kind})</span></li>`,
    )}</ol>`,
  )
}

export async function graphPage(graph: PipelineGraph, dot: string): Promise<Html> {
  const title = graph.focus ? `Pipeline around node ${short(graph.focus)}` : 'Pipeline'
  const depthLink = (depth: number) => `/graph?focus=${graph.focus}&depth=${depth}`
  return layout(
    title,
    html`${graph.guarded ? html`<p>The whole pipeline is too large to draw; it is shown around one node.</p>` : ''}
<p>${graph.focus ? html`Depth ${graph.depth}: <a href="${depthLink(graph.depth + 1)}">more</a>${graph.depth > 1 ? html` · <a href="${depthLink(graph.depth - 1)}">less</a>` : ''} · <a href="/graph?whole=1">whole pipeline</a> · ` : ''}
<a href="?format=json${graph.focus ? `&focus=${graph.focus}&depth=${graph.depth}` : '&whole=1'}">JSON</a></p>
${graph.nodes.length === 0 ? html`<p class="muted">No nodes.</p>` : await figure(dot, title)}
<h2>Nodes</h2><ul>${graph.nodes.map(
      (node) => html`<li>${nodeLink(node.id)} ${node.lastStatus ? statusText(node.lastStatus) : html`<span class="muted">never run</span>`} <code>${commandText(node.command)}</code>
(${node.inputs.map((name, i) => html`${i > 0 ? ', ' : ''}${sourceLink(name)}`)} → ${node.outputs.map((name, i) => html`${i > 0 ? ', ' : ''}${sourceLink(name)}`)})
<a href="/graph?focus=${node.id}&depth=${graph.depth}">focus</a></li>`,
    )}</ul>`,
  )
}
