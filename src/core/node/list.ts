// `dkt node list` and `dkt node log`: the nodes, and the runs of one node (newest first, with its pending run).
import {runId} from '../ids.js'
import type {MetaRepo} from '../meta-repo.js'
import type {NodeDef} from '../model/node.js'
import type {RunStatus} from '../model/run.js'
import type {Version} from '../../base/version.js'
import {liveClaims} from './claims.js'
import {currentInputs, loadAllNodes, loadRuns, resolveNode} from './store.js'

export async function listNodes(repo: MetaRepo): Promise<NodeDef[]> {
  return loadAllNodes(repo)
}

export interface RunRow {
  id: string
  status: RunStatus
  inputs: Record<string, Version>
  outputs: Record<string, Version>
  attempt: number
  startedAt: string | null
  endedAt: string | null
  exitCode: number | null
}

export async function logNode(repo: MetaRepo, options: {node: string}): Promise<{node: NodeDef; runs: RunRow[]}> {
  const node = await resolveNode(repo, options.node)
  const runs: RunRow[] = (await loadRuns(repo, node.id)).map((run) => ({
    id: run.id,
    status: run.status,
    inputs: run.inputs,
    outputs: run.outputs,
    attempt: run.attempt,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    exitCode: run.exitCode,
  }))
  // Runs being executed right now (a scheduler commits a run only when it ends): shown as running.
  for (const claim of (await liveClaims(repo.project)).values()) {
    if (claim.run.node !== node.id || runs.some((run) => run.id === claim.run.id)) continue
    const {run} = claim
    runs.unshift({id: run.id, status: 'running', inputs: run.inputs, outputs: {}, attempt: run.attempt, startedAt: run.startedAt, endedAt: null, exitCode: null})
  }
  // The run the node is due for (its inputs' current versions), if it has not been started yet.
  const {versions, missing} = await currentInputs(repo, node)
  if (missing.length === 0) {
    const key = runId(node.id, versions)
    if (!runs.some((run) => run.id === key)) {
      runs.unshift({id: key, status: 'pending', inputs: versions, outputs: {}, attempt: 1, startedAt: null, endedAt: null, exitCode: null})
    }
  }
  return {node, runs}
}
