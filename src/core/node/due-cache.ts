// Every node's due state, kept in `.dkt/cache/status.json` as git's index keeps file stats: each node's state with
// the stamps of the metadata files and folders it was read from (MetaRepo.traceReads) and the live claims it saw. A
// node is read again only when one of those changed, so a `dkt status` with nothing changed stats files instead of
// reading and parsing them. Whoever changed a file (dkt, git, an editor) changed its stamp: no writer has to tell.
import {readFileSync, statSync} from 'node:fs'
import * as path from 'node:path'

import {writeFileAtomic} from '../../base/atomic-write.js'
import {machineName} from '../../base/host.js'
import {RACY_MS, stampSettled} from '../../base/file-stamp.js'
import type {MetaRepo} from '../meta-repo.js'
import {type NodeDef, nodeFile} from '../model/node.js'
import type {RunRecord} from '../model/run.js'
import {claimedRuns, type DueState, nodeDue, nodeDueByRef, pickRefDue, type RefDue, type RunsReader} from './due.js'
import {inputSources} from './store.js'

/** What a due state tells of the run a node is up to date with: its identity (the rest is in its run file). */
export type RunSummary = Pick<RunRecord, 'id' | 'status' | 'attempt'>

/** A due state as the cache keeps it: the run of an up-to-date node by its identity only (most nodes are). */
export type CachedDueState = Exclude<DueState, {state: 'up-to-date'}> | {state: 'up-to-date'; run: RunSummary}

/** One node and whether it is due. */
export interface NodeDue {
  node: NodeDef
  due: CachedDueState
  /** Only for a node fanned out over the refs of a TAG pattern input: each ref's state (see nodeDueByRef). */
  byRef?: (Omit<RefDue, 'due'> & {due: CachedDueState})[] | CachedDueState
}

/** Bump when the due rule, or what it reads, changes: a cache written by another rule is then ignored. */
const FORMAT = 4
const CACHE_FILE = 'status.json'
const RACY = 'racy'
/** In place of an inode in CacheIndex.stamps: a path that did not exist, or a racy stamp. */
const ABSENT_INODE = -1
const RACY_INODE = -2
/**
 * Rewriting the cache costs about as much as reading this many metadata files: nodes read again from fewer (one leaf
 * changed, claims that come and go while a scheduler runs) are read again next time instead.
 */
const REWRITE_AFTER_READS = 256

interface CachedNode extends NodeDue {
  /** Indexes into CacheIndex.paths (its lines) of what the state was read from. */
  deps: number[]
}

/**
 * The cache file's first line: what the states depend on. Its second line, the states (NodeDue[], the runs of
 * up-to-date nodes summarized), is parsed only once the stamps are checked: the garbage of thousands of stats is then
 * collected before the states are allocated, rather than with them still young.
 */
interface CacheIndex {
  format: number
  /** This machine's name: a run recorded `running` here that no live process claims counts as interrupted. */
  host: string
  /**
   * `.dkt/`-relative paths, one a line (no metadata path has a line break: see names.ts), and for each its stamp
   * (statStamp) as three numbers: inode, size, change time. One string and one array of numbers, not thousands of
   * strings: young objects that every garbage collection while the stamps are checked would copy.
   */
  paths: string
  /** Compared with a file's stats without making a string of each; ABSENT_INODE or RACY_INODE in place of the inode. */
  stamps: number[]
  /** The node IDs (the nodes folder listed) and what that listing depends on. */
  ids: string[]
  idDeps: number[]
  /** The live claims the states were read with: run ID → node ID. */
  claims: Record<string, string>
  /** The cached nodes, in the order of the second line, and the lines of `paths` each was read from. */
  nodeIds: string[]
  deps: number[][]
}

interface Cache {
  index: CacheIndex
  /** The second line; undefined if it is garbled. */
  states: () => NodeDue[] | undefined
}

/** One node's due state, read from the metadata (no cache): as `dkt status` and the scheduler decide it. */
export async function readNodeDue(repo: MetaRepo, node: NodeDef, claimed: RunRecord[], runsOf?: RunsReader): Promise<NodeDue> {
  const defs = await inputSources(repo, node)
  const byRef = await nodeDueByRef(repo, node, claimed, runsOf, defs)
  const due = byRef ? pickRefDue(byRef) : await nodeDue(repo, node, claimed, runsOf, defs)
  return {node, due, ...(byRef ? {byRef} : {})}
}

const cacheFile = (repo: MetaRepo) => path.join(repo.project.cacheDir, CACHE_FILE)

function readCache(repo: MetaRepo): Cache | undefined {
  try {
    const text = readFileSync(cacheFile(repo), 'utf8')
    const end = text.indexOf('\n')
    const index = JSON.parse(end === -1 ? text : text.slice(0, end)) as CacheIndex
    if (index.format !== FORMAT || index.host !== machineName() || typeof index.paths !== 'string') return undefined
    return {index, states: () => parsedOrUndefined<NodeDue[]>(text.slice(end + 1))}
  } catch {
    // Missing, or garbled: it is only a cache.
    return undefined
  }
}

function parsedOrUndefined<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T
  } catch {
    return undefined
  }
}

/** statStamp as CacheIndex.stamps keeps it (RACY included). */
function stampNumbers(stamp: string): number[] {
  if (stamp === RACY) return [RACY_INODE, 0, 0]
  if (stamp === 'absent') return [ABSENT_INODE, 0, 0]
  return stamp.split(':').map(Number)
}

/** The stamp (as statStamp writes it, or RACY) of the `index`-th path. */
function stampText(stamps: number[], index: number): string {
  const inode = stamps[3 * index]
  if (inode === RACY_INODE) return RACY
  return inode === ABSENT_INODE ? 'absent' : `${inode}:${stamps[3 * index + 1]}:${stamps[3 * index + 2]}`
}

/** Whether a file's stamp (see statStamp) is still the `index`-th of `stamps`; a racy one never is. */
function stampHolds(file: string, stamps: number[], index: number): boolean {
  const inode = stamps[3 * index]
  if (inode === RACY_INODE) return false
  const stats = statSync(file, {throwIfNoEntry: false})
  if (!stats) return inode === ABSENT_INODE
  return stats.ino === inode && stats.size === stamps[3 * index + 1] && stats.ctimeMs === stamps[3 * index + 2]
}

/** Where each line of `text` starts, and where one more would. */
function lineStarts(text: string): Int32Array {
  const starts = [0]
  for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', end + 1)) starts.push(end + 1)
  starts.push(text.length + 1)
  return Int32Array.from(starts)
}

/** Which of the cache's stamps still hold, each path stated once. */
function stillValid(repo: MetaRepo, index: CacheIndex): (deps: number[]) => boolean {
  const UNKNOWN = 0
  const HOLDS = 1
  const starts = lineStarts(index.paths)
  const known = new Uint8Array(starts.length - 1)
  const holds = (dep: number) => {
    // Joined by hand: path.join would normalize thousands of clean paths.
    const file = `${repo.dir}${path.sep}${index.paths.slice(starts[dep], starts[dep + 1] - 1)}`
    if (known[dep] === UNKNOWN) known[dep] = stampHolds(file, index.stamps, dep) ? HOLDS : 2
    return known[dep] === HOLDS
  }
  return (deps) => deps.every(holds)
}

/** The nodes whose claims differ between two sets of live claims. */
function claimsChanged(before: Record<string, string>, now: Record<string, string>): Set<string> {
  const nodes = new Set<string>()
  for (const [run, node] of Object.entries(before)) if (now[run] !== node) nodes.add(node)
  for (const [run, node] of Object.entries(now)) if (before[run] !== node) nodes.add(node)
  return nodes
}

/** Builds the table of paths and stamps: a path seen with two stamps (it changed meanwhile) is racy. */
class StampTable {
  readonly paths: string[] = []
  readonly stamps: string[] = []
  private readonly index = new Map<string, number>()

  /** `settledBefore`: a file changed since then is racy. */
  constructor(private readonly settledBefore: number) {}

  add(reads: Map<string, string>): number[] {
    return [...reads].map(([rel, stamp]) => {
      const known = this.index.get(rel)
      const settled = this.racy(stamp) ? RACY : stamp
      if (known === undefined) {
        this.index.set(rel, this.paths.length)
        this.paths.push(rel)
        this.stamps.push(settled)
        return this.paths.length - 1
      }
      if (this.stamps[known] !== settled) this.stamps[known] = RACY
      return known
    })
  }

  private racy(stamp: string): boolean {
    return !stampSettled(stamp, this.settledBefore)
  }
}

/**
 * Whether a node read again only because the cache had a racy stamp of it is settled now: the cache is then written
 * again, else a node last written just before a cache was (the end of a scheduler's run) would be read at every status.
 */
function settledNow(index: CacheIndex | undefined, slot: number | undefined, read: FreshRead, settledBefore: number): boolean {
  if (!index || slot === undefined || read.warned || !index.deps[slot].some((dep) => index.stamps[3 * dep] === RACY_INODE)) return false
  return [...read.reads.values()].every((stamp) => stampSettled(stamp, settledBefore))
}

function summarized(due: CachedDueState): CachedDueState {
  if (due.state !== 'up-to-date') return due
  const {id, status, attempt} = due.run
  return {state: 'up-to-date', run: {id, status, attempt}}
}

/** What the cache keeps of a node's state (see CachedDueState). */
function cachedEntry({node, due, byRef}: NodeDue, deps: number[]): CachedNode {
  const refs = Array.isArray(byRef) ? byRef.map((entry) => ({...entry, due: summarized(entry.due)})) : byRef && summarized(byRef)
  return {node, due: summarized(due), ...(refs ? {byRef: refs} : {}), deps}
}

function depsOf(index: CacheIndex, paths: string[], deps: number[]): Map<string, string> {
  return new Map(deps.map((dep) => [paths[dep], stampText(index.stamps, dep)]))
}

/** A node read again: its state, what it was read from, and whether a warning was given (it is not cached then). */
interface FreshRead {
  due: NodeDue
  reads: Map<string, string>
  warned: boolean
}

/**
 * Every node (sorted by ID) and whether it is due, from the cache where what it depends on is unchanged, read and
 * cached again otherwise; and the live claims they were decided with. `racyMs` (tests): see RACY_MS. Errors (a
 * broken file) are thrown as reading would throw them, and nothing read with a warning (a torn line) is cached, so
 * that the warning is given every time.
 */
export async function dueStates(repo: MetaRepo, options: {racyMs?: number} = {}): Promise<{nodes: NodeDue[]; claimed: RunRecord[]}> {
  const claimed = await claimedRuns(repo)
  const claims = Object.fromEntries(claimed.map((run) => [run.id, run.node]))
  const cache = readCache(repo)
  const index = cache?.index
  const valid = index ? stillValid(repo, index) : () => false
  const listed = index && valid(index.idDeps) ? undefined : await repo.traceReads(() => repo.listJson('nodes'))
  const ids = listed?.result ?? (index as CacheIndex).ids
  const slots = new Map((index?.nodeIds ?? []).map((id, slot) => [id, slot]))
  const reclaimed = claimsChanged(index?.claims ?? {}, claims)
  const unchanged: number[] = []
  const stale: string[] = []
  for (const id of ids) {
    const slot = slots.get(id)
    if (slot !== undefined && !reclaimed.has(id) && valid((index as CacheIndex).deps[slot])) unchanged.push(slot)
    else stale.push(id)
  }
  const kept = keptStates(cache, unchanged, stale)
  const fresh = new Map<string, FreshRead>()
  for (const id of stale) {
    const read = await readTraced(repo, id, claimed)
    if (read) fresh.set(id, read)
  }
  const nodes = [...kept, ...[...fresh.values()].map((read) => read.due)].sort((a, b) => (a.node.id < b.node.id ? -1 : 1))
  const settledBefore = Date.now() - (options.racyMs ?? RACY_MS)
  const reads = [...fresh.values()].reduce((sum, read) => sum + read.reads.size, 0)
  if (listed || reads > REWRITE_AFTER_READS || [...fresh].some(([id, read]) => settledNow(index, slots.get(id), read, settledBefore))) {
    await writeCache(repo, {index, listed: listed?.reads, ids, claims, kept, fresh, settledBefore})
  }
  return {nodes: nodes.map(({node, due, byRef}) => ({node, due, ...(byRef ? {byRef} : {})})), claimed}
}

/** The cached states of the nodes in these slots; those the cache cannot give (garbled) join `stale`. */
function keptStates(cache: Cache | undefined, unchanged: number[], stale: string[]): CachedNode[] {
  if (!cache || unchanged.length === 0) return []
  const {index} = cache
  const states = cache.states()
  const kept: CachedNode[] = []
  for (const slot of unchanged) {
    const state = states?.[slot]
    if (state?.node.id === index.nodeIds[slot]) kept.push({...state, deps: index.deps[slot]})
    else stale.push(index.nodeIds[slot])
  }
  return kept
}

async function readTraced(repo: MetaRepo, id: string, claimed: RunRecord[]): Promise<FreshRead | undefined> {
  const warn = repo.onWarning
  let warned = false
  repo.onWarning = (message) => {
    warned = true
    warn(message)
  }
  try {
    const {result, reads} = await repo.traceReads(async () => {
      const node = await repo.readJson<NodeDef>(nodeFile(id))
      // Removed since the folder was listed.
      return node && readNodeDue(repo, node, claimed)
    })
    return result && {due: result, reads, warned}
  } finally {
    repo.onWarning = warn
  }
}

async function writeCache(
  repo: MetaRepo,
  parts: {
    index: CacheIndex | undefined
    listed: Map<string, string> | undefined
    ids: string[]
    claims: Record<string, string>
    kept: CachedNode[]
    fresh: Map<string, FreshRead>
    settledBefore: number
  },
): Promise<void> {
  const table = new StampTable(parts.settledBefore)
  const index = parts.index as CacheIndex
  const paths = index?.paths.split('\n') ?? []
  const idDeps = table.add(parts.listed ?? depsOf(index, paths, index.idDeps))
  const nodes: CachedNode[] = parts.kept.map((entry) => ({...entry, deps: table.add(depsOf(index, paths, entry.deps))}))
  for (const {due, reads, warned} of parts.fresh.values()) if (!warned) nodes.push(cachedEntry(due, table.add(reads)))
  const head: CacheIndex = {
    format: FORMAT,
    host: machineName(),
    paths: table.paths.join('\n'),
    stamps: table.stamps.flatMap(stampNumbers),
    ids: parts.ids,
    idDeps,
    claims: parts.claims,
    nodeIds: nodes.map((entry) => entry.node.id),
    deps: nodes.map((entry) => entry.deps),
  }
  // A path with a line break (a file made by hand: no name dkt accepts has one) cannot be kept one a line.
  if (table.paths.some((rel) => rel.includes('\n'))) return
  const states: NodeDue[] = nodes.map(({node, due, byRef}) => ({node, due, ...(byRef ? {byRef} : {})}))
  // Only a cache: one that cannot be written (a read-only project, a full disk) is read again next time.
  await writeFileAtomic(cacheFile(repo), `${JSON.stringify(head)}\n${JSON.stringify(states)}`).catch(() => {})
}
