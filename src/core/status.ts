// `dkt status`: which nodes would run now, and why (per input: what changed since the node's last run).
import {runId, shortId} from './ids.js'
import {defaultLabels, missingLabels} from './labels.js'
import type {MetaRepo} from './meta-repo.js'
import {liveClaims} from './node/claims.js'
import {currentInputs, loadAllNodes, loadRuns} from './node/store.js'
import {loadSource} from './source/store.js'
import {shortVersion} from '../base/version.js'

export interface NodeStatus {
  node: string
  command: string[]
  labels: string[]
  due: boolean
  /** One entry per reason: `dmg 82a53d4e → 0e500a4e`, `never run`, `failed last time`, … */
  reasons: string[]
}

export async function projectStatus(repo: MetaRepo, options: {workerLabels?: string[]} = {}): Promise<NodeStatus[]> {
  const workerLabels = options.workerLabels ?? defaultLabels()
  const statuses = await nodeStatuses(repo)
  // A due node whose labels this machine lacks stays pending until a worker that has them runs it.
  for (const status of statuses) {
    const missing = missingLabels(status.labels, workerLabels)
    if (status.due && missing.length > 0) status.reasons.push(`waits for a worker labelled ${missing.join(',')}`)
  }
  return statuses
}

async function nodeStatuses(repo: MetaRepo): Promise<NodeStatus[]> {
  const statuses: NodeStatus[] = []
  const claimed = [...(await liveClaims(repo.project)).values()].map((claim) => claim.run)
  for (const node of await loadAllNodes(repo)) {
    const base = {node: node.id, command: node.command, labels: node.labels}
    const {versions, missing} = await currentInputs(repo, node)
    if (missing.length > 0) {
      statuses.push({...base, due: false, reasons: missing.map((name) => `waiting for ${name} (no version yet)`)})
      continue
    }
    const runs = await loadRuns(repo, node.id)
    const key = runId(node.id, versions)
    const onCurrent = runs.filter((run) => run.key === key)
    if (onCurrent.some((run) => run.status === 'success')) {
      statuses.push({...base, due: false, reasons: ['up to date']})
      continue
    }
    const running = claimed.find((run) => run.node === node.id && run.key === key) ?? onCurrent.find((run) => run.status === 'running')
    if (running) {
      statuses.push({...base, due: false, reasons: [`running (run ${shortId(running.id)})`]})
      continue
    }
    if (onCurrent.length > 0) {
      const last = onCurrent[0]
      statuses.push({...base, due: true, reasons: [last.status === 'failure' ? 'failed last time' : `${last.status} last time`]})
      continue
    }
    if (runs.length === 0) {
      statuses.push({...base, due: true, reasons: ['never run']})
      continue
    }
    const last = runs[0]
    const reasons: string[] = []
    for (const [name, version] of Object.entries(versions)) {
      const before = last.inputs[name]
      if (before === version) continue
      const pinned = (await loadSource(repo, name)).pin !== undefined
      const change = before ? `${name} ${shortVersion(before)} → ${shortVersion(version)}` : `${name} new input`
      reasons.push(pinned ? `${change} (pinned input changed)` : change)
    }
    statuses.push({...base, due: true, reasons: reasons.length > 0 ? reasons : ['inputs changed']})
  }
  return statuses
}
