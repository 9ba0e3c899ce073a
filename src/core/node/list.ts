// `dkt node list` and `dkt node log`: the nodes, and the runs of one node (newest first, with its pending run).
import type {MetaRepo} from '../meta-repo.js'
import type {NodeDef} from '../model/node.js'
import type {RunRecord} from '../model/run.js'
import {runId} from '../ids.js'
import {claimedRuns, type DueState, nodeDue, nodeDueByRef, type RefDue, type RunsReader} from './due.js'
import {refsOfRun} from './fan-out.js'
import {refMatches} from './rerun.js'
import {currentInputs, inputSources, loadAllNodes, loadRuns, resolveNode} from './store.js'

export async function listNodes(repo: MetaRepo): Promise<NodeDef[]> {
  return loadAllNodes(repo)
}

/** A line of `dkt node log`: a recorded run, a run in progress, or the run the node is due for (not started yet). */
export type RunRow = Pick<RunRecord, 'id' | 'status' | 'inputs' | 'outputs' | 'attempt' | 'endedAt' | 'exitCode'> & {
  startedAt: string | null
  /** Only for a node fanned out over refs: the ref the run was started for (as its manifest records it). */
  ref?: string
  /** …and every ref it serves: that one, then the refs whose current input versions are the run's (a shared run). */
  refs?: string[]
}

/** `ref`: only the runs started for that ref or shared with it by memoization (`main` or `refs/heads/main`). */
export async function logNode(repo: MetaRepo, options: {node: string; ref?: string; runsOf?: RunsReader}): Promise<{node: NodeDef; runs: RunRow[]}> {
  const log = await logAllRuns(repo, options)
  const wanted = options.ref
  if (wanted === undefined) return log
  return {node: log.node, runs: log.runs.filter((run) => refMatches(run.ref, wanted) || (run.refs ?? []).some((ref) => refMatches(ref, wanted)))}
}

async function logAllRuns(repo: MetaRepo, options: {node: string; runsOf?: RunsReader}): Promise<{node: NodeDef; runs: RunRow[]}> {
  const node = await resolveNode(repo, options.node)
  const runsOf = options.runsOf ?? ((id: string) => loadRuns(repo, id))
  const recorded = await runsOf(node.id)
  const runs: RunRow[] = recorded.map((run) => ({
    id: run.id,
    status: run.status,
    inputs: run.inputs,
    outputs: run.outputs,
    attempt: run.attempt,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    exitCode: run.exitCode,
    ...(run.ref === undefined ? {} : {ref: run.ref}),
  }))
  // Runs being executed right now (a scheduler commits a run only when it ends): shown as running.
  const claimed = await claimedRuns(repo)
  for (const run of claimed) {
    if (run.node !== node.id || runs.some((row) => row.id === run.id)) continue
    const ref = run.ref === undefined ? {} : {ref: run.ref}
    runs.unshift({id: run.id, status: 'running', inputs: run.inputs, outputs: {}, attempt: run.attempt, startedAt: run.startedAt, endedAt: null, exitCode: null, ...ref})
  }
  const defs = await inputSources(repo, node)
  const byRef = await nodeDueByRef(repo, node, claimed, async () => recorded, defs)
  if (byRef) return {node, runs: withRefs(node, runs, byRef)}
  // The run the node is due for, by the one due rule (`status` and the scheduler use it too), until it starts.
  const due = await nodeDue(repo, node, claimed, async () => recorded, defs)
  if (due.state === 'due' && !runs.some((run) => run.id === due.key && run.status === 'running')) {
    const {versions} = await currentInputs(repo, node, defs)
    runs.unshift({id: due.key, status: 'pending', inputs: versions, outputs: {}, attempt: 1, startedAt: null, endedAt: null, exitCode: null})
  }
  return {node, runs}
}

/**
 * The rows of a node fanned out over refs: each run with the refs it serves, and a pending row per ref that is due
 * (refs due on the same input versions share one).
 */
function withRefs(node: NodeDef, runs: RunRow[], byRef: RefDue[] | DueState): RunRow[] {
  const entries = Array.isArray(byRef) ? byRef : []
  const sets = entries.map((entry) => ({ref: entry.ref, key: runId(node.id, entry.versions)}))
  const rows: RunRow[] = runs.map((row) => ({...row, refs: refsOfRun({ref: row.ref, key: runId(node.id, row.inputs)}, sets)}))
  const pending = new Map<string, RunRow>()
  for (const {ref, versions, due} of entries) {
    if (due.state !== 'due' || rows.some((row) => row.id === due.key && row.status === 'running')) continue
    const row = pending.get(due.key) ?? {id: due.key, status: 'pending', inputs: versions, outputs: {}, attempt: 1, startedAt: null, endedAt: null, exitCode: null, ref, refs: []}
    row.refs?.push(ref)
    pending.set(due.key, row)
  }
  return [...pending.values(), ...rows]
}
