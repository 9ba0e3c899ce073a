// Reading sources and their observed versions from the metadata repository, and the driver context for a source.
import * as path from 'node:path'

import type {DriverContext, KindDriver, SourceSpec} from '../../kinds/driver.js'
import {loadDriver} from '../../kinds/registry.js'
import {readConfig} from '../config.js'
import {NotFoundError} from '../../base/errors.js'
import type {MetaRepo} from '../meta-repo.js'
import {type Observation, type SourceDef, sourceFile, versionsFile} from '../model/source.js'
import type {NodeDef} from '../model/node.js'
import {sourceNameProblem} from '../names.js'
import {isPatternSource, type RefState, refStates} from './refs.js'
import {mergeStableObservations} from './observations.js'
import {readSecrets, type Secrets} from '../secrets.js'
import type {Version} from '../../base/version.js'

/** What tables and `--json` show of a source. */
export interface SourceView {
  name: string
  kind: string
  location: string
  tag: string | null
  path: string | null
  parent: string | null
  pinned: boolean
  paused: boolean
  /** The pinned version, or else the last observed one (null for a TAG pattern: each ref has its own). */
  latest: Version | null
  /** Only for a TAG pattern: every ref it follows, by name. */
  refs?: RefView[]
}

/** A followed ref of a TAG pattern source, as tables and `--json` show it. */
export interface RefView {
  /** Full ref name (`refs/heads/main`). */
  ref: string
  /** Its pinned version, or else its last observed one. */
  latest: Version
  pinned: boolean
}

/** What is known of each ref of a TAG pattern source (see refs.ts), gone ones included. */
export async function loadRefStates(repo: MetaRepo, def: SourceDef): Promise<RefState[]> {
  return refStates(def, await readObservations(repo, def.name))
}

/** A source as tables show it: its latest version, or for a TAG pattern each followed ref's. */
export async function viewOf(repo: MetaRepo, def: SourceDef): Promise<SourceView> {
  if (!isPatternSource(def)) return toView(def, await lastObserved(repo, def.name))
  return withRefs(def, await loadRefStates(repo, def))
}

/** The view of a TAG pattern source whose refs are `states`. */
export function withRefs(def: SourceDef, states: RefState[]): SourceView {
  const refs = states.filter((state) => !state.gone).map((state) => ({ref: state.ref, latest: state.current, pinned: state.pinned}))
  return {...toView(def, undefined), latest: null, refs}
}

export async function findSource(repo: MetaRepo, name: string): Promise<SourceDef | undefined> {
  // A text that cannot be a name (`./data`, `../x`) names no source, and must never become a file path.
  if (sourceNameProblem(name) !== undefined) return undefined
  return repo.readJson<SourceDef>(sourceFile(name))
}

export async function loadSource(repo: MetaRepo, name: string): Promise<SourceDef> {
  const def = await findSource(repo, name)
  if (!def) throw new NotFoundError(`source \`${name}\` does not exist; see \`dkt source list\``, {source: name})
  return def
}

export async function loadAllSources(repo: MetaRepo): Promise<SourceDef[]> {
  const names = await repo.listJson('sources')
  const defs = await Promise.all(names.map((name) => repo.readJson<SourceDef>(sourceFile(name))))
  return defs.filter((def): def is SourceDef => def !== undefined)
}

/** Observations oldest → newest by time, one per version (see mergeStableObservations): never the raw line order. */
export async function readObservations(repo: MetaRepo, name: string): Promise<Observation[]> {
  return mergeStableObservations(await repo.readJsonLines<Observation>(versionsFile(name)))
}

/** The latest version of a one-ref source: its newest observation by time, not the file's last line. */
export async function lastObserved(repo: MetaRepo, name: string): Promise<Version | undefined> {
  return (await readObservations(repo, name)).at(-1)?.version
}

export function toView(def: SourceDef, observed: Version | undefined): SourceView {
  return {
    name: def.name,
    kind: def.kind,
    location: def.location,
    tag: def.tag ?? null,
    path: def.path ?? null,
    parent: def.parent ?? null,
    pinned: def.pin !== undefined,
    paused: def.paused === true,
    latest: def.pin ?? observed ?? null,
  }
}

export function toSpec(def: SourceDef): SourceSpec {
  return {name: def.name, kind: def.kind, location: def.location, tag: def.tag, path: def.path}
}

let transferProgress: DriverContext['onProgress']

/** Where drivers report the progress of long transfers (the CLI draws it on a terminal); undefined: nowhere. */
export function setTransferProgressListener(listener: DriverContext['onProgress']): void {
  transferProgress = listener
}

function contextOf(repo: MetaRepo, kind: string, secrets: Secrets, settings: Record<string, string>, signal?: AbortSignal): DriverContext {
  return {cacheDir: path.join(repo.project.cacheDir, kind), baseDir: repo.project.root, secrets, settings, signal, onProgress: transferProgress}
}

export async function driverContext(repo: MetaRepo, kind: string, signal?: AbortSignal): Promise<DriverContext> {
  const [secrets, settings] = await Promise.all([readSecrets(repo.project), readConfig(repo.project)])
  return contextOf(repo, kind, secrets, settings, signal)
}

export async function driverFor(repo: MetaRepo, kind: string): Promise<{driver: KindDriver; ctx: DriverContext}> {
  const [driver, ctx] = await Promise.all([loadDriver(kind), driverContext(repo, kind)])
  return {driver, ctx}
}

export interface DriverCache {
  /** The secrets and private settings, read once. */
  settings(): Promise<{secrets: Secrets; config: Record<string, string>}>
  /** The driver of a kind (imported once) and a context with those settings. */
  driverFor(kind: string): Promise<{driver: KindDriver; ctx: DriverContext}>
}

/**
 * Drivers and their contexts for one operation (a run, a round of source checks): the secrets (five files) and
 * settings are read once for all the sources it touches instead of once per source, which cost more than the
 * rest of a trivial run; and they cannot change halfway through the operation. Not for longer than that.
 * `signal` (Ctrl-C) reaches every driver call made through it.
 */
export function driverCache(repo: MetaRepo, options: {signal?: AbortSignal} = {}): DriverCache {
  let settings: Promise<{secrets: Secrets; config: Record<string, string>}> | undefined
  const drivers = new Map<string, Promise<KindDriver>>()
  const cache: DriverCache = {
    settings: () =>
      (settings ??= Promise.all([readSecrets(repo.project), readConfig(repo.project)]).then(([secrets, config]) => ({secrets, config}))),
    async driverFor(kind) {
      if (!drivers.has(kind)) drivers.set(kind, loadDriver(kind))
      const [driver, {secrets, config}] = await Promise.all([drivers.get(kind) as Promise<KindDriver>, cache.settings()])
      // Copies: a driver that changed its context must not change it for the next source.
      return {driver, ctx: contextOf(repo, kind, {...secrets}, {...config}, options.signal)}
    },
  }
  return cache
}

/** What a driver tells about a version worth keeping with its observation (see KindDriver.describe), if anything. */
export async function describeVersion(
  driver: KindDriver,
  source: SourceSpec,
  version: Version,
  ctx: DriverContext,
): Promise<Record<string, string> | undefined> {
  const info = driver.describe ? await driver.describe(source, version, ctx) : {}
  return Object.keys(info).length > 0 ? info : undefined
}

/** Every version of a source, newest first: its own history (git) or dkt's observations, de-duplicated. */
export async function sourceVersions(
  repo: MetaRepo,
  def: SourceDef,
): Promise<{version: Version; observed?: string; info?: Record<string, string>}[]> {
  const observations = await readObservations(repo, def.name)
  const {driver, ctx} = await driverFor(repo, def.kind)
  if (isPatternSource(def) && driver.log) {
    // Every followed ref's history: a version of the source is a commit on one of its refs.
    const seen = new Map(observations.map((o) => [o.version, o.observed]))
    const histories = await Promise.all(refStates(def, observations).filter((state) => !state.gone).map((state) => driver.log?.(toSpec(def), state.version, ctx) ?? []))
    return [...new Set(histories.flat())].map((version) => ({version, observed: seen.get(version)}))
  }
  if (driver.history === 'own' && driver.log) {
    const latest = observations.at(-1)?.version
    if (!latest) return []
    const seen = new Map(observations.map((o) => [o.version, o.observed]))
    return (await driver.log(toSpec(def), latest, ctx)).map((version) => ({version, observed: seen.get(version)}))
  }
  const newestFirst = new Map<Version, Observation>()
  for (const o of [...observations].reverse()) if (!newestFirst.has(o.version)) newestFirst.set(o.version, o)
  return [...newestFirst.values()].map(({version, observed, info}) => ({version, observed, info}))
}

/** Nodes that read or write a source, and sources derived from it: what `source rm` must not break. */
export async function sourceUsers(repo: MetaRepo, name: string): Promise<{nodes: string[]; derived: string[]}> {
  const nodeIds = await repo.listJson('nodes')
  const nodes: string[] = []
  for (const id of nodeIds) {
    const node = await repo.readJson<NodeDef>(`nodes/${id}.json`)
    if (node && (node.inputs.includes(name) || node.outputs.includes(name))) nodes.push(id)
  }
  const derived = (await loadAllSources(repo)).filter((def) => def.parent === name).map((def) => def.name)
  return {nodes, derived}
}

/**
 * Expands a version prefix (`3dd2cc1d`, `sha1:3dd2…`) among the versions of a source: those `source log` shows.
 * A kind that lists more than dkt observed (hockeyapp builds) is asked only when no observed version matches.
 */
export async function resolveSourceVersion(repo: MetaRepo, def: SourceDef, text: string): Promise<Version> {
  const {expandVersion} = await import('../prefix.js')
  const known = (await sourceVersions(repo, def)).map((v) => v.version)
  try {
    return expandVersion(text, known, def.name)
  } catch (error) {
    if (!(error instanceof NotFoundError) || known.length === 0) throw error
    const {driver, ctx} = await driverFor(repo, def.kind)
    if (driver.history !== 'observed' || !driver.log) throw error
    return expandVersion(text, await driver.log(toSpec(def), known[0], ctx), def.name)
  }
}
