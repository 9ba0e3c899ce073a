// Which due nodes can start now: dependency order (a node waits while a node upstream is due or running) and
// labels. Pure.
import {satisfies} from '../core/labels.js'

export interface Candidate {
  id: string
  inputs: string[]
  outputs: string[]
  labels: string[]
  /** Due: its inputs have versions and no run exists on them. */
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

export function planRuns(candidates: Candidate[], workerLabels: string[]): Plan {
  const producers = new Map<string, Candidate[]>()
  for (const candidate of candidates) {
    for (const output of candidate.outputs) producers.set(output, [...(producers.get(output) ?? []), candidate])
  }
  // A node waits if anything upstream (transitively) is due or running.
  const pendingUpstream = new Map<string, boolean>()
  const upstreamBusy = (node: Candidate, seen: Set<string>): boolean => {
    if (pendingUpstream.has(node.id)) return pendingUpstream.get(node.id) as boolean
    if (seen.has(node.id)) return false
    seen.add(node.id)
    let busy = false
    for (const input of node.inputs) {
      for (const producer of producers.get(input) ?? []) {
        if (producer.id === node.id) continue
        if (producer.due || producer.running || upstreamBusy(producer, seen)) busy = true
      }
    }
    pendingUpstream.set(node.id, busy)
    return busy
  }
  const plan: Plan = {ready: [], waiting: [], otherWorker: []}
  for (const candidate of [...candidates].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (!candidate.due || candidate.running) continue
    if (upstreamBusy(candidate, new Set())) plan.waiting.push(candidate.id)
    else if (!satisfies(candidate.labels, workerLabels)) plan.otherWorker.push(candidate.id)
    else plan.ready.push(candidate.id)
  }
  return plan
}
