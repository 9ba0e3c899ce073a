// The scheduler's view of every node (due? running?), kept between planning rounds and refreshed only where
// something changed (a run finished, a source got a new version): a full scan per finished run would make a big
// DAG quadratic, and so would any other walk over every node per run (the indexes below). A full scan is still made
// at start, when the set of nodes changes, and when asked (before concluding that nothing is due: another worker
// may have changed things). Whether a node is due is core's rule.
import type {Version} from '../base/version.js'
import type {MetaRepo} from '../core/meta-repo.js'
import type {NodeDef} from '../core/model/node.js'
import type {RunRecord} from '../core/model/run.js'
import type {SourceDef} from '../core/model/source.js'
import {claimedRuns, nodeDue} from '../core/node/due.js'
import {type CachedDueState, dueStates} from '../core/node/due-cache.js'
import {nodeLabels} from '../core/node/hosts.js'
import {inputSources, nodesChangedAt} from '../core/node/store.js'
import {type Candidate, type PlanGraph, producerIndex, refreshableNow, upstream} from './plan.js'

export interface NodeState extends Candidate {
  node: NodeDef
  /** The run ID the node is due for (null when it is not due). */
  key: string | null
  /** For a node fanned out over refs: the ref it is due for and that ref's input versions (see core/node/fan-out.ts). */
  ref?: {ref: string; versions: Record<string, Version>}
}

/** How recent a change of the nodes folder's time must be to be checked by listing the folder (see nodeSetChanged). */
const RECENT_NS = 2_000_000_000n

/** The nodes this scheduler has a run in progress for (their claims may not be taken yet). */
type RunningHere = Pick<ReadonlySet<string>, 'has'>

async function readState(repo: MetaRepo, node: NodeDef, claimed: RunRecord[]): Promise<NodeState> {
  // Read once for both: a node with a thousand inputs would read each definition twice.
  const defs = await inputSources(repo, node)
  return withHostLabels(repo, stateOf(node, await nodeDue(repo, node, claimed, undefined, defs), claimed), defs)
}

/**
 * A due node's labels, with `host:H` for each path source of machine H it reads or writes: only a worker there may
 * run it. Read for due nodes only (the planner looks at no other), so a scan through the due cache stays cheap.
 * `defs`: the node's input definitions, if just read.
 */
async function withHostLabels(repo: MetaRepo, state: NodeState, defs?: SourceDef[]): Promise<NodeState> {
  return state.due ? {...state, labels: await nodeLabels(repo, state.node, defs)} : state
}

function stateOf(node: NodeDef, due: CachedDueState, claimed: RunRecord[]): NodeState {
  return {
    id: node.id,
    inputs: node.inputs,
    outputs: node.outputs,
    // A due node's `host:H` labels are added by withHostLabels.
    labels: node.labels,
    node,
    due: due.state === 'due',
    // Any run of the node, even on older inputs: two runs of one node at once would race to publish its outputs.
    running: claimed.some((run) => run.node === node.id),
    key: due.state === 'due' ? due.key : null,
    ...(due.state === 'due' && due.ref && due.versions ? {ref: {ref: due.ref, versions: due.versions}} : {}),
  }
}

/** Which nodes read each source. */
function readerIndex(nodes: Iterable<NodeState>): Map<string, string[]> {
  const readers = new Map<string, string[]>()
  for (const node of nodes) {
    for (const input of new Set(node.inputs)) {
      const list = readers.get(input)
      if (list) list.push(node.id)
      else readers.set(input, [node.id])
    }
  }
  return readers
}

export class NodeStates {
  private states = new Map<string, NodeState>()
  /** The due nodes among them: what a planning round looks at. */
  private readonly dueIds = new Set<string>()
  private readers = new Map<string, string[]>()
  private producers = new Map<string, string[]>()
  /** When the folder of nodes had last changed, as of the last full scan: a node added or removed changes it. */
  private nodesChangedAt = -1n
  private readonly stale = new Set<string>()
  private fullScanNext = true

  constructor(private readonly repo: MetaRepo) {}

  get(id: string): NodeState | undefined {
    return this.states.get(id)
  }

  /** Something changed for the readers of these sources (and for the given node itself): refresh them. */
  changed(sources: string[], node?: string): void {
    if (node) this.stale.add(node)
    for (const source of sources) for (const reader of this.readers.get(source) ?? []) this.stale.add(reader)
  }

  scanFullyNext(): void {
    this.fullScanNext = true
  }

  /** Every node as the planner sees it, with the runs in progress here counted as running. */
  graph(runningHere: RunningHere): PlanGraph {
    const view = (state: NodeState): Candidate => (runningHere.has(state.id) && !state.running ? {...state, running: true} : state)
    const get = (id: string) => {
      const state = this.states.get(id)
      return state && view(state)
    }
    return {
      due: () => [...this.dueIds].map((id) => view(this.states.get(id) as NodeState)),
      get,
      upstreamOf: (node) => upstream(node, this.producers, get),
    }
  }

  /** Refreshes what changed, or everything; returns whether it read every node. */
  async refresh(runningHere: RunningHere): Promise<boolean> {
    if (this.fullScanNext || (await this.nodeSetChanged())) {
      await this.scanFully()
      return true
    }
    if (this.stale.size === 0) return false
    const claimed = await claimedRuns(this.repo)
    const graph = this.graph(runningHere)
    for (let now = refreshableNow(this.stale, graph); now.length > 0; now = refreshableNow(this.stale, graph)) {
      for (const id of now) this.stale.delete(id)
      const fresh = await Promise.all(now.flatMap((id) => this.states.get(id) ?? []).map((state) => readState(this.repo, state.node, claimed)))
      for (const state of fresh) this.set(state)
    }
    return false
  }

  /** Whether nodes were added or removed since the last full scan, without listing them when the folder says not. */
  private async nodeSetChanged(): Promise<boolean> {
    const changedAt = nodesChangedAt(this.repo)
    // Folder times come from the kernel's coarse clock: a change in the same tick as the last one may keep the
    // time, so a time that recent is checked against the list of nodes.
    if (changedAt === this.nodesChangedAt && BigInt(Date.now()) * 1_000_000n - changedAt > RECENT_NS) return false
    const ids = await this.repo.listJson('nodes')
    return ids.length !== this.states.size || ids.some((id) => !this.states.has(id))
  }

  private set(state: NodeState): void {
    this.states.set(state.id, state)
    if (state.due) this.dueIds.add(state.id)
    else this.dueIds.delete(state.id)
  }

  private async scanFully(): Promise<void> {
    // Taken before reading: a node added while the folder is read is found by the next round.
    const changedAt = nodesChangedAt(this.repo)
    // Through the cache of due states: at start after one leaf changed, only that leaf's reader is read.
    const {nodes, claimed} = await dueStates(this.repo)
    const states = await Promise.all(nodes.map(({node, due}) => withHostLabels(this.repo, stateOf(node, due, claimed))))
    this.states = new Map()
    this.dueIds.clear()
    for (const state of states) this.set(state)
    this.readers = readerIndex(states)
    this.producers = producerIndex(states)
    this.nodesChangedAt = changedAt
    this.fullScanNext = false
    this.stale.clear()
  }
}
