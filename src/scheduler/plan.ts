// Which due nodes can start now (dependency order: a node waits while a node upstream is due or running; labels),
// and which stale node states are worth refreshing now. Pure: it reads the graph through PlanGraph, which the
// scheduler keeps up to date between rounds, so that a round costs what is due, not the size of the whole DAG.
import {satisfies} from '../core/labels.js'

export interface Candidate {
  id: string
  inputs: string[]
  outputs: string[]
  labels: string[]
  /** Due: see core/node/due.ts. */
  due: boolean
  running: boolean
}

/** The nodes as the planner sees them. */
export interface PlanGraph {
  /** The due nodes, running or not: the only ones a plan can start. */
  due(): Iterable<Candidate>
  get(id: string): Candidate | undefined
  /** The nodes whose outputs a node reads (itself excluded). */
  upstreamOf(node: Candidate): Candidate[]
}

export interface Plan {
  /** Due, not waiting for anything, and runnable by this worker. */
  ready: string[]
  /** Due, but a node upstream of it is due or running: it must wait for that node's output. */
  waiting: string[]
  /** Due, but this worker lacks some of its labels: left for another worker. */
  otherWorker: string[]
}

/** A node that will produce new outputs: its consumers must wait for them. */
const busy = (candidate: Candidate) => candidate.due || candidate.running

/** Which nodes write each source. */
export function producerIndex(nodes: Iterable<{id: string; outputs: string[]}>): Map<string, string[]> {
  const producers = new Map<string, string[]>()
  for (const node of nodes) {
    for (const output of node.outputs) {
      const list = producers.get(output)
      if (list) list.push(node.id)
      else producers.set(output, [node.id])
    }
  }
  return producers
}

/** The graph of a list of candidates (for a one-off plan). */
export function graphOf(candidates: Candidate[]): PlanGraph {
  const byId = new Map(candidates.map((candidate) => [candidate.id, candidate]))
  const producers = producerIndex(candidates)
  return {
    due: () => candidates.filter((candidate) => candidate.due),
    get: (id) => byId.get(id),
    upstreamOf: (node) => upstream(node, producers, (id) => byId.get(id)),
  }
}

/** The producers of a node's inputs, through an index of producers by source. */
export function upstream(node: Candidate, producers: Map<string, string[]>, get: (id: string) => Candidate | undefined): Candidate[] {
  const found: Candidate[] = []
  for (const input of node.inputs) {
    for (const id of producers.get(input) ?? []) {
      const producer = id === node.id ? undefined : get(id)
      if (producer) found.push(producer)
    }
  }
  return found
}

export function planRuns(graph: PlanGraph, workerLabels: string[]): Plan {
  // A node waits if anything upstream (transitively) is busy.
  const busyUpstream = new Map<string, boolean>()
  const waits = (node: Candidate, seen: Set<string>): boolean => {
    if (busyUpstream.has(node.id)) return busyUpstream.get(node.id) as boolean
    if (seen.has(node.id)) return false
    seen.add(node.id)
    const result = graph.upstreamOf(node).some((producer) => busy(producer) || waits(producer, seen))
    busyUpstream.set(node.id, result)
    return result
  }
  const plan: Plan = {ready: [], waiting: [], otherWorker: []}
  for (const candidate of [...graph.due()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (candidate.running) continue
    if (waits(candidate, new Set())) plan.waiting.push(candidate.id)
    else if (!satisfies(candidate.labels, workerLabels)) plan.otherWorker.push(candidate.id)
    else plan.ready.push(candidate.id)
  }
  return plan
}

/**
 * Which stale nodes may be refreshed now: those no direct producer of which is busy. A node whose producer is still
 * due or running is refreshed once that settles: refreshing a node with a thousand inputs after each of a thousand
 * runs upstream would be quadratic. A producer refreshed a moment ago may no longer be due: ask again after each
 * refresh (a chain would otherwise wait for a full scan per run).
 */
export function refreshableNow(stale: Iterable<string>, graph: PlanGraph): string[] {
  return [...stale].filter((id) => {
    const node = graph.get(id)
    return node === undefined || !graph.upstreamOf(node).some(busy)
  })
}
