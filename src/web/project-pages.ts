// The front page, the node pages and the source pages as HTML.
import {html} from 'hono/html'

import type {CheckedSource, Overview, SourceHistory} from '../core/history.js'
import {commandText} from '../core/interpolate.js'
import type {NodeDef} from '../core/model/node.js'
import type {RunRow} from '../core/node/list.js'
import type {SourceCheck} from '../core/source/checks.js'
import type {SourceView} from '../core/source/store.js'
import type {NodeStatus} from '../core/status.js'
import {type Html, layout, nodeLink, runLink, short, sourceLink, statusText, time, versionLink} from './layout.js'
import {versionPath} from './graph-pages.js'
import {runsTable} from './run-pages.js'

function list(items: string[]): Html {
  return items.length > 0 ? html`${items.map((item, i) => html`${i > 0 ? ', ' : ''}${sourceLink(item)}`)}` : html`<span class="muted">-</span>`
}

function statusTable(nodes: NodeStatus[]): Html {
  if (nodes.length === 0) return html`<p class="muted">Nothing to run.</p>`
  return html`<table><thead><tr><th scope="col">Node</th><th scope="col">Command</th><th scope="col">State</th><th scope="col">Why</th></tr></thead>
<tbody>${nodes.map(
    (node) => html`<tr><td>${nodeLink(node.node)}</td><td><code>${commandText(node.command)}</code></td><td>${node.state}</td><td>${node.reasons.join('; ')}</td></tr>`,
  )}</tbody></table>`
}

export function homePage(data: Overview): Html {
  const due = data.nodes.filter((node) => node.due || node.state === 'failed')
  return layout(
    'Project',
    html`<h2>Running</h2>${runsTable(data.running)}
<h2>Due nodes</h2>${statusTable(due)}
<h2>Last failures</h2>${runsTable(data.failures)}
<h2>Newest runs</h2>${runsTable(data.newest)}<p><a href="/runs">All runs</a></p>
${data.failing.length > 0 ? html`<h2>Sources in error</h2>${failingTable(data.failing)}` : ''}
${data.paused.length > 0 ? html`<h2>Paused sources</h2><p>${list(data.paused.map((source) => source.name))}</p>` : ''}`,
  )
}

export function nodesPage(nodes: NodeDef[]): Html {
  return layout(
    'Nodes',
    nodes.length === 0
      ? html`<p class="muted">No nodes.</p>`
      : html`<table><thead><tr><th scope="col">Node</th><th scope="col">Command</th><th scope="col">Labels</th><th scope="col">Inputs</th><th scope="col">Outputs</th></tr></thead>
<tbody>${nodes.map(
          (node) => html`<tr><td>${nodeLink(node.id)}</td><td><code>${commandText(node.command)}</code></td><td>${node.labels.join(', ') || '-'}</td><td>${list(node.inputs)}</td><td>${list(node.outputs)}</td></tr>`,
        )}</tbody></table>`,
  )
}

export function nodePage(node: NodeDef, status: NodeStatus | undefined, runs: RunRow[]): Html {
  return layout(
    `Node ${short(node.id)}`,
    html`<dl>
<dt>Command</dt><dd><code>${commandText(node.command)}</code></dd>
${node.image ? html`<dt>Image</dt><dd><code>${node.image}</code></dd>` : ''}
${node.script ? html`<dt>Script</dt><dd><code>${node.script.path}</code> <span class="muted">${short(node.script.digest)}</span></dd>` : ''}
<dt>Labels</dt><dd>${node.labels.join(', ') || '-'}</dd>
<dt>Inputs</dt><dd>${list(node.inputs)}</dd><dt>Outputs</dt><dd>${list(node.outputs)}</dd>
${node.onSuccess ? html`<dt>On success</dt><dd><code>${node.onSuccess}</code></dd>` : ''}
${node.onFailure ? html`<dt>On failure</dt><dd><code>${node.onFailure}</code></dd>` : ''}
<dt>State</dt><dd>${status ? html`${status.state}: ${status.reasons.join('; ')}` : html`<span class="muted">removed</span>`}</dd>
<dt>ID</dt><dd><code>${node.id}</code></dd></dl>
${node.script ? html`<details><summary>Script</summary><pre>${node.script.content}</pre></details>` : ''}
<h2>Runs</h2>${runsTable(runs.map((run) => ({...run, node: node.id})))}`,
  )
}

/** The last check in a few words: when, and whether it failed. */
function checkSummary(check: SourceCheck | null): Html {
  if (!check) return html`<span class="muted">not checked by a scheduler</span>`
  if (check.consecutiveFailures === 0) return html`<span class="s-success">ok</span> ${time(check.lastCheck)}`
  return html`<span class="status s-failure">error</span> ${time(check.lastCheck)}`
}

function failingTable(sources: CheckedSource[]): Html {
  return html`<table><thead><tr><th scope="col">Source</th><th scope="col">Error</th><th scope="col">Failures in a row</th><th scope="col">Next retry</th><th scope="col">Last success</th></tr></thead>
<tbody>${sources.map(
    ({name, check}) => html`<tr><td>${sourceLink(name)}</td><td>${check?.lastError}</td><td>${check?.consecutiveFailures}</td><td>${time(check?.nextRetry ?? null)}</td><td>${time(check?.lastSuccess ?? null)}</td></tr>`,
  )}</tbody></table>`
}

function checkFacts(check: SourceCheck | null): Html {
  if (!check) return html`<dt>Last check</dt><dd>${checkSummary(check)}</dd>`
  return html`<dt>Last check</dt><dd>${checkSummary(check)}</dd>
${check.lastError ? html`<dt>Error</dt><dd>${check.lastError}</dd><dt>Backoff</dt><dd>${check.consecutiveFailures} failure${check.consecutiveFailures === 1 ? '' : 's'} in a row; next retry ${time(check.nextRetry)}</dd>` : ''}
<dt>Last success</dt><dd>${time(check.lastSuccess)}</dd><dt>Checks</dt><dd>${check.checks} (${check.failures} failed)</dd>`
}

function sourceFacts(source: SourceView, check: SourceCheck | null): Html {
  return html`<dl><dt>Kind</dt><dd>${source.kind}</dd><dt>Location</dt><dd><code>${source.location}</code></dd>
<dt>Tag</dt><dd>${source.tag ?? '-'}</dd><dt>Path</dt><dd>${source.path ?? '-'}</dd>
${source.parent ? html`<dt>Derived from</dt><dd>${sourceLink(source.parent)}</dd>` : ''}
<dt>Pinned</dt><dd>${source.pinned ? 'yes' : 'no'}</dd><dt>Paused</dt><dd>${source.paused ? 'yes' : 'no'}</dd>
<dt>Latest</dt><dd>${source.latest ? versionLink(source.name, source.latest) : '-'}</dd>
${checkFacts(check)}</dl>`
}

export function sourcesPage(sources: CheckedSource[]): Html {
  return layout(
    'Sources',
    sources.length === 0
      ? html`<p class="muted">No sources.</p>`
      : html`<table><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Location</th><th scope="col">Latest</th><th scope="col">Last check</th></tr></thead>
<tbody>${sources.map(
          (source) => html`<tr><td>${sourceLink(source.name)}${source.pinned ? ' (pinned)' : ''}${source.paused ? ' (paused)' : ''}</td><td>${source.kind}</td><td><code>${source.location}</code></td><td>${source.latest ? versionLink(source.name, source.latest) : '-'}</td><td>${checkSummary(source.check)}</td></tr>`,
        )}</tbody></table>`,
  )
}

export function sourcePage(history: SourceHistory): Html {
  const {source} = history
  return layout(
    `Source ${source.name}`,
    html`${sourceFacts(source, history.check)}<h2>Versions</h2>
${history.versions.length === 0 ? html`<p class="muted">No versions yet.</p>` : ''}
<table><thead><tr><th scope="col">Version</th>${history.columns.map((column) => html`<th scope="col">${column}</th>`)}<th scope="col">Observed</th><th scope="col">Output of</th><th scope="col">Input to</th></tr></thead>
<tbody>${history.versions.map(
      (entry) => html`<tr id="v-${short(entry.version)}"><td><a href="${versionPath(`${source.name}:${entry.version}`)}" title="provenance of ${entry.version}"><code>${short(entry.version)}</code></a>${entry.pinned ? ' (pinned)' : ''}</td>
${history.columns.map((column) => html`<td>${entry.info[column] ?? '-'}</td>`)}<td>${time(entry.observed)}</td>
<td>${entry.outputOf ? html`${runLink(entry.outputOf.node, entry.outputOf.run)} ${statusText(entry.outputOf.status)}` : html`<span class="muted">-</span>`}</td>
<td>${entry.inputTo.length > 0 ? entry.inputTo.map((ref, i) => html`${i > 0 ? ', ' : ''}${runLink(ref.node, ref.run)} ${statusText(ref.status)}`) : html`<span class="muted">-</span>`}</td></tr>`,
    )}</tbody></table>`,
  )
}
