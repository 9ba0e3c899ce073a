// `dkt node rerun`: force a new run of a node and, with downstream, of every node reachable from its outputs; or
// (`--failed`) a new attempt of every run that is a node's last word and failed, on the inputs it recorded.
import {downstreamOrder, topologicalOrder} from '../graph.js'
import type {MetaRepo} from '../meta-repo.js'
import type {NodeDef} from '../model/node.js'
import type {RunRecord} from '../model/run.js'
import {type ExecuteOptions, type ExecuteResult, executeRun} from './execute.js'
import {executePerRef} from './run-refs.js'
import {loadAllNodes, loadRuns, resolveNode} from './store.js'

type RerunOptions = Omit<ExecuteOptions, 'force' | 'recorder' | 'inputs'>

export async function rerunNode(repo: MetaRepo, options: {node: string; downstream?: boolean} & RerunOptions): Promise<ExecuteResult[]> {
  const start = await resolveNode(repo, options.node)
  const all = await loadAllNodes(repo)
  const order = [start, ...(options.downstream ? downstreamOrder(all, start) : [])]
  const results: ExecuteResult[] = []
  for (const graphNode of order) {
    const node = all.find((n) => n.id === graphNode.id) ?? start
    // A node fanned out over refs runs again on each (see run-refs.ts).
    const ran = await executePerRef(repo, node, {...options, force: true})
    results.push(...ran)
    // What is downstream of a failed run has no new input to run on.
    if (ran.some((result) => result.run.status !== 'success') || options.signal?.aborted) break
  }
  return results
}


/** Whether a run's ref is R: the full name (`refs/heads/main`) or its short form (`main`, `v1.0`, `pull/3/head`). */
export function refMatches(ref: string | undefined, wanted: string): boolean {
  if (ref === undefined) return false
  return ref === wanted || ['refs/heads/', 'refs/tags/', 'refs/'].some((prefix) => ref === `${prefix}${wanted}`)
}

const FAILED = new Set(['failure', 'error'])

/**
 * The runs to try again among one node's runs (newest first): for each ref (one group when runs carry none), the
 * newest run that was not cancelled, when it failed or ended in error and no run on the same inputs has succeeded.
 * A failure that a later run on newer inputs superseded is history, not something to rebuild. Pure.
 */
export function failedToRerun(runs: RunRecord[]): RunRecord[] {
  const newestByRef = new Map<string, RunRecord>()
  for (const run of runs) {
    if (run.status !== 'cancelled' && !newestByRef.has(run.ref ?? '')) newestByRef.set(run.ref ?? '', run)
  }
  return [...newestByRef.values()]
    .filter((run) => FAILED.has(run.status) && !runs.some((other) => other.key === run.key && other.status === 'success'))
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0))
}

/** Which failed runs to look at: one node's (`node`, as typed), or those of some nodes (`nodes`, full IDs), or all. */
interface FailedScope {
  node?: string
  nodes?: string[]
  ref?: string
}

async function nodesIn(repo: MetaRepo, scope: FailedScope): Promise<NodeDef[]> {
  if (scope.node) return [await resolveNode(repo, scope.node)]
  const all = await loadAllNodes(repo)
  return scope.nodes ? all.filter((node) => scope.nodes?.includes(node.id)) : all
}

/** Every failed run to try again, upstream nodes first; only those of the nodes in scope, and of ref `ref`, when given. */
export async function failedRuns(repo: MetaRepo, options: FailedScope): Promise<{node: NodeDef; run: RunRecord}[]> {
  const all = await nodesIn(repo, options)
  const found: {node: NodeDef; run: RunRecord}[] = []
  for (const graphNode of topologicalOrder(all)) {
    const node = all.find((n) => n.id === graphNode.id) as NodeDef
    for (const run of failedToRerun(await loadRuns(repo, node.id))) {
      if (options.ref === undefined || refMatches(run.ref, options.ref)) found.push({node, run})
    }
  }
  return found
}

/**
 * A new attempt of every failed run (see failedRuns), one after another, each on its recorded inputs; one failure
 * does not stop the rest. A run that cannot even start stops them, unless `onError` takes it (then the rest goes on).
 */
export async function rerunFailed(repo: MetaRepo, options: FailedScope & RerunOptions & {onError?: (error: Error) => void}): Promise<ExecuteResult[]> {
  const results: ExecuteResult[] = []
  for (const {node, run} of await failedRuns(repo, options)) {
    if (options.signal?.aborted) break
    const attempt = executeRun(repo, node, {...options, force: true, inputs: run.inputs, ref: run.ref})
    const {onError} = options
    if (!onError) results.push(await attempt)
    else await attempt.then((result) => results.push(result), onError)
  }
  return results
}
