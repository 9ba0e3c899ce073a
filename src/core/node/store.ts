// Reading nodes and runs from the metadata repository; the current input versions of a node.
import {statSync} from 'node:fs'

import {InvalidArgumentError} from '../../base/errors.js'
import type {MetaRepo} from '../meta-repo.js'
import {type NodeDef, nodeFile} from '../model/node.js'
import {type RunRecord, runFile} from '../model/run.js'
import type {SourceDef} from '../model/source.js'
import {runId} from '../ids.js'
import {expandId} from '../prefix.js'
import {isPatternSource} from '../source/refs.js'
import {lastObserved, loadSource} from '../source/store.js'
import type {Version} from '../../base/version.js'

export async function loadAllNodes(repo: MetaRepo): Promise<NodeDef[]> {
  const ids = await repo.listJson('nodes')
  const nodes = await Promise.all(ids.map((id) => repo.readJson<NodeDef>(nodeFile(id))))
  return nodes.filter((node): node is NodeDef => node !== undefined)
}

/** When the folder of node definitions last changed (a node added or removed), in ns since the epoch; 0 if none. */
export function nodesChangedAt(repo: MetaRepo): bigint {
  try {
    return statSync(repo.abs('nodes'), {bigint: true}).mtimeNs
  } catch {
    return 0n
  }
}

/** The node a (prefix of an) ID names. */
export async function resolveNode(repo: MetaRepo, text: string): Promise<NodeDef> {
  const id = expandId(text, await repo.listJson('nodes'), 'node', 'dkt node list')
  return (await repo.readJson<NodeDef>(nodeFile(id))) as NodeDef
}

/** Every run of a node, newest first (by start time, then attempt). */
export async function loadRuns(repo: MetaRepo, node: string): Promise<RunRecord[]> {
  const ids = await repo.listJson(`runs/${node}`)
  const runs = (await Promise.all(ids.map((id) => repo.readJson<RunRecord>(runFile(node, id))))).filter(
    (run): run is RunRecord => run !== undefined,
  )
  return runs.sort((a, b) => (a.startedAt === b.startedAt ? b.attempt - a.attempt : a.startedAt < b.startedAt ? 1 : -1))
}

/**
 * The node's run on these inputs when it is the only one and it succeeded, as most nodes have: found by its ID
 * (attempts on the same inputs are numbered from 1), without listing the node's runs. Undefined otherwise.
 */
export async function soleSuccess(repo: MetaRepo, node: NodeDef, inputs: Record<string, Version>): Promise<RunRecord | undefined> {
  const first = await repo.readJson<RunRecord>(runFile(node.id, runId(node.id, inputs)))
  if (first?.status !== 'success' || repo.exists(runFile(node.id, runId(node.id, inputs, 2)))) return undefined
  return first
}

/** The run a (prefix of an) ID names, among the runs of every node. */
export async function resolveRun(repo: MetaRepo, text: string): Promise<RunRecord> {
  // Runs stay in history after their node is removed: look in every folder of runs/, not only current nodes.
  const nodes = await repo.listDirs('runs')
  const owner = new Map<string, string>()
  for (const node of nodes) for (const run of await repo.listJson(`runs/${node}`)) owner.set(run, node)
  const id = expandId(text, owner.keys(), 'run', 'dkt node log NODE')
  return (await repo.readJson<RunRecord>(runFile(owner.get(id) as string, id))) as RunRecord
}

/** The definitions of a node's inputs, in its order: read once by a caller that needs them more than once. */
export function inputSources(repo: MetaRepo, node: NodeDef): Promise<SourceDef[]> {
  return Promise.all(node.inputs.map((name) => loadSource(repo, name)))
}

/** The inputs of a node that are TAG pattern sources (it runs once per ref of theirs, see fan-out.ts). */
export async function patternInputs(repo: MetaRepo, node: NodeDef, defs?: SourceDef[]): Promise<string[]> {
  return (defs ?? (await inputSources(repo, node))).filter(isPatternSource).map((def) => def.name)
}

/** The version each input would be read at now: its pin, else its last observed version. */
export async function currentInputs(
  repo: MetaRepo,
  node: NodeDef,
  defs?: SourceDef[],
): Promise<{versions: Record<string, Version>; missing: string[]}> {
  const versions: Record<string, Version> = {}
  const missing: string[] = []
  for (const def of defs ?? (await inputSources(repo, node))) {
    const name = def.name
    const version = def.pin ?? (await lastObserved(repo, name))
    if (version) versions[name] = version
    else missing.push(name)
  }
  return {versions, missing}
}

export async function requireInputs(repo: MetaRepo, node: NodeDef): Promise<Record<string, Version>> {
  const defs = await inputSources(repo, node)
  const {versions, missing} = await currentInputs(repo, node, defs)
  const patterns = await patternInputs(repo, node, defs)
  if (patterns.length > 0) {
    throw new InvalidArgumentError(`node ${node.id.slice(0, 8)} runs once per ref of ${patterns.map((p) => `\`${p}\``).join(', ')}: run it for each ref`)
  }
  if (missing.length > 0) {
    throw new InvalidArgumentError(`input ${missing.map((m) => `\`${m}\``).join(', ')} of node ${node.id.slice(0, 8)} has no version yet; run \`dkt source update\``)
  }
  return versions
}
