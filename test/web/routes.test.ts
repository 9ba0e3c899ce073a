// The web view's routes, answered without a socket (hono's app.request) over a project made by the real CLI:
// status codes, short-ID redirects, escaping of hostile names and logs, JSON twins against schemas/, Host checks.
import {rmSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {listRuns} from '../../src/core/history.js'
import {MetaRepo} from '../../src/core/meta-repo.js'
import {RunIndex} from '../../src/core/node/run-index.js'
import {projectAt} from '../../src/core/project.js'
import {createApp} from '../../src/web/app.js'
import {assertBindable} from '../../src/web/guard.js'
import {dkt, dktJson, dktOk, startDkt} from '../helpers/cli.js'
import {newProject, writeFiles} from '../helpers/project.js'
import {schemaErrors} from '../helpers/schemas.js'

interface Ran {
  node: string
  run: {id: string; status: string}
}

const HOSTILE_LOG = '<script>alert(1)</script>\n<b>bold</b> & "quoted"\n'
let dir: string
let repo: MetaRepo
let failed: Ran
let made: Ran
let first: Ran

beforeAll(async () => {
  dir = await newProject()
  writeFiles(dir, {'data/x': '1', 'hostile/x': '1', 'out/.keep': '', 'fail.sh': `#!/bin/sh\nprintf '%s' '${HOSTILE_LOG}'\nexit 3\n`})
  await dktOk(['source', 'add', '<script>', 'hostile'], {cwd: dir})
  await dktOk(['source', 'add', 'data', 'data'], {cwd: dir})
  await dktOk(['source', 'add', 'out', 'out'], {cwd: dir})
  first = await dktJson<Ran>(['node', 'run', '--input', 'data', '--output', 'out', '--', 'sh', '-c', 'cat "${data:ROOT}/x" > "${out:ROOT}/f"'], {cwd: dir})
  writeFileSync(path.join(dir, 'data/x'), '2')
  await dktOk(['source', 'update', 'data'], {cwd: dir})
  made = await dktJson<Ran>(['node', 'run', '--input', 'data', '--output', 'out', '--', 'sh', '-c', 'cat "${data:ROOT}/x" > "${out:ROOT}/f"'], {cwd: dir})
  const result = await dkt(['node', 'run', '--json', '--input', '<script>', '--', 'sh', 'fail.sh'], {cwd: dir})
  if (!result.stdout) throw new Error(result.stderr)
  failed = JSON.parse(result.stdout) as Ran
  repo = new MetaRepo(projectAt(dir))
})

const app = () => createApp({repo})
const get = (url: string, headers: Record<string, string> = {}) => app().request(`http://localhost${url}`, {headers})
async function json(url: string): Promise<unknown> {
  const response = await get(url)
  expect(response.status, url).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/application\/json/)
  return response.json()
}

describe('pages', () => {
  it('every page answers 200 with HTML, and its JSON twin matches its schema', async () => {
    const pages: [string, string][] = [
      ['/', 'serve-home'],
      ['/runs', 'serve-runs'],
      [`/runs/${made.node}/${made.run.id}`, 'serve-run'],
      ['/nodes', 'node-list'],
      [`/nodes/${made.node}`, 'serve-node'],
      ['/sources', 'serve-sources'],
      ['/sources/data', 'serve-source'],
    ]
    for (const [url, schema] of pages) {
      const page = await get(url)
      expect(page.status, url).toBe(200)
      expect(page.headers.get('content-type')).toMatch(/text\/html/)
      expect(page.headers.get('x-content-type-options')).toBe('nosniff')
      expect(schemaErrors(schema, await json(`${url}${url.includes('?') ? '&' : '?'}format=json`)), url).toBe('')
    }
  })

  it('lists runs newest first, filtered by status, node and input, in pages linked by a cursor', async () => {
    const all = (await json('/runs?format=json')) as {runs: {id: string; status: string}[]; next: string | null}
    expect(all.runs.map((run) => run.id)).toEqual([failed.run.id, made.run.id, first.run.id])
    expect(all.next).toBeNull()
    const failures = (await json('/runs?status=failure&format=json')) as {runs: {id: string}[]}
    expect(failures.runs.map((run) => run.id)).toEqual([failed.run.id])
    const ofNode = (await json(`/runs?node=${made.node.slice(0, 6)}&format=json`)) as {runs: {id: string}[]}
    expect(ofNode.runs.map((run) => run.id)).toEqual([made.run.id, first.run.id])
    const version = (await dktJson<{name: string; latest: string}[]>(['source', 'list'], {cwd: dir})).find((s) => s.name === 'data')?.latest as string
    const byInput = (await json(`/runs?input=data:${version.slice(4, 12)}&format=json`)) as {runs: {id: string}[]}
    expect(byInput.runs.map((run) => run.id)).toEqual([made.run.id])
    const index = new RunIndex(repo)
    const page1 = await listRuns(repo, index, {limit: 2})
    expect(page1.runs.map((run) => run.id)).toEqual([failed.run.id, made.run.id])
    expect(page1.next).toBe(made.run.id)
    const page2 = (await json(`/runs?after=${page1.next}&format=json`)) as {runs: {id: string}[]; next: string | null}
    expect(page2.runs.map((run) => run.id)).toEqual([first.run.id])
    expect((await get('/runs?status=bogus')).status).toBe(404)
    expect((await get('/runs?after=0000')).status).toBe(400)
  })

  it('a run page shows why it ran (the input that changed) and its manifest', async () => {
    const detail = (await json(`/runs/${made.node}/${made.run.id}?format=json`)) as {why: {previousRun: string; changed: {input: string}[]}}
    expect(detail.why.previousRun).toBe(first.run.id)
    expect(detail.why.changed.map((c) => c.input)).toEqual(['data'])
    const page = await (await get(`/runs/${made.node}/${made.run.id}`)).text()
    expect(page).toContain(`href="/runs/${made.node}/${first.run.id}"`)
    expect(page).toContain('<h2>Why it ran</h2>')
  })

  it('a source page lists each version with the runs it was an input to and the run it was an output of', async () => {
    const out = (await json('/sources/out?format=json')) as {versions: {outputOf: {run: string} | null}[]}
    expect(out.versions.map((v) => v.outputOf?.run ?? null)).toContain(made.run.id)
    const data = (await json('/sources/data?format=json')) as {versions: {inputTo: {run: string}[]}[]}
    expect(data.versions.map((v) => v.inputTo.map((ref) => ref.run))).toEqual([[made.run.id], [first.run.id]])
    expect((await get('/sources/nope')).status).toBe(404)
  })
})

describe('graphs and metrics', () => {
  const outVersion = async () => ((await json('/sources/out?format=json')) as {versions: {version: string; outputOf: {run: string} | null}[]}).versions.find((v) => v.outputOf?.run === made.run.id)?.version as string

  it('a version page draws its provenance with links to runs and versions, with JSON and DOT downloads', async () => {
    const version = await outVersion()
    const short = await get(`/versions/out:${version.slice(4, 12)}`)
    expect(short.status).toBe(302)
    expect(short.headers.get('location')).toBe(`/versions/out:${version}`)
    const page = await (await get(`/versions/out:${version}`)).text()
    expect(page).toContain('<svg role="img"')
    expect(page).toContain(`href="/runs/${made.run.id}"`)
    expect(page).toMatch(/href="\/versions\/data:md5:[0-9a-f]{32}"/)
    expect(schemaErrors('inspect', await json(`/versions/out:${version}?format=json`))).toBe('')
    const dot = await get(`/versions/out:${version}?format=dot`)
    expect(dot.headers.get('content-type')).toMatch(/^text\/vnd.graphviz/)
    expect(await dot.text()).toMatch(/^digraph "?provenance/)
    expect((await get('/versions/out:ffffffff')).status).toBe(404)
  })

  it('the pipeline graph: around the node of the newest run by default, around a focus, or whole', async () => {
    const around = (await json('/graph?format=json')) as {focus: string; nodes: {id: string}[]}
    expect(schemaErrors('serve-graph', around)).toBe('')
    expect(around.focus).toBe(failed.node)
    expect(around.nodes.map((node) => node.id)).toEqual([failed.node])
    const focused = (await json(`/graph?focus=${made.node.slice(0, 8)}&depth=1&format=json`)) as {focus: string; sources: {name: string}[]}
    expect(focused.focus).toBe(made.node)
    expect(focused.sources.map((source) => source.name).sort()).toEqual(['data', 'out'])
    const whole = (await json('/graph?whole=1&format=json')) as {focus: null; nodes: unknown[]; sources: unknown[]}
    expect(whole.focus).toBeNull()
    expect(whole.nodes).toHaveLength(2)
    expect(whole.sources).toHaveLength(3)
    const page = await (await get('/graph?whole=1')).text()
    expect(page).toContain(`href="/nodes/${made.node}"`)
    expect(page).toContain('href="/sources/%3Cscript%3E"')
    // Drawn as its name, not read as one of Graphviz's HTML labels.
    expect(page).toContain('&lt;script&gt; (path)</text>')
  })

  it('/metrics answers in Prometheus text format', async () => {
    const response = await get('/metrics')
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/)
    const text = await response.text()
    expect(text).toContain(`dkt_runs{node="${failed.node}",status="failure"} 1`)
    expect(text).toContain(`dkt_runs{node="${made.node}",status="success"} 2`)
    expect(text).toContain('dkt_run_duration_seconds_count 3')
    expect(text).toContain('# TYPE dkt_run_duration_seconds histogram')
    expect(text).toMatch(/^dkt_nodes_due 0$/m)
    expect(text).toMatch(/^dkt_runs_running 0$/m)
    expect(text).toContain('dkt_source_last_new_version_timestamp_seconds{source="<script>",kind="path"}')
  })
})

describe('actions', () => {
  const post = (target: ReturnType<typeof createApp>, url: string, form: Record<string, string>, headers: Record<string, string> = {origin: 'http://localhost'}) =>
    target.request(`http://localhost${url}`, {method: 'POST', body: new URLSearchParams(form), headers: {'content-type': 'application/x-www-form-urlencoded', ...headers}})
  const tokenOf = async (target: ReturnType<typeof createApp>, url: string) => /name="_token" value="([0-9a-f]+)"/.exec(await (await target.request(`http://localhost${url}`)).text())?.[1] as string

  it('answer 404 without --allow-actions', async () => {
    const base = `/runs/${failed.node}/${failed.run.id}`
    for (const url of [`${base}/rerun`, `${base}/cancel`, '/rerun-failed']) {
      expect((await get(url)).status, url).toBe(404)
      expect((await post(app(), url, {})).status, url).toBe(404)
    }
    expect(await (await get(base)).text()).not.toContain('Rerun')
  })

  it('rerun a failed run after a confirmation page, only from pages of this server with its token', async () => {
    const acting = createApp({repo, allowActions: true, dktVersion: 'test'})
    const base = `/runs/${failed.node}/${failed.run.id}`
    expect(await (await acting.request(`http://localhost${base}`)).text()).toContain(`href="${base}/rerun"`)
    const token = await tokenOf(acting, `${base}/rerun`)
    expect(token).toMatch(/^[0-9a-f]{48}$/)
    expect((await post(acting, `${base}/rerun`, {_token: token}, {})).status).toBe(403)
    expect((await post(acting, `${base}/rerun`, {_token: token}, {origin: 'http://evil.example'})).status).toBe(403)
    expect((await post(acting, `${base}/rerun`, {_token: 'f'.repeat(48)})).status).toBe(403)
    const done = await post(acting, `${base}/rerun`, {_token: token})
    expect(done.status).toBe(303)
    const location = done.headers.get('location') as string
    expect(location).toMatch(new RegExp(`^/runs/${failed.node}/[0-9a-f]{64}$`))
    expect(location).not.toBe(base)
    let attempt: {run: {attempt: number; status: string}} | undefined
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
      attempt = (await (await acting.request(`http://localhost${location}?format=json`)).json()) as typeof attempt
      if (attempt?.run.status !== 'running') break
    }
    expect(attempt?.run).toMatchObject({attempt: 2, status: 'failure'})
    expect(await (await acting.request('http://localhost/runs?status=failure')).text()).toContain('href="/rerun-failed?status=failure"')
    expect(await (await acting.request('http://localhost/rerun-failed?status=failure')).text()).toContain(`href="/nodes/${failed.node}"`)
  })

  it('cancel a run this server started', async () => {
    writeFiles(dir, {'sleepy.sh': '#!/bin/sh\necho sleeping\nsleep "$(cat delay)"\n', delay: '0'})
    const quick = await dktJson<Ran>(['node', 'run', '--', 'sh', 'sleepy.sh'], {cwd: dir})
    writeFiles(dir, {delay: '30'})
    const acting = createApp({repo, allowActions: true, dktVersion: 'test'})
    const base = `/runs/${quick.node}/${quick.run.id}`
    const token = await tokenOf(acting, `${base}/rerun`)
    const location = (await post(acting, `${base}/rerun`, {_token: token})).headers.get('location') as string
    expect(await (await acting.request(`http://localhost${location}`)).text()).toContain(`href="${location}/cancel"`)
    expect((await acting.request(`http://localhost${location}/cancel`)).status).toBe(200)
    const cancelled = await post(acting, `${location}/cancel`, {_token: token})
    expect(cancelled.status).toBe(303)
    expect(cancelled.headers.get('location')).toBe(location)
    let status = 'running'
    for (const deadline = Date.now() + 20_000; status === 'running' && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
      status = ((await (await acting.request(`http://localhost${location}?format=json`)).json()) as {run: {status: string}}).run.status
    }
    expect(status).toBe('cancelled')
    // A run that is not going cannot be cancelled.
    expect((await post(acting, `${base}/cancel`, {_token: token})).status).toBe(404)
  })

  it.each([
    ['dkt node run', false],
    ['dkt scheduler', true],
  ])('cancel a run that `%s` executes in another process: recorded cancelled, not started again', async (_starter, bySchedule) => {
    const other = await newProject()
    writeFiles(other, {'long.sh': '#!/bin/sh\necho long\nsleep 30\n'})
    if (bySchedule) await dktOk(['node', 'run', '--detach', '--', 'sh', 'long.sh'], {cwd: other})
    const runner = bySchedule ? startDkt(['scheduler', '--once'], {cwd: other}) : startDkt(['node', 'run', '--', 'sh', 'long.sh'], {cwd: other})
    try {
      const acting = createApp({repo: new MetaRepo(projectAt(other)), allowActions: true, dktVersion: 'test'})
      let running: {id: string; node: string} | undefined
      for (const deadline = Date.now() + 20_000; !running && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
        running = ((await (await acting.request('http://localhost/runs?status=running&format=json')).json()) as {runs: {id: string; node: string}[]}).runs[0]
      }
      if (!running) throw new Error(`no running run: ${runner.stderr}`)
      const base = `/runs/${running.node}/${running.id}`
      expect(await (await acting.request(`http://localhost${base}`)).text()).toContain(`href="${base}/cancel"`)
      const token = await tokenOf(acting, `${base}/cancel`)
      const cancelled = await post(acting, `${base}/cancel`, {_token: token})
      expect(cancelled.status).toBe(303)
      // The process that executes it records it cancelled and ends (a scheduler does not start it again).
      expect(await runner.exited).toBe(1)
      const run = ((await (await acting.request(`http://localhost${base}?format=json`)).json()) as {run: {status: string; reason: string}}).run
      expect(run.status).toBe('cancelled')
    } finally {
      runner.child.kill('SIGKILL')
    }
  })

  it('a run executed on another host is cancelled there: the page and the POST say where it runs', async () => {
    const running = {...((await json(`/runs/${failed.node}/${failed.run.id}?format=json`)) as {run: Record<string, unknown>}).run, id: 'e'.repeat(64), status: 'running', startedAt: new Date().toISOString(), endedAt: null}
    const claim = path.join(dir, '.dkt/cache/claims', `${running.id}.json`)
    writeFileSync(claim, JSON.stringify({pid: 4242, host: 'build-02.example', run: running}))
    try {
      const acting = createApp({repo, allowActions: true, dktVersion: 'test'})
      const base = `/runs/${failed.node}/${running.id}`
      const page = await (await acting.request(`http://localhost${base}`)).text()
      expect(page).toContain('It runs on build-02.example (pid 4242); cancel it there.')
      expect(page).not.toContain(`href="${base}/cancel"`)
      const token = await tokenOf(acting, `${base}/rerun`)
      const refused = await post(acting, `${base}/cancel`, {_token: token})
      expect(refused.status).toBe(409)
      expect(await refused.text()).toContain(`runs on build-02.example (pid 4242); cancel it there`)
    } finally {
      rmSync(claim, {force: true})
    }
  })

  it('rerun the failed runs of a list one after another', async () => {
    writeFiles(dir, {'pair/x': '1', 'fail-a.sh': '#!/bin/sh\nsleep 0.5\nexit 1\n', 'fail-b.sh': '#!/bin/sh\nsleep 0.5\nexit 2\n'})
    await dktOk(['source', 'add', 'pair', 'pair'], {cwd: dir})
    const ran = async (script: string) => (JSON.parse((await dkt(['node', 'run', '--json', '--input', 'pair', '--', 'sh', script], {cwd: dir})).stdout) as Ran).node
    const nodes = [await ran('fail-a.sh'), await ran('fail-b.sh')]
    const acting = createApp({repo, allowActions: true, dktVersion: 'test'})
    const query = 'status=failure&input=pair'
    const confirm = await (await acting.request(`http://localhost/rerun-failed?${query}`)).text()
    expect(confirm).toContain('one after another (each starts once the one before it has ended)')
    for (const node of nodes) expect(confirm).toContain(`href="/nodes/${node}"`)
    const token = /name="_token" value="([0-9a-f]+)"/.exec(confirm)?.[1] as string
    const done = await post(acting, `/rerun-failed?${query}`, {_token: token})
    expect(done.status).toBe(303)
    const attemptsOf = async () => {
      const {runs} = (await (await acting.request(`http://localhost/runs?${query}&format=json`)).json()) as {runs: {node: string; attempt: number; startedAt: string; endedAt: string | null}[]}
      return nodes.map((node) => runs.find((run) => run.node === node && run.attempt === 2))
    }
    let attempts = await attemptsOf()
    for (const deadline = Date.now() + 30_000; attempts.some((run) => !run) && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) attempts = await attemptsOf()
    const [first, second] = [...attempts].sort((x, y) => (x?.startedAt ?? '').localeCompare(y?.startedAt ?? ''))
    expect(first?.endedAt).toBeTruthy()
    expect(Date.parse(second?.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(first?.endedAt as string))
  })

  it('"Rerun the failed runs of this list" picks, of the list\'s nodes, the runs `node rerun --failed` would rerun', async () => {
    writeFiles(dir, {'flip/x': '1'})
    await dktOk(['source', 'add', 'flip', 'flip'], {cwd: dir})
    const ran = async (command: string) => JSON.parse((await dkt(['node', 'run', '--json', '--input', 'flip', '--', 'sh', '-c', command], {cwd: dir})).stdout) as Ran
    const fixed = await ran('test "$(cat "${flip:ROOT}/x")" = 2')
    const broken = await ran('exit 4')
    // The first node's failure is superseded by a success on newer inputs: history, not something to rerun.
    writeFileSync(path.join(dir, 'flip/x'), '2')
    await dktOk(['source', 'update', 'flip'], {cwd: dir})
    expect((await ran('test "$(cat "${flip:ROOT}/x")" = 2')).run.status).toBe('success')
    const acting = createApp({repo, allowActions: true, dktVersion: 'test'})
    const confirm = await (await acting.request('http://localhost/rerun-failed?status=failure&input=flip')).text()
    expect(confirm).toContain('Reruns 1 failed run ')
    expect(confirm).toContain(`href="/runs/${broken.node}/${broken.run.id}"`)
    expect(confirm).not.toContain(`href="/nodes/${fixed.node}"`)
    // A list of one node, whatever its runs' statuses: that node's failed run.
    const byNode = await (await acting.request(`http://localhost/rerun-failed?node=${broken.node.slice(0, 10)}`)).text()
    expect(byNode).toContain(`href="/runs/${broken.node}/${broken.run.id}"`)
    expect(byNode).toContain('Reruns 1 failed run ')
  })
})

describe('short IDs', () => {
  it('a unique prefix redirects to the full ID, keeping the query', async () => {
    const short = await get(`/runs/${made.run.id.slice(0, 6)}`)
    expect(short.status).toBe(302)
    expect(short.headers.get('location')).toBe(`/runs/${made.node}/${made.run.id}`)
    const both = await get(`/runs/${made.node.slice(0, 8)}/${made.run.id.slice(0, 8)}?format=json`)
    expect(both.headers.get('location')).toBe(`/runs/${made.node}/${made.run.id}?format=json`)
    const node = await get(`/nodes/${made.node.slice(0, 5)}`)
    expect(node.status).toBe(302)
    expect(node.headers.get('location')).toBe(`/nodes/${made.node}`)
    const log = await get(`/runs/${failed.node.slice(0, 8)}/${failed.run.id.slice(0, 8)}/log`)
    expect(log.headers.get('location')).toBe(`/runs/${failed.node}/${failed.run.id}/log`)
  })

  it('an unknown ID is 404, a too short or non-hex one 400, in HTML or JSON', async () => {
    expect((await get('/runs/ffffffff')).status).toBe(404)
    expect((await get('/runs/ab')).status).toBe(400)
    expect((await get('/nodes/zzzz')).status).toBe(400)
    const missing = await get('/runs/ffffffff?format=json')
    expect(await missing.json()).toEqual({error: {code: 'NotFoundError', message: expect.stringContaining('ffffffff')}})
    expect((await get('/no/such/page')).status).toBe(404)
  })
})

describe('escaping', () => {
  it('a source named <script> is shown as text on every page that names it', async () => {
    const hostile = ((await json('/sources?format=json')) as {name: string; latest: string}[]).find((s) => s.name === '<script>')?.latest as string
    for (const url of ['/sources', '/sources/%3Cscript%3E', `/runs/${failed.node}/${failed.run.id}`, `/nodes/${failed.node}`, '/', '/graph?whole=1', `/versions/%3Cscript%3E:${hostile}`]) {
      const page = await (await get(url)).text()
      expect(page, url).not.toContain('<script>')
      expect(page, url).toContain('&lt;script&gt;')
    }
  })

  it('a log holding HTML is escaped on the page and served raw as text/plain', async () => {
    const page = await (await get(`/runs/${failed.node}/${failed.run.id}`)).text()
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page).toContain('&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;')
    expect(page).toMatch(/<span class="line" id="L2"><a class="ln" href="#L2">2<\/a>/)
    const raw = await get(`/runs/${failed.node}/${failed.run.id}/log`)
    expect(raw.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(raw.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await raw.text()).toBe(HOSTILE_LOG)
  })
})

describe('who may ask', () => {
  it('refuses a Host that is not a loopback name or an allowed host (DNS rebinding)', async () => {
    expect((await get('/', {host: 'evil.example'})).status).toBe(403)
    expect((await get('/', {host: 'evil.example:7480'})).status).toBe(403)
    expect((await get('/', {host: 'localhost:7480'})).status).toBe(200)
    expect((await get('/', {host: '127.0.0.1:7480'})).status).toBe(200)
    expect((await get('/', {host: '[::1]:7480'})).status).toBe(200)
    const allowing = createApp({repo, allowedHosts: ['ci.example.org']})
    expect((await allowing.request('http://ci.example.org/')).status).toBe(200)
  })

  it('with a token, asks for it: once in the query (then a cookie) or as a bearer', async () => {
    const guarded = createApp({repo, token: 'tok-secret'})
    expect((await guarded.request('http://localhost/runs')).status).toBe(401)
    const first = await guarded.request('http://localhost/runs?token=tok-secret&status=failure')
    expect(first.status).toBe(303)
    expect(first.headers.get('location')).toBe('/runs?status=failure')
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]
    expect((await guarded.request('http://localhost/runs', {headers: {cookie}})).status).toBe(200)
    expect((await guarded.request('http://localhost/runs', {headers: {authorization: 'Bearer tok-secret'}})).status).toBe(200)
    expect((await guarded.request('http://localhost/runs', {headers: {authorization: 'Bearer wrong'}})).status).toBe(401)
  })

  it('refuses to listen beyond loopback without a token', () => {
    expect(() => assertBindable('0.0.0.0', undefined)).toThrow(/without --token/)
    expect(() => assertBindable('127.0.0.1', undefined)).not.toThrow()
    expect(() => assertBindable('0.0.0.0', 't')).not.toThrow()
  })
})

describe('dkt serve', () => {
  it('prints its URL first and answers there; --port 0 picks a free port', async () => {
    const server = startDkt(['serve', '--port', '0'], {cwd: dir})
    try {
      const deadline = Date.now() + 20_000
      while (!server.stdout.includes('\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
      const url = server.stdout.split('\n')[0]
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
      expect((await fetch(`${url}sources?format=json`)).status).toBe(200)
    } finally {
      server.child.kill('SIGTERM')
    }
    expect(await server.exited).toBe(0)
  })

  it('refuses a non-loopback host without --token in one sentence, exit 2', async () => {
    const result = await dkt(['serve', '--host', '0.0.0.0', '--port', '0'], {cwd: dir})
    expect(result.exitCode).toBe(2)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/^Error: refusing to listen on 0\.0\.0\.0 without --token/)
  })
})
