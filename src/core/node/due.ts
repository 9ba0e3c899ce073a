// Whether a node is due, and if not why not: the one rule that `dkt status` and the scheduler share. As in
// Concourse, a failed run is not retried automatically on the same inputs; a cancelled or interrupted one is.

import type {Version} from '../../base/version.js'
import {runId} from '../ids.js'
import type {MetaRepo} from '../meta-repo.js'
import type {NodeDef} from '../model/node.js'
import type {RunRecord} from '../model/run.js'
import type {SourceDef} from '../model/source.js'
import {liveClaims} from './claims.js'
import {INTERRUPTED, WORKER_LOST} from './recover.js'
import {nodeInputSets} from './fan-out.js'
import {currentInputs, inputSources, loadRuns, soleSuccess} from './store.js'
import {machineName} from '../../base/host.js'

/** Why a due node is due. */
export type DueReason =
  | {type: 'never-run'}
  | {type: 'input-changed'; input: string; before: Version | null; after: Version}
  /** Its inputs differ from the last run's in no way this rule can name (kept as a fallback). */
  | {type: 'inputs-changed'}
  /** The last run on these inputs did not end by itself: it is run again. */
  | {type: 'retry'; last: 'cancelled' | 'interrupted'}

export type DueState =
  | {state: 'waiting'; missing: string[]}
  | {state: 'up-to-date'; run: RunRecord}
  | {state: 'running'; run: RunRecord}
  /** A run on these inputs failed (or ended in error): left alone until `dkt node rerun`. */
  | {state: 'failed'; run: RunRecord}
  /** `ref` and `versions`: for a node fanned out over refs, the ref it is due for and that ref's input versions. */
  | {state: 'due'; key: string; reasons: DueReason[]; ref?: string; versions?: Record<string, Version>}

export interface DueFacts {
  node: NodeDef
  /** The version each input would be read at now (see currentInputs). */
  versions: Record<string, Version>
  /** Inputs without any version yet. */
  missing: string[]
  /** The node's runs, newest first. */
  runs: RunRecord[]
  /** The runs the reasons compare with, newest first (a fanned-out node: its ref's runs); default: `runs`. */
  previous?: RunRecord[]
  /** Runs being executed right now by a live process (live claims). */
  claimed: RunRecord[]
  /**
   * This machine's host name: a run recorded `running` here that no live process claims was cut short by a dead
   * process (a killed `dkt node run`), and counts as interrupted before any scheduler records it so.
   */
  host?: string
}

// A run whose remote worker was lost counts as interrupted: due again.
const interrupted = (run: RunRecord) => run.status === 'error' && (run.reason === INTERRUPTED || run.reason?.startsWith(WORKER_LOST) === true)

/** A run that settles its inputs: anything but one cancelled or cut short by a dead process. */
export function settles(run: RunRecord): boolean {
  return !(run.status === 'cancelled' || interrupted(run))
}

/** A run recorded `running` on `host` that no live process claims: its process died. */
function abandoned(run: RunRecord, claimed: RunRecord[], host: string | undefined): boolean {
  return run.status === 'running' && host !== undefined && run.machine?.hostname === host && !claimed.some((live) => live.id === run.id)
}

/** The rule. Pure. */
export function decideDue({node, versions, missing, runs, claimed, host, previous = runs}: DueFacts): DueState {
  if (missing.length > 0) return {state: 'waiting', missing}
  const key = runId(node.id, versions)
  const onCurrent = runs.filter((run) => run.key === key)
  const succeeded = onCurrent.find((run) => run.status === 'success')
  if (succeeded) return {state: 'up-to-date', run: succeeded}
  const cutShort = (run: RunRecord) => interrupted(run) || abandoned(run, claimed, host)
  const running = claimed.find((run) => run.node === node.id && run.key === key) ?? onCurrent.find((run) => run.status === 'running' && !cutShort(run))
  if (running) return {state: 'running', run: running}
  const failed = onCurrent.find((run) => settles(run) && !cutShort(run))
  if (failed) return {state: 'failed', run: failed}
  if (onCurrent.length > 0) return {state: 'due', key, reasons: [{type: 'retry', last: cutShort(onCurrent[0]) ? 'interrupted' : 'cancelled'}]}
  if (previous.length === 0) return {state: 'due', key, reasons: [{type: 'never-run'}]}
  return {state: 'due', key, reasons: inputChanges(versions, previous[0])}
}

function inputChanges(versions: Record<string, Version>, last: RunRecord): DueReason[] {
  const reasons: DueReason[] = Object.entries(versions)
    .filter(([name, version]) => last.inputs[name] !== version)
    .map(([input, after]) => ({type: 'input-changed', input, before: last.inputs[input] ?? null, after}))
  return reasons.length > 0 ? reasons : [{type: 'inputs-changed'}]
}

/** Runs being executed right now by any live process on this machine. */
export async function claimedRuns(repo: MetaRepo): Promise<RunRecord[]> {
  return [...(await liveClaims(repo.project)).values()].map((claim) => claim.run)
}

/** Where a node's runs are read from: the metadata files, or a reader that keeps them in memory (the web view). */
export type RunsReader = (node: string) => Promise<RunRecord[]>

/** Reads what the rule needs about one node and applies it. */
/** `known`: the node's input sources (store.ts inputSources), when the caller has read them already. */
export async function nodeDue(repo: MetaRepo, node: NodeDef, claimed: RunRecord[], runsOf?: RunsReader, known?: SourceDef[]): Promise<DueState> {
  const defs = known ?? (await inputSources(repo, node))
  const fanned = await nodeDueByRef(repo, node, claimed, runsOf, defs)
  if (fanned) return pickRefDue(fanned)
  const {versions, missing} = await currentInputs(repo, node, defs)
  // Most nodes are up to date: when the runs are read from the files, one file tells (what decideDue would say).
  const done = runsOf || missing.length > 0 ? undefined : await soleSuccess(repo, node, versions)
  if (done) return {state: 'up-to-date', run: done}
  const runs = await (runsOf ?? ((id: string) => loadRuns(repo, id)))(node.id)
  const facts = {node, versions, missing, runs, claimed, host: machineName()}
  if (!runs.some((run) => abandoned(run, claimed, facts.host))) return decideDue(facts)
  // The claims were read before the runs: read them again, so that a run that started meanwhile is not called
  // interrupted.
  return decideDue({...facts, claimed: await claimedRuns(repo)})
}

/** The rule for one ref of a node fanned out over the refs of its TAG pattern inputs. */
export interface RefDue {
  ref: string
  versions: Record<string, Version>
  due: DueState
}

/**
 * For a node with a TAG pattern input, the rule applied to each ref's input versions (memoization by input versions
 * across refs; reasons against that ref's last run); undefined for any other node. `waiting` when no ref is followed.
 */
export async function nodeDueByRef(
  repo: MetaRepo,
  node: NodeDef,
  claimed: RunRecord[],
  runsOf: RunsReader = (id) => loadRuns(repo, id),
  defs?: SourceDef[],
): Promise<RefDue[] | DueState | undefined> {
  const fanOut = await nodeInputSets(repo, node, defs)
  if (!fanOut) return undefined
  const {sets, missing} = fanOut
  if (missing.length > 0) return {state: 'waiting', missing}
  const runs = await runsOf(node.id)
  const host = machineName()
  // As in nodeDue: claims read before the runs are read again before a run is called interrupted.
  const live = runs.some((run) => abandoned(run, claimed, host)) ? await claimedRuns(repo) : claimed
  return sets.map(({ref, versions}) => {
    const previous = runs.filter((run) => run.ref === ref)
    return {ref: ref as string, versions, due: decideDue({node, versions, missing: [], runs, previous, claimed: live, host})}
  })
}

const PRECEDENCE: DueState['state'][] = ['due', 'running', 'failed', 'up-to-date', 'waiting']

/**
 * One state for a fanned-out node: the first ref due (with its ref and versions), else one running, failed, up to
 * date, in that order. Pure.
 */
export function pickRefDue(byRef: RefDue[] | DueState): DueState {
  if (!Array.isArray(byRef)) return byRef
  for (const state of PRECEDENCE) {
    const first = byRef.find((entry) => entry.due.state === state)
    if (first?.due.state === 'due') return {...first.due, ref: first.ref, versions: first.versions}
    if (first) return first.due
  }
  return {state: 'waiting', missing: []}
}
