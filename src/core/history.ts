// What the web view shows of the project's history: runs filtered and paged, why a run ran, its other attempts,
// and each version of a source with the runs it was an input to and the run it was an output of.
import {existsSync} from 'node:fs'

import {InvalidArgumentError} from '../base/errors.js'
import {type Version, versionHex} from '../base/version.js'
import type {MetaRepo} from './meta-repo.js'
import {type RunRecord, type RunStatus, runLogFile} from './model/run.js'
import {type Claim, liveClaims} from './node/claims.js'
import {type RunRow} from './node/list.js'
import {compareNewestFirst, type RunIndex} from './node/run-index.js'
import {readLiveLog} from './node/live-log.js'
import {readRunLog} from './node/output.js'
import {expandId} from './prefix.js'
import {type LogEntry, logSource} from './source/log.js'
import {readCheckOf, readChecks, type SourceCheck} from './source/checks.js'
import {listSources} from './source/list.js'
import {type NodeStatus, projectStatus} from './status.js'
import {loadSource, type SourceView, viewOf} from './source/store.js'

export const RUNS_PER_PAGE = 50

/** A run in a list: node log's row, with its node. */
export interface RunSummary extends RunRow {
  node: string
}

export function runSummary(run: RunRecord): RunSummary {
  const {id, node, status, inputs, outputs, attempt, startedAt, endedAt, exitCode} = run
  return {id, node, status, inputs, outputs, attempt, startedAt, endedAt, exitCode}
}

/** The runs of a request: recorded ones with those live processes execute now, and those processes' claims. */
export interface RunsNow {
  /** Newest first; a claimed run is `running` (recorded once it starts, or only claimed). */
  runs: RunRecord[]
  /** The live claims of this machine's runs still going, by run ID: who executes a running run. */
  live: Map<string, Claim>
}

/**
 * Whether a run has ended: its saved log is written with its final state (before the commit that records them, and
 * before its process lets go of its claim), so a page shows its end at once rather than after that commit.
 */
function hasEnded(repo: MetaRepo, run: Pick<RunRecord, 'node' | 'id'>): boolean {
  return existsSync(repo.abs(runLogFile(run.node, run.id)))
}

/** The live claims of runs still going, by run ID. */
async function goingClaims(repo: MetaRepo): Promise<Map<string, Claim>> {
  const live = await liveClaims(repo.project)
  for (const [id, claim] of live) if (hasEnded(repo, claim.run)) live.delete(id)
  return live
}

/** Reads the claims and the run index once: a page reads this once per request and passes it on. */
export async function runsNow(repo: MetaRepo, index: RunIndex): Promise<RunsNow> {
  const live = await goingClaims(repo)
  const claimed = [...live.values()].map((claim) => claim.run)
  // A run that has ended since the last look is read from its file at once: it may not be committed yet.
  const recorded = await index.runs(claimed)
  const going = claimed.filter((run) => !recorded.some((r) => r.id === run.id && r.status !== 'running'))
  if (going.length === 0) return {runs: recorded, live}
  const ids = new Set(going.map((run) => run.id))
  const runs = [...going.map((run) => ({...run, status: 'running' as const})), ...recorded.filter((run) => !ids.has(run.id))].sort(compareNewestFirst)
  return {runs, live}
}

export async function allRuns(repo: MetaRepo, index: RunIndex): Promise<RunRecord[]> {
  return (await runsNow(repo, index)).runs
}

export interface RunFilter {
  status?: RunStatus
  /** A node ID or a prefix of one. */
  node?: string
  /** `SOURCE:VERSION` with any prefix of the version's hex, or only `SOURCE`. */
  input?: string
  /** The ID of the last run of the previous page. */
  after?: string
  /** Runs per page. */
  limit?: number
}

function inputMatcher(text: string): (run: RunRecord) => boolean {
  const colon = text.indexOf(':')
  const source = colon < 0 ? text : text.slice(0, colon)
  const prefix = colon < 0 ? '' : text.slice(colon + 1).toLowerCase().replace(/^(sha1|sha256|md5):/, '')
  return (run) => {
    const version = run.inputs[source]
    return version !== undefined && versionHex(version).startsWith(prefix)
  }
}

/** The runs a filter (status, node, input) keeps. Pure. */
export function filterRuns(all: RunRecord[], filter: RunFilter): RunRecord[] {
  let runs = all
  if (filter.status) runs = runs.filter((run) => run.status === filter.status)
  if (filter.node) {
    const node = filter.node.toLowerCase()
    runs = runs.filter((run) => run.node.startsWith(node))
  }
  if (filter.input) runs = runs.filter(inputMatcher(filter.input))
  return runs
}

/** One page of runs, newest first, and the cursor of the next page (null on the last). */
export async function listRuns(repo: MetaRepo, index: RunIndex, filter: RunFilter): Promise<{runs: RunSummary[]; next: string | null}> {
  const runs = filterRuns(await allRuns(repo, index), filter)
  let start = 0
  if (filter.after) {
    const at = runs.findIndex((run) => run.id === filter.after)
    if (at < 0) throw new InvalidArgumentError(`cursor \`${filter.after}\` is not a run of this list; start again from the first page`)
    start = at + 1
  }
  const limit = filter.limit ?? RUNS_PER_PAGE
  const page = runs.slice(start, start + limit)
  const more = start + limit < runs.length
  return {runs: page.map(runSummary), next: more ? (page.at(-1)?.id ?? null) : null}
}

/** The run a unique prefix of its ID names, among `runs` (recorded or running). */
export function expandRunId(runs: RunRecord[], text: string): RunRecord {
  const id = expandId(text, runs.map((run) => run.id), 'run', 'dkt node log NODE')
  return runs.find((run) => run.id === id) as RunRecord
}

export interface InputChange {
  input: string
  before: Version | null
  after: Version | null
}

export interface RunDetail {
  run: RunRecord
  /** Why it ran: the node's previous run (null for its first) and the inputs that differ from that run's. */
  why: {previousRun: string | null; changed: InputChange[]}
  /** The other attempts on the same inputs, newest first. */
  attempts: RunSummary[]
  /** The saved log (empty while the run is going). */
  log: string
}

/** A run's page: `runs` are every run (see runsNow). */
export async function runDetail(repo: MetaRepo, runs: RunRecord[], run: RunRecord): Promise<RunDetail> {
  const ofNode = runs.filter((r) => r.node === run.node)
  const previous = ofNode.slice(ofNode.findIndex((r) => r.id === run.id) + 1).find((r) => r.key !== run.key) ?? null
  const names = [...new Set([...Object.keys(run.inputs), ...Object.keys(previous?.inputs ?? {})])].sort()
  const changed = previous
    ? names.filter((name) => run.inputs[name] !== previous.inputs[name]).map((input) => ({input, before: previous.inputs[input] ?? null, after: run.inputs[input] ?? null}))
    : []
  const attempts = ofNode.filter((r) => r.key === run.key && r.id !== run.id).map(runSummary)
  return {run, why: {previousRun: previous?.id ?? null, changed}, attempts, log: await readRunLog(repo, run)}
}

export interface RunRef {
  node: string
  run: string
  status: RunStatus
}

export interface VersionHistory extends LogEntry {
  inputTo: RunRef[]
  outputOf: RunRef | null
}

export interface SourceHistory {
  source: SourceView
  /** What the scheduler's last check of it found (null if none has checked it). */
  check: SourceCheck | null
  columns: string[]
  versions: VersionHistory[]
}

/** A source and its versions newest first, each with the runs it fed and the run that made it. */
export async function sourceHistory(repo: MetaRepo, index: RunIndex, name: string): Promise<SourceHistory> {
  const def = await loadSource(repo, name)
  const [{columns, entries}, runs, source] = await Promise.all([logSource(repo, {name}), allRuns(repo, index), viewOf(repo, def)])
  const ref = (run: RunRecord): RunRef => ({node: run.node, run: run.id, status: run.status})
  // One pass over the runs (newest first), not one per version: a source may have thousands of each.
  const fed = new Map<Version, RunRef[]>()
  const made = new Map<Version, RunRecord>()
  for (const run of runs) {
    const input = run.inputs[name]
    if (input) {
      if (!fed.has(input)) fed.set(input, [])
      fed.get(input)?.push(ref(run))
    }
    const output = run.outputs[name]
    // The first run that made it (as the observation `dkt inspect` follows records), preferring one that succeeded.
    if (output && (run.status === 'success' || made.get(output)?.status !== 'success')) made.set(output, run)
  }
  const versions = entries.map((entry) => {
    const maker = made.get(entry.version)
    return {...entry, inputTo: fed.get(entry.version) ?? [], outputOf: maker ? ref(maker) : null}
  })
  return {source: source, check: readCheckOf(repo.project, name) ?? null, columns, versions}
}

/** A source with what the scheduler's last check of it found (null if none has checked it). */
export interface CheckedSource extends SourceView {
  check: SourceCheck | null
}

/** Every source, as `dkt source list` shows it, with its last check. */
export async function checkedSources(repo: MetaRepo): Promise<CheckedSource[]> {
  const [{sources}, checks] = await Promise.all([listSources(repo, {now: new Date()}), readChecks(repo.project)])
  return sources.map((source) => ({...source, check: checks.get(source.name) ?? null}))
}

export interface Overview {
  /** Runs live processes are executing now. */
  running: RunSummary[]
  /** Every node with `dkt status`'s state and reasons. */
  nodes: NodeStatus[]
  /** The newest failed runs (failure or error). */
  failures: RunSummary[]
  newest: RunSummary[]
  /** Sources whose last check failed: in backoff until their next retry. */
  failing: CheckedSource[]
  paused: SourceView[]
}

const OVERVIEW_ROWS = 10

/** The front page: what runs now, what is due and why, what failed last, the newest runs. */
export async function overview(repo: MetaRepo, index: RunIndex): Promise<Overview> {
  const [runs, nodes, sources] = await Promise.all([allRuns(repo, index), projectStatus(repo, {runsOf: index.runsOf}), checkedSources(repo)])
  return {
    running: runs.filter((run) => run.status === 'running').map(runSummary),
    nodes,
    failures: runs.filter((run) => run.status === 'failure' || run.status === 'error').slice(0, OVERVIEW_ROWS).map(runSummary),
    newest: runs.slice(0, OVERVIEW_ROWS).map(runSummary),
    failing: sources.filter((source) => (source.check?.consecutiveFailures ?? 0) > 0),
    paused: sources.filter((source) => source.paused).map(({check: _check, ...source}) => source),
  }
}

export interface FollowedOutput {
  text: string
  /** The byte to follow from next time. */
  next: number
  /** The run is no longer going: its saved log is the record. */
  ended: boolean
}

/**
 * A running run's output since byte `from`, from the live log its process writes (see live-log.ts). Once the run has
 * ended, the rest comes from its saved log, which holds the same bytes: the last lines are not lost to the race
 * between the last read and the live log's removal.
 */
export async function followRun(repo: MetaRepo, run: Pick<RunRecord, 'node' | 'id'>, from = 0, claimed?: boolean): Promise<FollowedOutput> {
  // A run is going while its process holds its claim (taken before the live log is opened, released after it is
  // removed) and its saved log is not written; a live log left by a process that died (kill -9) is not followed.
  // `claimed`: the caller has just read the claims (see runsNow).
  const going = claimed ?? (await goingClaims(repo)).has(run.id)
  if (going) {
    const live = readLiveLog(repo.project, run.id, from)
    return live ? {...live, ended: false} : {text: '', next: from, ended: false}
  }
  const saved = Buffer.from(await readRunLog(repo, run))
  return {text: saved.subarray(Math.min(from, saved.length)).toString('utf8'), next: Math.max(from, saved.length), ended: true}
}
