// Why a due node is left to another worker: the labels it needs that this machine lacks, the machine its path
// sources live on, and which live worker of the fleet could run it (from the mirror of the remote, no network).
// Computed from the nodes that are due, apart from their due state (which may be cached).
import {machineName} from '../base/host.js'
import {effectiveLabels, type HostBinding, hostLabel, missingLabels, satisfies, withHostLabel} from './labels.js'
import type {MetaRepo} from './meta-repo.js'
import type {NodeDef} from './model/node.js'
import {nodeHostBindings} from './node/hosts.js'
import {type Fleet, mirroredFleet, workerLabelsOf} from './remote/fleet.js'

export interface LabelWait {
  /** The labels the node needs that this machine lacks (`host:H` for a path source of machine H). */
  labels: string[]
  /** The path sources that tie it to another machine. */
  hosts: HostBinding[]
  /** The fleet of the project's remote as last mirrored; null when there is no remote or no mirror yet. */
  fleet: {
    remote: string
    /** The live workers that have every label the node needs. */
    able: {name: string; host: string; ageSeconds: number}[]
    live: {name: string; host: string; labels: string[]; ageSeconds: number}[]
  } | null
}

/** `12 s`, `5 min`, `2 h`, `3 d`: how long ago a worker beat. Pure. */
export function ageText(seconds: number): string {
  if (seconds < 60) return `${seconds} s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`
  return `${Math.floor(seconds / 86_400)} d`
}

/** What a due node waits for, given its labels (with host labels), this worker's and the fleet; undefined: nothing. Pure. */
export function labelWait(nodeLabels: string[], bindings: HostBinding[], here: {labels: string[]; host: string}, fleet: Fleet | undefined): LabelWait | undefined {
  const labels = missingLabels(nodeLabels, withHostLabel(here.labels, here.host))
  if (labels.length === 0) return undefined
  const live = fleet?.workers.filter((worker) => worker.live) ?? []
  return {
    labels,
    hosts: bindings.filter((binding) => binding.host !== here.host),
    fleet: fleet
      ? {
          remote: fleet.remote,
          able: live.filter((worker) => satisfies(nodeLabels, workerLabelsOf(worker))).map(({name, host, ageSeconds}) => ({name, host, ageSeconds})),
          live: live.map(({name, host, labels: own, ageSeconds}) => ({name, host, labels: own, ageSeconds})),
        }
      : null,
  }
}

/** `runs only on mac-1 (reads path source data)`, then the labels: today's sentence, or the fleet's answer. Pure. */
export function labelWaitText(wait: LabelWait): string[] {
  const texts: string[] = []
  for (const host of new Set(wait.hosts.map((binding) => binding.host))) {
    const sources = wait.hosts.filter((binding) => binding.host === host).map((binding) => `${binding.access} path source ${binding.source}`)
    texts.push(`runs only on ${host} (${sources.join(', ')})`)
  }
  if (!wait.fleet) {
    const others = wait.labels.filter((label) => !wait.hosts.some((binding) => hostLabel(binding.host) === label))
    if (others.length > 0) texts.push(`waits for a worker labelled ${others.join(',')}`)
    return texts
  }
  const needed = `waiting for {${wait.labels.join(',')}}`
  const {able, live} = wait.fleet
  if (able.length === 1) texts.push(`${needed}: ${able[0].name} has it (${ageText(able[0].ageSeconds)} ago)`)
  else if (able.length > 1) texts.push(`${needed}: ${able.map((w) => `${w.name} (${ageText(w.ageSeconds)} ago)`).join(', ')} have it`)
  else {
    const workers = live.map((w) => `${w.name} {${w.labels.join(',')}} ${ageText(w.ageSeconds)} ago`)
    texts.push(`${needed}: no live worker has it; live: ${workers.length > 0 ? workers.join(', ') : 'none'}`)
  }
  return texts
}

/** For each of these (due) nodes that this machine cannot run: what it waits for. Reads the fleet's mirror once, if needed. */
export async function labelWaits(repo: MetaRepo, due: NodeDef[], workerLabels: string[], now: Date): Promise<Map<string, LabelWait>> {
  const here = {labels: workerLabels, host: machineName()}
  const needs = await Promise.all(
    due.map(async (node) => {
      const bindings = await nodeHostBindings(repo, node)
      return {node, bindings, labels: effectiveLabels(node.labels, bindings)}
    }),
  )
  const waiting = needs.filter((need) => labelWait(need.labels, need.bindings, here, undefined))
  const waits = new Map<string, LabelWait>()
  if (waiting.length === 0) return waits
  const fleet = await mirroredFleet(repo, now)
  for (const need of waiting) waits.set(need.node.id, labelWait(need.labels, need.bindings, here, fleet) as LabelWait)
  return waits
}
