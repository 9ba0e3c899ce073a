// The run pages as HTML: the list with its filters and pages, and one run (manifest, why it ran, attempts, log).
import {html} from 'hono/html'

import type {RunDetail, RunFilter, RunSummary} from '../core/history.js'
import {commandText} from '../core/interpolate.js'
import {RUN_STATUSES} from '../core/model/run.js'
import {type Html, layout, nodeLink, runLink, short, sourceLink, statusText, time, versionLink, versionsList} from './layout.js'

export function runsTable(runs: RunSummary[], options: {caption?: string} = {}): Html {
  if (runs.length === 0) return html`<p class="muted">No runs.</p>`
  return html`<table>${options.caption ? html`<caption>${options.caption}</caption>` : ''}
<thead><tr><th scope="col">Run</th><th scope="col">Node</th><th scope="col">Status</th><th scope="col">Inputs</th><th scope="col">Outputs</th><th scope="col">Started</th></tr></thead>
<tbody>${runs.map(
    (run) => html`<tr><td>${run.status === 'pending' ? html`<code>${short(run.id)}</code>` : runLink(run.node, run.id)}${run.attempt > 1 ? html` <span class="muted">#${run.attempt}</span>` : ''}</td>
<td>${nodeLink(run.node)}</td><td>${statusText(run.status)}</td><td>${versionsList(run.inputs)}</td><td>${versionsList(run.outputs)}</td><td>${time(run.startedAt)}</td></tr>`,
  )}</tbody></table>`
}

function filterForm(filter: RunFilter): Html {
  return html`<form class="filters" method="get" action="/runs">
<label>Status <select name="status"><option value="">any</option>${RUN_STATUSES.map(
    (status) => html`<option${filter.status === status ? html` selected` : ''}>${status}</option>`,
  )}</select></label>
<label>Node <input name="node" value="${filter.node ?? ''}" size="10" placeholder="ID prefix"></label>
<label>Input <input name="input" value="${filter.input ?? ''}" size="16" placeholder="SOURCE:VERSION"></label>
<button type="submit">Filter</button></form>`
}

function pageQuery(filter: RunFilter, after: string): string {
  const query = new URLSearchParams()
  for (const key of ['status', 'node', 'input'] as const) if (filter[key]) query.set(key, filter[key] as string)
  query.set('after', after)
  return `/runs?${query}`
}

export function runsPage(filter: RunFilter, runs: RunSummary[], next: string | null, actions: {rerunFailed?: boolean} = {}): Html {
  const failedOnly = pageQuery(filter, '').replace(/^\/runs\?/, '').replace(/&?after=$/, '')
  return layout(
    'Runs',
    html`${filterForm(filter)}${actions.rerunFailed ? html`<p><a href="/rerun-failed${failedOnly ? `?${failedOnly}` : ''}">Rerun the failed runs of this list…</a></p>` : ''}${runsTable(runs)}
<nav aria-label="pages"><p>${filter.after ? html`<a href="/runs">First page</a>` : ''} ${next ? html`<a href="${pageQuery(filter, next)}" rel="next">Next page</a>` : ''}</p></nav>`,
  )
}

/** The log with one anchor per line (`#L12`); a range (`#L12-L20`) is highlighted by the page's script. */
function logLines(text: string, options: {events?: string} = {}): Html {
  if (text === '' && !options.events) return html`<p class="muted">No output.</p>`
  const lines = text === '' ? [] : text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n')
  return html`<pre class="log" id="log"${options.events ? html` data-events="${options.events}"` : ''}>${lines.map(
    (line, i) => html`<span class="line" id="L${i + 1}"><a class="ln" href="#L${i + 1}">${i + 1}</a>${line}</span>`,
  )}</pre>`
}

function whyItRan(detail: RunDetail): Html {
  const {run, why} = detail
  if (!why.previousRun) return html`<p>The first run of this node${run.attempt > 1 ? html` (attempt ${run.attempt} on these inputs)` : ''}.</p>`
  const previous = runLink(run.node, why.previousRun)
  if (why.changed.length === 0) return html`<p>Same inputs as the previous run ${previous}${run.attempt > 1 ? html`; attempt ${run.attempt}` : ''}.</p>`
  return html`<p>Inputs that differ from the previous run ${previous}:</p><ul>${why.changed.map(
    (change) =>
      html`<li>${sourceLink(change.input)}: ${change.before ? versionLink(change.input, change.before) : html`<span class="muted">none</span>`} → ${change.after ? versionLink(change.input, change.after) : html`<span class="muted">none</span>`}</li>`,
  )}</ul>`
}

function manifest(detail: RunDetail): Html {
  const {run} = detail
  const hooks = Object.entries(run.hooks).map(([name, hook]) => html`<div>${name}: <code>${hook?.command}</code> exit ${hook?.exitCode ?? '-'}</div>`)
  return html`<dl>
<dt>Node</dt><dd>${nodeLink(run.node)}</dd>
<dt>Status</dt><dd>${statusText(run.status)}${run.reason ? html` — ${run.reason}` : ''}</dd>
<dt>Command</dt><dd><code>${commandText(run.command)}</code></dd>
${run.image ? html`<dt>Image</dt><dd><code>${run.image}</code></dd>` : ''}
<dt>Labels</dt><dd>${run.labels.join(', ') || '-'}</dd>
<dt>Inputs</dt><dd>${versionsList(run.inputs)}</dd>
<dt>Outputs</dt><dd>${versionsList(run.outputs)}</dd>
<dt>Exit code</dt><dd>${run.exitCode ?? '-'}${run.signal ? html` (${run.signal})` : ''}</dd>
<dt>Started</dt><dd>${time(run.startedAt)}</dd><dt>Ended</dt><dd>${time(run.endedAt)}</dd>
<dt>Attempt</dt><dd>${run.attempt}</dd>
<dt>Machine</dt><dd>${run.machine.hostname} (${run.machine.os}/${run.machine.arch}), dkt ${run.dktVersion}</dd>
${hooks.length > 0 ? html`<dt>Hooks</dt><dd>${hooks}</dd>` : ''}
<dt>ID</dt><dd><code>${run.id}</code></dd>
</dl>`
}

/** A running run's output so far, and where its script gets the rest (a page without scripts reloads itself). */
export interface LiveOutput {
  text: string
  next: number
}

/** The actions a run's page offers: rerun, and cancel (true) or where a run of another host can be cancelled. */
export interface RunActions {
  rerun?: boolean
  cancel?: boolean | string
}

export function runPage(detail: RunDetail, live?: LiveOutput, actions: RunActions = {}): Html {
  const {run} = detail
  const base = `/runs/${run.node}/${run.id}`
  const raw = `${base}/log`
  const script = html`<script src="/static/live.js" defer></script>`
  const log = live ? logLines(live.text, {events: `${base}/events?from=${live.next}`}) : logLines(detail.log)
  return layout(
    `Run ${short(run.id)}`,
    html`${actions.rerun || actions.cancel ? html`<p>${actions.rerun ? html`<a href="${base}/rerun">Rerun…</a>` : ''} ${cancelAction(base, actions.cancel)}</p>` : ''}${manifest(detail)}
<h2>Why it ran</h2>${whyItRan(detail)}
<h2>Other attempts on these inputs</h2>${runsTable(detail.attempts)}
<h2>Log</h2><p>${live ? html`<span class="s-running">Live</span> · ` : ''}<a href="${raw}">Raw log</a>${run.outputTruncated ? html` <span class="muted">(cut at its size limit)</span>` : ''}</p>
${log}`,
    {head: live ? html`${script}<noscript><meta http-equiv="refresh" content="5"></noscript>` : script},
  )
}

function cancelAction(base: string, cancel: boolean | string | undefined): Html | string {
  if (typeof cancel === 'string') return html`<span class="muted">It ${cancel}; cancel it there.</span>`
  return cancel ? html`<a href="${base}/cancel">Cancel…</a>` : ''
}

/** A confirmation page: what will happen, and the one button that makes it happen (a POST with the token). */
export function confirmPage(title: string, what: Html, action: string, token: string, options: {back: string; downstream?: boolean}): Html {
  return layout(
    title,
    html`${what}<form method="post" action="${action}"><input type="hidden" name="_token" value="${token}">
${options.downstream ? html`<p><label style="flex-direction:row;gap:.4rem"><input type="checkbox" name="downstream" value="1"> also everything downstream, in dependency order</label></p>` : ''}
<p><button type="submit">${title}</button> <a href="${options.back}">Back</a></p></form>`,
  )
}
