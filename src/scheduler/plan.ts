// Which due nodes can start now (dependency order: a node waits while a node upstream is due or running; labels),
// and which stale node states are worth refreshing now. Pure.
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

/** For each node, the nodes whose outputs it reads (itself excluded). */
function upstreamIndex(candidates: Candidate[]): (node: Candidate) => Candidate[] {
  const producers = new Map<string, Candidate[]>()
  for (const candidate of candidates) {
    for (const output of candidate.outputs) {
      const list = producers.get(output)
      if (list) list.push(candidate)
      else producers.set(output, [candidate])
    }
  }
  return (node) => node.inputs.flatMap((input) => producers.get(input) ?? []).filter((producer) => producer.id !== node.id)
}

export function planRuns(candidates: Candidate[], workerLabels: string[]): Plan {
  const upstreamOf = upstreamIndex(candidates)
  // A node waits if anything upstream (transitively) is busy.
  const busyUpstream = new Map<string, boolean>()
  const waits = (node: Candidate, seen: Set<string>): boolean => {
    if (busyUpstream.has(node.id)) return busyUpstream.get(node.id) as boolean
    if (seen.has(node.id)) return false
    seen.add(node.id)
    let result = false
    for (const producer of upstreamOf(node)) if (busy(producer) || waits(producer, seen)) result = true
    busyUpstream.set(node.id, result)
    return result
  }
  const plan: Plan = {ready: [], waiting: [], otherWorker: []}
  for (const candidate of [...candidates].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (!candidate.due || candidate.running) continue
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
export function refreshableNow(stale: Iterable<string>, candidates: Candidate[]): string[] {
  const byId = new Map(candidates.map((candidate) => [candidate.id, candidate]))
  const upstreamOf = upstreamIndex(candidates)
  return [...stale].filter((id) => {
    const node = byId.get(id)
    return node === undefined || !upstreamOf(node).some(busy)
  })
}
