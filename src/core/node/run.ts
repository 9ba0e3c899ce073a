// `dkt node run`: define a node and run it now on its inputs' current versions (or only define it, detached).
import {shortId} from '../ids.js'
import type {MetaRepo} from '../meta-repo.js'
import type {NodeDef} from '../model/node.js'
import type {RunRecord} from '../model/run.js'
import {type DefineNodeOptions, defineNode, nodeExists, planNode} from './define.js'
import type {ExecuteOptions} from './execute.js'
import {executePerRef} from './run-refs.js'
import {commitEachState, recordDefinition} from './recorder.js'

export interface RunNodeOptions extends Omit<ExecuteOptions, 'force' | 'recorder'> {
  /** Only define the node (one commit); the scheduler runs it. */
  detach?: boolean
  /** Told the node once it is known: before its run starts, or once it is recorded (detached). */
  onNode?: (node: NodeDef) => void
}

export interface RunNodeResult {
  node: string
  /** Whether the node was not recorded before. */
  created: boolean
  /** Null when detached (or, for a node fanned out over refs, when no ref is followed yet); the last of `runs`. */
  run: RunRecord | null
  memoized: boolean
  /** Only for a node fanned out over the refs of a TAG pattern input: its run (or reused run) on each ref. */
  runs?: RunRecord[]
}

export async function runNode(repo: MetaRepo, definition: DefineNodeOptions, options: RunNodeOptions): Promise<RunNodeResult> {
  if (options.detach) {
    const {node, created} = await defineNode(repo, definition)
    options.onNode?.(node)
    return {node: node.id, created, run: null, memoized: false}
  }
  const node = await planNode(repo, definition)
  const created = !(await nodeExists(repo, node.id))
  options.onNode?.(node)
  // The node is recorded with its run's first commit: a run rejected before it starts leaves no trace at all.
  const results = await executePerRef(repo, node, {...options, recorder: commitEachState(repo, node)})
  const {run, memoized} = results.at(-1) ?? {run: null, memoized: true}
  const fanned = results.some((result) => result.run.ref !== undefined)
  if (results.every((result) => result.memoized)) {
    // The node may have been removed and defined again: its definition is recorded, its runs were kept.
    await repo.transaction(`node add ${shortId(node.id)} (${node.command.join(' ')})`, async (tx) => recordDefinition(repo, node, tx))
  }
  return {node: node.id, created, run, memoized, ...(fanned ? {runs: results.map((result) => result.run)} : {})}
}
