// Reads the project and tells, for every node, whether it is due: every input has a version and no run exists
// on those versions (runs cancelled or interrupted do not count: they are due again).
import {runId} from '../core/ids.js'
import type {MetaRepo} from '../core/meta-repo.js'
import type {NodeDef} from '../core/model/node.js'
import type {RunRecord} from '../core/model/run.js'
import {liveClaims} from '../core/node/claims.js'
import {INTERRUPTED} from '../core/node/recover.js'
import {currentInputs, loadAllNodes, loadRuns} from '../core/node/store.js'
import type {Version} from '../base/version.js'
import type {Candidate} from './plan.js'

export interface NodeState extends Candidate {
  node: NodeDef
  inputVersions: Record<string, Version>
  key: string | null
}

/** A run that settles its inputs: anything but one cancelled or cut short by a dead process. */
export function settles(run: RunRecord): boolean {
  return !(run.status === 'cancelled' || (run.status === 'error' && run.reason === INTERRUPTED))
}

/** The state of one node, given which nodes are running somewhere (live claims). */
export async function nodeState(repo: MetaRepo, node: NodeDef, running: boolean): Promise<NodeState> {
  const base = {id: node.id, inputs: node.inputs, outputs: node.outputs, labels: node.labels, node, running}
  const {versions, missing} = await currentInputs(repo, node)
  if (missing.length > 0) return {...base, due: false, inputVersions: versions, key: null}
  const key = runId(node.id, versions)
  const runs = await loadRuns(repo, node.id)
  const due = !runs.some((run) => run.key === key && settles(run))
  return {...base, due, inputVersions: versions, key}
}

/** Nodes being run right now by any process on this machine (live claims). */
export async function runningNodes(repo: MetaRepo): Promise<Set<string>> {
  return new Set([...(await liveClaims(repo.project)).values()].map((claim) => claim.run.node))
}

export async function nodeStates(repo: MetaRepo): Promise<NodeState[]> {
  const [nodes, running] = await Promise.all([loadAllNodes(repo), runningNodes(repo)])
  return Promise.all(nodes.map((node) => nodeState(repo, node, running.has(node.id))))
}
