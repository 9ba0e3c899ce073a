// Commit statuses for runs (`github.statuses` on): each run of a node with github inputs sets a status on each input
// commit, `pending` when it starts and its outcome when it ends. Sending goes through the outbox, so a refused or
// unreachable API never changes a run: the status waits in `.dkt/cache/statuses/` and is retried with backoff.
import {redact} from '../../base/redact.js'
import {githubApiUrl, githubRepository} from '../../kinds/github/base-url.js'
import type {CommitState, CommitStatus, StatusTarget} from '../../kinds/github/statuses.js'
import {shortId} from '../ids.js'
import type {MetaRepo} from '../meta-repo.js'
import {type NodeDef, nodeFile} from '../model/node.js'
import type {RunRecord, RunStatus} from '../model/run.js'
import {type RunReporter, SILENT_REPORTER} from '../node/run-reporter.js'
import {readConfig} from '../config.js'
import {readSecrets, type Secrets} from '../secrets.js'
import {loadSource} from '../source/store.js'
import {type Attempt, enqueueStatus, queuedFiles, sendQueued} from './outbox.js'

export const STATUSES_SETTING = 'github.statuses'
export const PUBLIC_URL_SETTING = 'serve.url'

interface Settings {
  config: Record<string, string>
  secrets: Secrets
  /**
   * Set (by the scheduler): statuses are only queued, and this is told so; the caller sends them in the background,
   * so an API that hangs never holds a run. Unset: each status is also tried once at once.
   */
  onQueued?: () => void
}

/** GitHub's state for how a run ended (GitHub has no `cancelled`). */
const STATE: Record<RunStatus, CommitState> = {pending: 'pending', running: 'pending', success: 'success', failure: 'failure', error: 'error', cancelled: 'error'}

/** The status's context: the node's name when it has one, else its short ID, under `dkt/`. */
export function statusContext(node: NodeDef): string {
  return `dkt/${node.name ?? shortId(node.id)}`
}

/** `pending` while it runs; then how it ended, how long it took and its exit code (or why it ended). */
export function statusOf(node: NodeDef, run: RunRecord, publicUrl: string | undefined): CommitStatus {
  const targetUrl = publicUrl ? `${publicUrl.replace(/\/+$/, '')}/runs/${run.node}/${run.id}` : undefined
  return {state: STATE[run.status], context: statusContext(node), description: describe(run), ...(targetUrl ? {targetUrl} : {})}
}

function describe(run: RunRecord): string {
  if (!run.endedAt) return `running since ${run.startedAt.slice(11, 19)} UTC (run ${shortId(run.id)})`
  const seconds = ((Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)
  const how = run.exitCode === null ? (run.reason ? `: ${run.reason}` : '') : ` (exit ${run.exitCode})`
  return `${run.status} in ${seconds} s${how}`
}

/** The github repositories among a node's inputs: a git source whose location is on the configured GitHub server. */
async function githubInputs(repo: MetaRepo, node: NodeDef, config: Record<string, string>): Promise<{input: string; owner: string; repo: string}[]> {
  const found = []
  for (const input of node.inputs) {
    const def = await loadSource(repo, input)
    const place = def.kind === 'git' ? githubRepository(def.location, config) : undefined
    if (place) found.push({input, ...place})
  }
  return found
}

/**
 * The reporter for the runs of `node`: silent unless `github.statuses` is on and the node reads a github source.
 * Never fails: what goes wrong is a warning, and the run goes on unreported.
 */
export async function commitStatusReporter(repo: MetaRepo, node: NodeDef, settings: Settings): Promise<RunReporter> {
  if (settings.config[STATUSES_SETTING] !== 'true') return SILENT_REPORTER
  return reporterFor(repo, node, settings).catch((error: Error) => {
    repo.onWarning(`no commit status for node ${shortId(node.id)}: ${redact(error.message, [settings.secrets['github-token'] ?? ''].filter(Boolean))}`)
    return SILENT_REPORTER
  })
}

async function reporterFor(repo: MetaRepo, node: NodeDef, {config, secrets, onQueued}: Settings): Promise<RunReporter> {
  const inputs = await githubInputs(repo, node, config)
  if (inputs.length === 0) return SILENT_REPORTER
  const token = secrets['github-token']
  if (!token) {
    repo.onWarning(`${STATUSES_SETTING} is on but there is no GitHub token (.dkt/secrets/github-token): no commit status is sent`)
    return SILENT_REPORTER
  }
  const apiBase = githubApiUrl(config)
  const report = async (run: RunRecord) => {
    const targets = new Map<string, StatusTarget>()
    for (const {input, owner, repo: name} of inputs) {
      const sha = /^sha1:([0-9a-f]{40})$/.exec(run.inputs[input] ?? '')?.[1]
      if (sha) targets.set(`${owner}/${name}@${sha}`, {apiBase, owner, repo: name, sha})
    }
    const status = statusOf(node, run, config[PUBLIC_URL_SETTING])
    const files = await Promise.all([...targets.values()].map((target) => enqueueStatus(repo.project, target, status, run.id, Date.now())))
    if (onQueued) onQueued()
    else warnAbout(repo, await sendQueued(repo.project, files, token, {now: Date.now}), token)
  }
  let sending = Promise.resolve()
  // Whatever goes wrong stays a warning: a status never changes the run it describes.
  const safely = (run: RunRecord) => report(run).catch((error: Error) => repo.onWarning(`commit status not queued: ${redact(error.message, [token])}`))
  return {
    started(run) {
      sending = safely(run)
    },
    async finished(run) {
      // After the `pending` one: the outbox keeps the newest state, and the lock orders the two.
      await sending
      await safely(run)
    },
  }
}

/**
 * The outcome of runs recorded by someone else than their runner (interrupted ones): their `pending` status ends.
 * Only queued (this runs with the project lock held): the next scheduler, or a scheduler's next pass, sends it.
 */
export async function reportEnded(repo: MetaRepo, runs: RunRecord[]): Promise<void> {
  if (runs.length === 0) return
  const [secrets, config] = await Promise.all([readSecrets(repo.project), readConfig(repo.project)])
  for (const run of runs) {
    const node = await repo.readJson<NodeDef>(nodeFile(run.node))
    if (node) await (await commitStatusReporter(repo, node, {config, secrets, onQueued: () => {}})).finished(run)
  }
}

/** Sends what waits in the outbox (what the scheduler does now and then); quiet when there is nothing or no token. */
export async function sendQueuedStatuses(repo: MetaRepo, options: {ignoreBackoff?: boolean; signal?: AbortSignal} = {}): Promise<void> {
  const files = await queuedFiles(repo.project)
  if (files.length === 0) return
  const [secrets, config] = await Promise.all([readSecrets(repo.project), readConfig(repo.project)])
  const token = secrets['github-token']
  if (!token || config[STATUSES_SETTING] !== 'true') return
  warnAbout(repo, await sendQueued(repo.project, files, token, {now: Date.now, ...options}), token)
}

function warnAbout(repo: MetaRepo, attempts: Attempt[], token: string): void {
  for (const attempt of attempts) {
    if (attempt.delivered) continue
    const {target, status} = attempt.entry
    const what = `commit status ${status.context} (${status.state}) for ${target.owner}/${target.repo}@${target.sha.slice(0, 7)} not sent: ${attempt.message}`
    const next = attempt.retryAt === null ? 'given up' : `retried from ${new Date(attempt.retryAt).toISOString()} (it waits in .dkt/cache/statuses/)`
    repo.onWarning(redact(`${what}; ${next}`, [token]))
  }
}
