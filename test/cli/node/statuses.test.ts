// Commit statuses: with `github.statuses` on, each run of a node that reads a github source sets a status on the
// input commit, sent to a GitHub API stand-in (node:http on 127.0.0.1) that checks the token as GitHub does and
// answers auth failures and rate limits when told to. Github sources are served by a git daemon (`github.url`).
import {execFileSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import * as http from 'node:http'
import type {AddressInfo} from 'node:net'
import * as path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, dkt, dktJson, dktOk, startDkt} from '../../helpers/cli.js'
import {bareRepo, git} from '../../helpers/git.js'
import {gitDaemonForSuite, waitFor} from '../../helpers/git-daemon.js'
import {newProject, writeFiles} from '../../helpers/project.js'
import {tempDir} from '../../helpers/tmp.js'

const TOKEN = 'ghp_statusTestToken0123456789abcdef'
const PUBLIC_URL = 'https://ci.example.com/dkt/'

interface Received {
  owner: string
  repo: string
  sha: string
  answered: number
  /** When it arrived (ms since the epoch). */
  at: number
  body: {state: string; context: string; description: string; target_url?: string}
}

interface Answer {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

/** GitHub's `POST /repos/{owner}/{repo}/statuses/{sha}`: 401 without `Bearer <expected token>`, else the next scripted answer or 201. */
class StatusesApi {
  readonly received: Received[] = []
  readonly answers: (() => Answer)[] = []
  expectedToken = TOKEN
  private readonly server = http.createServer((req, res) => {
    let text = ''
    req.on('data', (chunk) => (text += chunk))
    req.on('end', () => this.answer(req, res, text))
  })

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }

  of(owner: string): Received[] {
    return this.received.filter((r) => r.owner === owner)
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, text: string): void {
    const match = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(req.url ?? '')
    if (req.method !== 'POST' || !match) return void res.writeHead(404).end(JSON.stringify({message: 'Not Found'}))
    const answer: Answer =
      req.headers.authorization === `Bearer ${this.expectedToken}`
        ? (this.answers.shift()?.() ?? {status: 201, body: {state: 'ok'}})
        : {status: 401, body: {message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest'}}
    this.received.push({owner: match[1], repo: match[2], sha: match[3], answered: answer.status, at: Date.now(), body: JSON.parse(text) as Received['body']})
    res.writeHead(answer.status, {'content-type': 'application/json', ...answer.headers}).end(JSON.stringify(answer.body ?? {}))
  }
}

const daemon = gitDaemonForSuite()
const api = new StatusesApi()
const outputs: CliResult[] = []

beforeAll(() => api.start())
afterAll(async () => {
  await api.stop()
  // The token is never printed, whatever happened.
  for (const output of outputs) expect(`${output.stdout}${output.stderr}`).not.toContain(TOKEN)
})

/** Runs dkt, keeping its output to check for the token. */
async function run(args: string[], dir: string): Promise<CliResult> {
  const result = await dkt(args, {cwd: dir})
  outputs.push(result)
  return result
}

/** A project following OWNER/app (a new repository on the daemon) with statuses on, unless `statuses` is false. */
async function project(options: {statuses?: boolean} = {}) {
  const owner = path.basename(tempDir('team-'))
  const upstream = bareRepo(daemon.served, `${owner}/app.git`)
  const dir = await newProject(['--github-token', TOKEN])
  const settings = {'github.url': daemon.url, 'github.api-url': api.url, 'serve.url': PUBLIC_URL, ...(options.statuses === false ? {} : {'github.statuses': 'true'})}
  for (const [key, value] of Object.entries(settings)) await dktOk(['config', 'set', key, value], {cwd: dir})
  await dktOk(['source', 'add', 'app', `${owner}/app`, '-k', 'github'], {cwd: dir})
  const head = () => git(upstream.dir, ['rev-parse', 'main'])
  return {dir, owner, upstream, head}
}

interface NodeRunJson {
  node: string
  run: {id: string; status: string; exitCode: number}
}

async function nodeRun(dir: string, command: string): Promise<{result: CliResult; json: NodeRunJson}> {
  const result = await run(['node', 'run', '--input', 'app', '--json', '--', 'sh', '-c', command], dir)
  return {result, json: JSON.parse(result.stdout) as NodeRunJson}
}

const queued = (dir: string) => readdirSync(path.join(dir, '.dkt/cache/statuses')).filter((name) => name.endsWith('.json') && !name.startsWith('hold-'))
const states = (received: Received[]) => received.map((r) => `${r.body.context} ${r.body.state} ${r.answered}`)
/** `list` without the one `pending` state it may have at `index` (at most one, and only there). */
const withoutPending = <T,>(list: T[], index: number, isPending = (item: T) => String(item).includes('pending')) =>
  list.length > index && isPending(list[index]) ? [...list.slice(0, index), ...list.slice(index + 1)] : list

describe('commit statuses', () => {
  it('each run sets pending, then its outcome, on the input commit: context, description, target URL, token; in order under the scheduler', async () => {
    const {dir, owner, upstream, head} = await project()
    const ok = await nodeRun(dir, 'echo fine')
    const context = `dkt/${ok.json.node.slice(0, 8)}`
    expect(api.of(owner)).toEqual([
      {owner, repo: 'app', sha: head(), answered: 201, at: expect.any(Number), body: {state: 'pending', context, description: expect.stringMatching(/^running since \d\d:\d\d:\d\d UTC \(run [0-9a-f]{8}\)$/), target_url: `https://ci.example.com/dkt/runs/${ok.json.node}/${ok.json.run.id}`}},
      {owner, repo: 'app', sha: head(), answered: 201, at: expect.any(Number), body: {state: 'success', context, description: expect.stringMatching(/^success in \d+\.\d s \(exit 0\)$/), target_url: `https://ci.example.com/dkt/runs/${ok.json.node}/${ok.json.run.id}`}},
    ])
    const failing = await nodeRun(dir, 'exit 3')
    expect(failing.result.exitCode).toBe(1)
    const failContext = `dkt/${failing.json.node.slice(0, 8)}`
    expect(api.of(owner).slice(2).map((r) => [r.body.state, r.body.context, r.body.description.replace(/\d+\.\d/, 'N')])).toEqual([
      ['pending', failContext, expect.stringMatching(/^running since/)],
      ['failure', failContext, 'failure in N s (exit 3)'],
    ])

    // A new commit: the scheduler runs both nodes at once; a context gets pending before its outcome, unless the
    // outcome was queued before the scheduler's background sending got to the pending one (the newest state wins).
    upstream.advance()
    const scheduler = await run(['scheduler', '--once', '--interval', '1'], dir)
    expect(scheduler.exitCode).toBe(1)
    const onNew = api.of(owner).filter((r) => r.sha === head())
    expect(withoutPending(states(onNew.filter((r) => r.body.context === context)), 0)).toEqual([`${context} success 201`])
    expect(withoutPending(states(onNew.filter((r) => r.body.context === failContext)), 0)).toEqual([`${failContext} failure 201`])
    expect(queued(dir)).toEqual([])

    // The token stays in .dkt/secrets/: in no other file of .dkt, and in no commit of its history.
    expect(() => execFileSync('grep', ['-rl', '--exclude-dir=secrets', '--exclude-dir=.git', TOKEN, path.join(dir, '.dkt')])).toThrow()
    expect(execFileSync('git', ['-C', path.join(dir, '.dkt'), 'log', '-p', '--all'], {encoding: 'utf8'})).not.toContain(TOKEN)
  })

  it('a refused token changes no run: the status waits in the outbox, with a warning, and the scheduler sends it later', async () => {
    const {dir, owner, head} = await project()
    api.expectedToken = 'ghp_anotherToken'
    try {
      const ok = await nodeRun(dir, 'true')
      expect(ok.result.exitCode).toBe(0)
      expect(ok.json.run.status).toBe('success')
      const context = `dkt/${ok.json.node.slice(0, 8)}`
      const sha7 = head().slice(0, 7)
      expect(ok.result.stderr).toContain(`Warning: commit status ${context} (success) for ${owner}/app@${sha7} not sent: GitHub answered 401 (Bad credentials): the GitHub token was refused; fix .dkt/secrets/github-token; retried from `)
      const failing = await nodeRun(dir, 'exit 2')
      expect(failing.result.exitCode).toBe(1)
      expect(failing.json.run).toMatchObject({status: 'failure', exitCode: 2})
      expect(states(api.of(owner))).toEqual([`${context} pending 401`, `${context} success 401`, expect.stringMatching(/pending 401$/), expect.stringMatching(/failure 401$/)])
      // The newest state of each status waits; the run records are untouched.
      expect(queued(dir)).toHaveLength(2)
      const log = await dktJson<{runs: {status: string}[]}>(['node', 'log', ok.json.node], {cwd: dir})
      expect(log.runs.map((r) => r.status)).toEqual(['success'])
    } finally {
      api.expectedToken = TOKEN
    }
    const before = api.of(owner).length
    const scheduler = await run(['scheduler', '--once'], dir)
    expect(scheduler.exitCode).toBe(0)
    expect(api.of(owner).slice(before).map((r) => `${r.body.state} ${r.answered}`).sort()).toEqual(['failure 201', 'success 201'])
    expect(queued(dir)).toEqual([])
  })

  it('a running scheduler retries the statuses waiting in the outbox after their backoff', async () => {
    const {dir, owner} = await project()
    api.expectedToken = 'ghp_anotherToken'
    let scheduler: ReturnType<typeof startDkt> | undefined
    try {
      await nodeRun(dir, 'true')
      expect(queued(dir)).toHaveLength(1)
      scheduler = startDkt(['scheduler', '--interval', '60'], {cwd: dir})
      // Its first pass, at start, is refused too; the next ones come after the backoff.
      await waitFor(() => api.of(owner).length === 3, "the scheduler's first attempt", 20_000)
    } finally {
      api.expectedToken = TOKEN
    }
    await waitFor(() => api.of(owner).some((r) => r.answered === 201), 'a retry', 20_000)
    scheduler.child.kill('SIGTERM')
    expect(await scheduler.exited).toBe(0)
    outputs.push({stdout: scheduler.stdout, stderr: scheduler.stderr, exitCode: 0})
    expect(states(api.of(owner)).map((s) => s.split(' ').slice(1).join(' '))).toEqual(['pending 401', 'success 401', 'success 401', 'success 201'])
    expect(api.of(owner)[3].at - api.of(owner)[2].at).toBeGreaterThanOrEqual(4_000)
    expect(queued(dir)).toEqual([])
  })

  it('honours rate limits: 403 with x-ratelimit-remaining 0 holds every status until x-ratelimit-reset; 429 until retry-after', async () => {
    const {dir, owner} = await project()
    let reset = 0
    api.answers.push(() => {
      reset = Math.ceil(Date.now() / 1000) + 3
      return {status: 403, headers: {'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset)}, body: {message: 'API rate limit exceeded'}}
    })
    const ok = await nodeRun(dir, 'true')
    expect(ok.json.run.status).toBe('success')
    expect(ok.result.stderr).toMatch(/not sent: GitHub answered 403 \(API rate limit exceeded\): rate limit reached; retried from /)
    // The outcome was not even tried while the limit holds, nor by a scheduler started meanwhile.
    expect(states(api.of(owner))).toEqual([expect.stringMatching(/pending 403$/)])
    await run(['scheduler', '--once'], dir)
    await waitFor(() => Date.now() > reset * 1000, 'the rate limit reset', 6000)
    await run(['scheduler', '--once'], dir)
    expect(states(api.of(owner)).slice(1)).toEqual([expect.stringMatching(/success 201$/)])
    expect(api.of(owner)[1].at).toBeGreaterThanOrEqual(reset * 1000)

    api.answers.push(() => ({status: 429, headers: {'retry-after': '2'}, body: {message: 'You have exceeded a secondary rate limit'}}))
    const failing = await nodeRun(dir, 'exit 1')
    expect(failing.result.stderr).toMatch(/not sent: GitHub answered 429 \(You have exceeded a secondary rate limit\): rate limited; retried from /)
    expect(states(api.of(owner)).slice(2)).toEqual([expect.stringMatching(/pending 429$/)])
    const limited = api.of(owner)[2].at
    await run(['scheduler', '--once'], dir)
    await waitFor(() => Date.now() > limited + 2000, 'retry-after', 5000)
    await run(['scheduler', '--once'], dir)
    expect(states(api.of(owner)).slice(3)).toEqual([expect.stringMatching(/failure 201$/)])
    expect(api.of(owner)[3].at).toBeGreaterThanOrEqual(limited + 2000)
    expect(queued(dir)).toEqual([])
  })

  it('a run whose dkt process was killed gets an error status when the scheduler recovers it, then its new run its own', async () => {
    const {dir, owner} = await project()
    const flag = path.join(tempDir(), 'once')
    const killed = startDkt(['node', 'run', '--input', 'app', '--', 'sh', '-c', `test -f ${flag} || { touch ${flag}; sleep 5; }`], {cwd: dir})
    // Sent and out of the outbox (killed before that, it would be sent again: at least once, never out of order).
    await waitFor(() => api.of(owner).length === 1 && queued(dir).length === 0, 'the pending status', 20_000)
    killed.child.kill('SIGKILL')
    await killed.exited
    const scheduler = await run(['scheduler', '--once'], dir)
    expect(scheduler.exitCode).toBe(0)
    const [pending, ...rest] = api.of(owner).map((r) => [r.body.state, r.body.description.replace(/\d+\.\d/, 'N')])
    expect(pending).toEqual(['pending', expect.stringMatching(/^running since/)])
    // The new run's pending may be superseded by its outcome before the scheduler's background sending gets to it.
    expect(withoutPending(rest, 1, ([state]) => state === 'pending')).toEqual([
      ['error', 'error in N s: interrupted: the dkt process running it stopped before it ended'],
      ['success', 'success in N s (exit 0)'],
    ])
  })

  it('an API that never answers holds no run under the scheduler: the statuses stay queued and it exits promptly', async () => {
    const {dir, upstream} = await project()
    await nodeRun(dir, 'true')
    // Never answers while `hanging`; then accepts every status, keeping their states.
    let hanging = true
    let asked = 0
    const accepted: string[] = []
    const silent = http.createServer((req, res) => {
      asked++
      let text = ''
      req.on('data', (chunk) => (text += chunk))
      req.on('end', () => {
        if (hanging) return
        accepted.push((JSON.parse(text) as Received['body']).state)
        res.writeHead(201, {'content-type': 'application/json'}).end('{}')
      })
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      await dktOk(['config', 'set', 'github.api-url', `http://127.0.0.1:${(silent.address() as AddressInfo).port}`], {cwd: dir})
      upstream.advance()
      const begun = Date.now()
      const scheduler = await run(['scheduler', '--once', '--json'], dir)
      const took = Date.now() - begun
      expect(scheduler.exitCode).toBe(0)
      const events = scheduler.stdout.trim().split('\n').map((line) => (JSON.parse(line) as {type: string}).type)
      expect(events).toContain('run-finished')
      // Sending held the run, then the exit, for a whole request timeout (10 s) each before; now neither waits.
      expect(took).toBeLessThan(9_000)
      expect(asked).toBeGreaterThan(0)
      expect(queued(dir)).toHaveLength(1)
      expect(scheduler.stderr).toMatch(/not sent: .* cannot be reached/)
      // The next scheduler sends it once the API answers.
      hanging = false
      expect((await run(['scheduler', '--once'], dir)).exitCode).toBe(0)
      expect(accepted).toEqual(['success'])
      expect(queued(dir)).toEqual([])
    } finally {
      silent.closeAllConnections()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it('is off unless github.statuses is true, leaves node IDs alone, and ignores nodes without a github input', async () => {
    const off = await project({statuses: false})
    const quiet = await nodeRun(off.dir, 'true')
    expect(api.of(off.owner)).toEqual([])
    const on = await project()
    writeFiles(on.dir, {'data/x': '1'})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: on.dir})
    const pathOnly = await run(['node', 'run', '--input', 'data', '--', 'true'], on.dir)
    expect(pathOnly.exitCode).toBe(0)
    expect(api.of(on.owner)).toEqual([])
    // The same node defined in a project with statuses on has the same ID.
    const loud = await nodeRun(on.dir, 'true')
    expect(loud.json.node).toBe(quiet.json.node)
    expect(api.of(on.owner).map((r) => r.body.state)).toEqual(['pending', 'success'])
  })
})
