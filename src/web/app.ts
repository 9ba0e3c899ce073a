// The web view's routes: each parses its request, calls core, and renders HTML or, with `?format=json`, the same
// data as JSON (the CLI's `--json` shapes where a command shows the same thing).
import {type Context, Hono} from 'hono'
import {html} from 'hono/html'
import {streamSSE} from 'hono/streaming'

import {AmbiguousError, DktError, EXIT_BAD_INPUT, InUseError, NotFoundError} from '../base/errors.js'
import {allRuns, checkedSources, expandRunId, filterRuns, followRun, listRuns, overview, type RunFilter, runDetail, runsNow, sourceHistory} from '../core/history.js'
import type {MetaRepo} from '../core/meta-repo.js'
import {commandText} from '../core/interpolate.js'
import {RUN_STATUSES, type RunStatus} from '../core/model/run.js'
import {listNodes, logNode} from '../core/node/list.js'
import {runsElsewhere} from '../core/node/cancel.js'
import {failedRuns} from '../core/node/rerun.js'
import {readRunLog} from '../core/node/output.js'
import {RunIndex} from '../core/node/run-index.js'
import {projectStatus} from '../core/status.js'
import {provenanceDot} from '../core/inspect/dot.js'
import {pipelineDot, pipelineGraph} from '../core/inspect/pipeline.js'
import {inspectVersion} from '../core/inspect/walk.js'
import {entryHref, graphPage, versionPage, versionPath} from './graph-pages.js'
import {hostCheck, tokenCheck} from './guard.js'
import {Actions} from './actions.js'
import {metricsText} from './metrics.js'
import {LIVE_SCRIPT} from './live-script.js'
import {type Html, layout, nodeLink, runLink} from './layout.js'
import {homePage, nodePage, nodesPage, sourcePage, sourcesPage} from './project-pages.js'
import {confirmPage, runPage, runsPage} from './run-pages.js'

export interface AppOptions {
  repo: MetaRepo
  /** Host names besides loopback ones that requests may name (the Host header). */
  allowedHosts?: string[]
  /** When set, every request must carry it (see tokenCheck). */
  token?: string
  /** Rerun and cancel runs from the pages (POSTs behind confirmation pages). */
  allowActions?: boolean
  /** Recorded in the runs that actions start. */
  dktVersion?: string
  /** Told about unexpected errors (the page only says there was one). */
  onError?: (error: Error) => void
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  // Not no-referrer: with it, browsers send `Origin: null` on this server's own forms, which the actions need.
  'Referrer-Policy': 'same-origin',
}

/** How often a live log is read for new output: well within the second a new line may take to show. */
const LIVE_POLL_MS = 200

const wantsJson = (c: Context) => c.req.query('format') === 'json'

/** Sends `data` as JSON for the JSON twin, else the page `render` makes of it. */
function respond<T>(c: Context, data: T, render: (data: T) => Html): Response | Promise<Response> {
  return wantsJson(c) ? c.json(data) : c.html(render(data))
}

/** Redirects a short ID in the path to the full one, keeping the query. */
function redirectTo(c: Context, pathname: string): Response {
  const query = new URL(c.req.url).search
  return c.redirect(`${pathname}${query}`, 302)
}

function statusOf(error: unknown): 400 | 404 | 409 | 500 {
  if (error instanceof NotFoundError) return 404
  if (error instanceof AmbiguousError || error instanceof InUseError) return 409
  if (error instanceof DktError && error.exitCode === EXIT_BAD_INPUT) return 400
  return 500
}

function runFilterOf(c: Context): RunFilter {
  const status = c.req.query('status') || undefined
  if (status && !RUN_STATUSES.includes(status as RunStatus)) throw new NotFoundError(`status \`${status}\` does not exist; use one of ${RUN_STATUSES.join(', ')}`)
  return {status: status as RunStatus | undefined, node: c.req.query('node') || undefined, input: c.req.query('input') || undefined, after: c.req.query('after') || undefined}
}

export function createApp(options: AppOptions): Hono {
  const {repo} = options
  const index = new RunIndex(repo)
  const app = new Hono()

  app.use(async (c, next) => {
    await next()
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value)
  })
  app.use(hostCheck(options.allowedHosts ?? []))
  app.use(tokenCheck(options.token))
  const actions = options.allowActions ? new Actions(repo, options.dktVersion ?? 'unknown', (error) => options.onError?.(error)) : undefined
  if (actions) app.use(actions.guard())

  app.onError((error, c) => {
    const status = statusOf(error)
    const message = status === 500 ? 'internal error; see the server output' : error.message
    if (status === 500) options.onError?.(error)
    if (wantsJson(c)) return c.json({error: {code: error instanceof DktError ? error.code : 'InternalError', message}}, status)
    return c.html(layout(status === 404 ? 'Not found' : 'Error', `${message}`), status)
  })
  app.notFound((c) => (wantsJson(c) ? c.json({error: {code: 'NotFoundError', message: 'no such page'}}, 404) : c.html(layout('Not found', 'No such page.'), 404)))

  app.get('/static/live.js', (c) => c.body(LIVE_SCRIPT, 200, {'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=300'}))

  app.get('/', async (c) => respond(c, await overview(repo, index), homePage))

  app.get('/runs', async (c) => {
    const filter = runFilterOf(c)
    const {runs, next} = await listRuns(repo, index, filter)
    return respond(c, {runs, next}, () => runsPage(filter, runs, next, {rerunFailed: Boolean(actions)}))
  })
  app.get('/runs/:run', async (c) => {
    const run = expandRunId(await allRuns(repo, index), c.req.param('run'))
    return redirectTo(c, `/runs/${run.node}/${run.id}`)
  })
  app.get('/runs/:node/:run', async (c) => {
    const {runs, live} = await runsNow(repo, index)
    const run = expandRunId(runs, c.req.param('run'))
    if (run.id !== c.req.param('run') || run.node !== c.req.param('node')) return redirectTo(c, `/runs/${run.node}/${run.id}`)
    const detail = await runDetail(repo, runs, run)
    const claim = live.get(run.id)
    const output = claim ? await followRun(repo, run, 0, true) : undefined
    // Cancelled where it runs: a claim of another host (a shared `.dkt/`) is only named.
    const cancel = actions && claim ? (runsElsewhere(claim) ?? true) : undefined
    return respond(c, detail, () => runPage(detail, output, {rerun: Boolean(actions), cancel}))
  })
  app.get('/runs/:node/:run/events', async (c) => {
    const run = expandRunId(await allRuns(repo, index), c.req.param('run'))
    let from = Number(c.req.header('last-event-id') ?? c.req.query('from') ?? 0) || 0
    return streamSSE(c, async (stream) => {
      let open = true
      stream.onAbort(() => {
        open = false
      })
      while (open) {
        const output = await followRun(repo, run, from)
        if (output.text) await stream.writeSSE({event: 'output', data: JSON.stringify(output.text), id: String(output.next)})
        from = output.next
        if (output.ended) {
          await stream.writeSSE({event: 'end', data: ''})
          break
        }
        await stream.sleep(LIVE_POLL_MS)
      }
    })
  })
  app.get('/runs/:node/:run/log', async (c) => {
    const run = expandRunId(await allRuns(repo, index), c.req.param('run'))
    if (run.id !== c.req.param('run') || run.node !== c.req.param('node')) return redirectTo(c, `/runs/${run.node}/${run.id}/log`)
    return c.text(await readRunLog(repo, run), 200, {'Content-Type': 'text/plain; charset=utf-8'})
  })

  app.get('/nodes', async (c) => respond(c, await listNodes(repo), nodesPage))
  app.get('/nodes/:node', async (c) => {
    const {node, runs} = await logNode(repo, {node: c.req.param('node'), runsOf: index.runsOf})
    if (node.id !== c.req.param('node')) return redirectTo(c, `/nodes/${node.id}`)
    const [status] = await projectStatus(repo, {runsOf: index.runsOf, nodes: [node]})
    return respond(c, {node: node.id, definition: node, status: status ?? null, runs}, () => nodePage(node, status, runs))
  })

  app.get('/sources', async (c) => respond(c, await checkedSources(repo), sourcesPage))
  app.get('/sources/:name', async (c) => respond(c, await sourceHistory(repo, index, c.req.param('name')), sourcePage))

  app.get('/versions/:target', async (c) => {
    const provenance = await inspectVersion(repo, {target: c.req.param('target')})
    if (provenance.target !== c.req.param('target')) return redirectTo(c, versionPath(provenance.target))
    const dot = provenanceDot(provenance, {href: entryHref})
    if (c.req.query('format') === 'dot') return c.body(dot, 200, {'Content-Type': 'text/vnd.graphviz; charset=utf-8'})
    return wantsJson(c) ? c.json(provenance.entries) : c.html(await versionPage(provenance, dot))
  })

  app.get('/graph', async (c) => {
    const depth = Number(c.req.query('depth') ?? 2)
    const graph = await pipelineGraph(repo, index, {focus: c.req.query('focus') || undefined, depth: Number.isInteger(depth) && depth >= 0 ? Math.min(depth, 20) : 2, whole: c.req.query('whole') === '1'})
    const dot = pipelineDot(graph, {node: (id) => `/nodes/${id}`, source: (name) => `/sources/${encodeURIComponent(name)}`})
    return wantsJson(c) ? c.json(graph) : c.html(await graphPage(graph, dot))
  })

  if (actions) addActionRoutes(app, {repo, index, actions})

  app.get('/metrics', async (c) => c.body(await metricsText(repo, index), 200, {'Content-Type': 'text/plain; version=0.0.4; charset=utf-8'}))

  return app
}

/** The action routes: each a confirmation page (GET) and the action itself (POST), redirecting to what it started. */
function addActionRoutes(app: Hono, {repo, index, actions}: {repo: MetaRepo; index: RunIndex; actions: Actions}): void {
  const runOf = async (c: Context) => expandRunId(await allRuns(repo, index), c.req.param('run') as string)
  app.get('/runs/:node/:run/rerun', async (c) => {
    const run = await runOf(c)
    const base = `/runs/${run.node}/${run.id}`
    const what = html`<p>Runs node ${nodeLink(run.node)} again (<code>${commandText(run.command)}</code>) on its current inputs, as <code>dkt node rerun</code> does.</p>`
    return c.html(confirmPage('Rerun', what, `${base}/rerun`, actions.token, {back: base, downstream: true}))
  })
  app.post('/runs/:node/:run/rerun', async (c) => {
    const run = await runOf(c)
    const form = await c.req.parseBody()
    const started = await actions.rerun([run.node], form.downstream === '1')
    return c.redirect(`/runs/${started.node}/${started.id}`, 303)
  })
  app.get('/runs/:node/:run/cancel', async (c) => {
    const run = await runOf(c)
    const base = `/runs/${run.node}/${run.id}`
    return c.html(confirmPage('Cancel', html`<p>Cancels run ${runLink(run.node, run.id)} (<code>${commandText(run.command)}</code>).</p>`, `${base}/cancel`, actions.token, {back: base}))
  })
  app.post('/runs/:node/:run/cancel', async (c) => {
    const run = await runOf(c)
    await actions.cancel(run)
    return c.redirect(`/runs/${run.node}/${run.id}`, 303)
  })
  app.get('/rerun-failed', async (c) => {
    const runs = await failedRuns(repo, {nodes: await listedNodes(repo, index, c)})
    const what = html`<p>Reruns ${runs.length} failed run${runs.length === 1 ? '' : 's'} of the nodes of this list (those <code>dkt node rerun --failed</code> would run again), one after another (each starts once the one before it has ended):</p><ul>${runs.map(({node, run}) => html`<li>${nodeLink(node.id)}: ${runLink(run.node, run.id)}</li>`)}</ul>`
    return c.html(confirmPage('Rerun failed', what, `/rerun-failed${new URL(c.req.url).search}`, actions.token, {back: '/runs'}))
  })
  app.post('/rerun-failed', async (c) => {
    const nodes = await listedNodes(repo, index, c)
    // One after another in the background: the first has started when the list of running runs is shown.
    if ((await failedRuns(repo, {nodes})).length > 0) await actions.rerunFailed(nodes)
    return c.redirect('/runs?status=running', 303)
  })
}

/** The nodes of the runs that a filtered list of runs shows (its first page's filters). */
async function listedNodes(repo: MetaRepo, index: RunIndex, c: Context): Promise<string[]> {
  const runs = filterRuns(await allRuns(repo, index), runFilterOf(c))
  return [...new Set(runs.map((run) => run.node))]
}
