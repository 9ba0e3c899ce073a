// `dkt status`: for every node, whether it would run now, and why (per input: what changed since its last run).
import {shortVersion} from '../base/version.js'
import {shortId} from './ids.js'
import {defaultLabels} from './labels.js'
import {type LabelWait, labelWaits, labelWaitText} from './label-waits.js'
import type {MetaRepo} from './meta-repo.js'
import {shortRefName} from '../kinds/ref-pattern.js'
import {claimedRuns, type DueReason, type DueState, type RunsReader} from './node/due.js'
import {type CachedDueState, dueStates, type NodeDue, readNodeDue} from './node/due-cache.js'
import {loadAllNodes} from './node/store.js'
import type {NodeDef} from './model/node.js'
import {loadSource} from './source/store.js'

export interface NodeStatus {
  node: string
  command: string[]
  labels: string[]
  state: DueState['state']
  due: boolean
  /** One entry per reason: `dmg 82a53d4e → 0e500a4e`, `never run`, `failed (run …); dkt node rerun …`, … */
  reasons: string[]
  /** Only for a node fanned out over the refs of a TAG pattern input: the state of each ref (full name). */
  refs?: {ref: string; state: DueState['state']; due: boolean; reasons: string[]}[]
  /** Only for a due node this machine cannot run: the labels it waits for and which live worker has them. */
  waitsFor?: LabelWait
}

/**
 * Every node and whether it is due (see due-cache.ts): through the cache of due states when read from the metadata
 * files, directly when `runsOf` keeps the runs in memory (the web view) or only some nodes are asked for.
 */
export async function nodeDues(repo: MetaRepo, options: {runsOf?: RunsReader; nodes?: NodeDef[]} = {}): Promise<NodeDue[]> {
  if (!options.runsOf && !options.nodes) return (await dueStates(repo)).nodes
  const claimed = await claimedRuns(repo)
  const dues: NodeDue[] = []
  for (const node of options.nodes ?? (await loadAllNodes(repo))) dues.push(await readNodeDue(repo, node, claimed, options.runsOf))
  return dues
}

/** Every node's status, or only that of `nodes` (a node's page). */
export async function projectStatus(repo: MetaRepo, options: {workerLabels?: string[]; runsOf?: RunsReader; nodes?: NodeDef[]} = {}): Promise<NodeStatus[]> {
  const workerLabels = options.workerLabels ?? defaultLabels()
  const statuses: NodeStatus[] = []
  const dues = await nodeDues(repo, options)
  for (const {node, due, byRef} of dues) {
    const refs = Array.isArray(byRef) ? await refStatuses(repo, node.id, byRef) : undefined
    const reasons = refs ? refsText(refs) : await reasonsText(repo, node.id, due)
    if (refs && refs.length === 0) reasons.push('no ref to run on')
    statuses.push({node: node.id, command: node.command, labels: node.labels, state: due.state, due: due.state === 'due', reasons, ...(refs ? {refs} : {})})
  }
  await explainLabelWaits(repo, statuses, dues.map((due) => due.node), workerLabels)
  return statuses
}

/** A due node whose labels this machine lacks stays pending until a worker that has them runs it: say which. */
async function explainLabelWaits(repo: MetaRepo, statuses: NodeStatus[], nodes: NodeDef[], workerLabels: string[]): Promise<void> {
  const dueIds = new Set(statuses.filter((status) => status.due).map((status) => status.node))
  const waits = await labelWaits(repo, nodes.filter((node) => dueIds.has(node.id)), workerLabels, new Date())
  for (const status of statuses) {
    const wait = waits.get(status.node)
    if (!wait) continue
    status.reasons.push(...labelWaitText(wait))
    status.waitsFor = wait
  }
}

async function refStatuses(repo: MetaRepo, node: string, byRef: {ref: string; due: CachedDueState}[]): Promise<NonNullable<NodeStatus['refs']>> {
  return Promise.all(
    byRef.map(async ({ref, due}) => ({ref, state: due.state, due: due.state === 'due', reasons: await reasonsText(repo, node, due)})),
  )
}

/** `main: never run`, `pull/3: app 1bf6… → 3dd2…`, … for each ref that is not up to date, then how many are. */
function refsText(refs: NonNullable<NodeStatus['refs']>): string[] {
  const upToDate = refs.filter((ref) => ref.state === 'up-to-date').length
  const others = refs.filter((ref) => ref.state !== 'up-to-date').map((ref) => `${shortRefName(ref.ref)}: ${ref.reasons.join(', ')}`)
  return [...others, ...(upToDate > 0 ? [`${upToDate} ref${upToDate === 1 ? '' : 's'} up to date`] : [])]
}

async function reasonsText(repo: MetaRepo, node: string, due: CachedDueState): Promise<string[]> {
  switch (due.state) {
    case 'waiting':
      return due.missing.map((name) => `waiting for ${name} (no version yet)`)
    case 'up-to-date':
      return ['up to date']
    case 'running':
      return [`running (run ${shortId(due.run.id)})`]
    case 'failed':
      return [`${due.run.status === 'failure' ? 'failed' : 'ended in error'} (run ${shortId(due.run.id)}); \`dkt node rerun ${shortId(node)}\` runs it again`]
    case 'due':
      return Promise.all(due.reasons.map((reason) => reasonText(repo, reason)))
  }
}

async function reasonText(repo: MetaRepo, reason: DueReason): Promise<string> {
  switch (reason.type) {
    case 'never-run':
      return 'never run'
    case 'inputs-changed':
      return 'inputs changed'
    case 'retry':
      return `${reason.last} last time`
    case 'input-changed': {
      const change = reason.before ? `${reason.input} ${shortVersion(reason.before)} → ${shortVersion(reason.after)}` : `${reason.input} new input`
      const pinned = (await loadSource(repo, reason.input)).pin !== undefined
      return pinned ? `${change} (pinned input changed)` : change
    }
  }
}
