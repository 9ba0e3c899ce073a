// The scheduler's view of every node (due? running?), kept between planning rounds and refreshed only where
// something changed (a run finished, a source got a new version): a full scan per finished run would make a big
// DAG quadratic. A full scan is still made at start, when the set of nodes changes, and when asked (before
// concluding that nothing is due: another worker may have changed things). Whether a node is due is core's rule.
import type {Version} from '../base/version.js'
import type {MetaRepo} from '../core/meta-repo.js'
import type {NodeDef} from '../core/model/node.js'
import type {RunRecord} from '../core/model/run.js'
import {claimedRuns, type DueState, nodeDue} from '../core/node/due.js'
import {loadAllNodes} from '../core/node/store.js'
import {type Candidate, refreshableNow} from './plan.js'

export interface NodeState extends Candidate {
  node: NodeDef
  /** The run ID the node is due for (null when it is not due). */
  key: string | null
  /** For a node fanned out over refs: the ref it is due for and that ref's input versions (see core/node/fan-out.ts). */
  ref?: {ref: string; versions: Record<string, Version>}
}

/** The nodes this scheduler has a run in progress for (their claims may not be taken yet). */
type RunningHere = Pick<ReadonlySet<string>, 'has'>

async function readState(repo: MetaRepo, node: NodeDef, claimed: RunRecord[]): Promise<NodeState> {
  const due: DueState = await nodeDue(repo, node, claimed)
  return {
    id: node.id,
    inputs: node.inputs,
    outputs: node.outputs,
    labels: node.labels,
    node,
    due: due.state === 'due',
    // Any run of the node, even on older inputs: two runs of one node at once would race to publish its outputs.
    running: claimed.some((run) => run.node === node.id),
    key: due.state === 'due' ? due.key : null,
    ...(due.state === 'due' && due.ref && due.versions ? {ref: {ref: due.ref, versions: due.versions}} : {}),
  }
}

export class NodeStates {
  private states = new Map<string, NodeState>()
  private readonly stale = new Set<string>()
  private fullScanNext = true

  constructor(private readonly repo: MetaRepo) {}

  get(id: string): NodeState | undefined {
    return this.states.get(id)
  }

  /** Something changed for the readers of these sources (and for the given node itself): refresh them. */
  changed(sources: string[], node?: string): void {
    if (node) this.stale.add(node)
    for (const state of this.states.values()) if (state.inputs.some((input) => sources.includes(input))) this.stale.add(state.id)
  }

  scanFullyNext(): void {
    this.fullScanNext = true
  }

  /** Every node as the planner sees it. */
  candidates(runningHere: RunningHere): NodeState[] {
    return [...this.states.values()].map((state) => ({...state, running: state.running || runningHere.has(state.id)}))
  }

  /** Refreshes what changed, or everything; returns whether it read every node. */
  async refresh(runningHere: RunningHere): Promise<boolean> {
    const ids = await this.repo.listJson('nodes')
    if (this.fullScanNext || ids.length !== this.states.size || ids.some((id) => !this.states.has(id))) {
      await this.scanFully()
      return true
    }
    if (this.stale.size === 0) return false
    const claimed = await claimedRuns(this.repo)
    const next = () => refreshableNow(this.stale, this.candidates(runningHere))
    for (let now = next(); now.length > 0; now = next()) {
      for (const id of now) this.stale.delete(id)
      const fresh = await Promise.all(now.flatMap((id) => this.states.get(id) ?? []).map((state) => readState(this.repo, state.node, claimed)))
      for (const state of fresh) this.states.set(state.id, state)
    }
    return false
  }

  private async scanFully(): Promise<void> {
    const [nodes, claimed] = await Promise.all([loadAllNodes(this.repo), claimedRuns(this.repo)])
    const states = await Promise.all(nodes.map((node) => readState(this.repo, node, claimed)))
    this.states = new Map(states.map((state) => [state.id, state]))
    this.fullScanNext = false
    this.stale.clear()
  }
}
