// The sources and nodes a pipeline file describes, in the form the project stores them: locations resolved by
// their kind's driver, nodes planned (IDs, scripts, checks) by the same code as `dkt node run`.
import {existsSync, statSync} from 'node:fs'
import * as path from 'node:path'

import {CycleError, DktError} from '../../base/errors.js'
import type {Version} from '../../base/version.js'
import {inferKind} from '../../kinds/infer.js'
import {assertKind} from '../../kinds/registry.js'
import type {MetaRepo} from '../meta-repo.js'
import type {NodeDef} from '../model/node.js'
import {SOURCE_FORMAT, type SourceDef} from '../model/source.js'
import {planNode} from '../node/define.js'
import {expandVersion, parseVersionPrefix} from '../prefix.js'
import {describeVersion, type DriverCache, resolveSourceVersion, toSpec} from '../source/store.js'
import {joinSubPath} from '../sub-path.js'
import type {FieldPath, FileNode, FileSource, PipelineFile} from './file.js'
import {NEW_TEMPORARY_FOLDER, type PipelineState} from './plan.js'

export interface Observed {
  version: Version
  info?: Record<string, string>
}

export interface DesiredState extends PipelineState {
  /** The current version of each source that is new or points somewhere else (checked while planning). */
  observed: Map<string, Observed>
}

interface Context {
  repo: MetaRepo
  file: PipelineFile
  drivers: DriverCache
  current: Map<string, SourceDef>
}

/** Runs `body`; a dkt error it throws is reported at `field` of the file (keeping its exit code). */
async function at<T>(ctx: Context, field: FieldPath, body: () => Promise<T> | T): Promise<T> {
  try {
    return await body()
  } catch (error) {
    if (!(error instanceof DktError) || error.name === 'PipelineFileError') throw error
    throw ctx.file.error(field, error.message, error)
  }
}

const samePin = (pin: Version, text: string) => {
  const {algorithm, hex} = parseVersionPrefix(text)
  return (algorithm === undefined || pin.startsWith(`${algorithm}:`)) && pin.slice(pin.indexOf(':') + 1).startsWith(hex)
}

/** Kind, location and tag of a source that does not derive from another: as stored, or resolved by its driver. */
async function placeOf(ctx: Context, name: string, source: FileSource): Promise<Pick<SourceDef, 'kind' | 'location' | 'tag' | 'host'>> {
  const field = ['sources', name]
  const old = ctx.current.get(name)
  const root = ctx.repo.project.root
  if (source.location === undefined) {
    const kind = source.kind ?? 'path'
    if (kind !== 'path') throw ctx.file.error(field, `missing field \`location\` (only a path source may leave it out: a new temporary folder)`)
    if (source.tag !== undefined) throw ctx.file.error([...field, 'tag'], 'path sources have no tags')
    const kept = old && old.kind === 'path' && !old.parent ? old : undefined
    return {kind, location: kept ? kept.location : NEW_TEMPORARY_FOLDER, host: kept?.host}
  }
  const location = source.location
  const kind = await at(ctx, [...field, source.kind ? 'kind' : 'location'], () => {
    const inferred = source.kind ?? inferKind(location, {existsLocally: (loc) => existsSync(path.resolve(root, loc))})
    assertKind(inferred)
    return inferred
  })
  // Written as stored (what `dkt export` writes): no need to ask the driver, or a remote, again.
  if (old && !old.parent && old.kind === kind && old.location === location && (source.tag === undefined || source.tag === old.tag)) {
    return {kind, location, tag: old.tag, host: old.host}
  }
  return at(ctx, [...field, 'location'], async () => {
    const {driver, ctx: driverCtx} = await ctx.drivers.driverFor(kind)
    const resolved = await driver.resolve({location, tag: source.tag, cwd: root}, driverCtx)
    return {kind: resolved.kind, location: resolved.location, tag: resolved.tag, host: resolved.host}
  })
}

/** The stored definition of every source of the file, parents before the sources derived from them. */
async function desiredSources(ctx: Context): Promise<Map<string, SourceDef>> {
  const sources = ctx.file.data.sources ?? {}
  const done = new Map<string, SourceDef>()
  const visiting: string[] = []
  const define = async (name: string): Promise<SourceDef> => {
    const known = done.get(name)
    if (known) return known
    const source = sources[name]
    const field = ['sources', name]
    if (visiting.includes(name)) {
      throw ctx.file.error([...field, 'from'], `\`${name}\` derives from itself (${[...visiting.slice(visiting.indexOf(name)), name].join(' → ')})`)
    }
    visiting.push(name)
    let def: SourceDef
    if (source.from !== undefined) {
      if (!sources[source.from]) throw ctx.file.error([...field, 'from'], `\`${source.from}\` is not a source of this file`)
      const parent = await define(source.from)
      if (parent.location === NEW_TEMPORARY_FOLDER) throw ctx.file.error([...field, 'from'], `\`${source.from}\` has no location yet; give it one to derive from it`)
      const kind = source.kind ?? parent.kind
      await at(ctx, [...field, 'kind'], () => assertKind(kind))
      const subPath = await at(ctx, [...field, 'path'], () => joinSubPath(parent.path, source.path))
      def = {format: SOURCE_FORMAT, name, kind, location: parent.location, tag: source.tag ?? parent.tag, path: subPath, parent: parent.name, host: parent.host}
    } else {
      const place = await placeOf(ctx, name, source)
      const subPath = await at(ctx, [...field, 'path'], () => joinSubPath(undefined, source.path))
      def = {format: SOURCE_FORMAT, name, ...place, path: subPath}
    }
    if (source.paused) def.paused = true
    // The file names the machine: a folder of another one (`dkt export` there, `apply` here).
    if (source.host !== undefined) def.host = source.host
    if (def.host === undefined) delete def.host
    visiting.pop()
    done.set(name, def)
    return def
  }
  for (const name of Object.keys(sources)) await define(name)
  return done
}

const sameSpec = (a: SourceDef, b: SourceDef) => a.kind === b.kind && a.location === b.location && a.tag === b.tag && a.path === b.path

/** Checks each new or moved source for its current version, and expands the pins of the file. */
async function observeAndPin(ctx: Context, defs: Map<string, SourceDef>): Promise<Map<string, Observed>> {
  const observed = new Map<string, Observed>()
  for (const def of defs.values()) {
    const field = ['sources', def.name]
    const old = ctx.current.get(def.name)
    const moved = !old || !sameSpec(old, def)
    const pin = ctx.file.data.sources?.[def.name]?.pin
    // The pins of a TAG pattern's refs (`source pin NAME --ref R`) are not in the file: they stay while the source does.
    if (old?.pins && !moved) def.pins = old.pins
    if (moved && def.location !== NEW_TEMPORARY_FOLDER) {
      const {driver, ctx: driverCtx} = await ctx.drivers.driverFor(def.kind)
      const [version] = await at(ctx, field, () => driver.check(toSpec(def), undefined, driverCtx))
      observed.set(def.name, {version, info: await describeVersion(driver, toSpec(def), version, driverCtx)})
      if (pin !== undefined) {
        const history = driver.log ? await at(ctx, [...field, 'pin'], () => driver.log?.(toSpec(def), version, driverCtx) ?? []) : []
        def.pin = await at(ctx, [...field, 'pin'], () => expandVersion(pin, [version, ...history], def.name))
      }
    } else if (pin !== undefined && old) {
      def.pin = old.pin && samePin(old.pin, pin) ? old.pin : await at(ctx, [...field, 'pin'], () => resolveSourceVersion(ctx.repo, old, pin))
    } else if (pin !== undefined) {
      throw ctx.file.error([...field, 'pin'], 'a new temporary folder has no versions to pin yet')
    }
  }
  return observed
}

function assertSourcesOfFile(ctx: Context, name: string, node: FileNode): void {
  const sources = ctx.file.data.sources ?? {}
  for (const list of ['inputs', 'outputs'] as const) {
    for (const [index, source] of (node[list] ?? []).entries()) {
      if (!sources[source]) throw ctx.file.error(['nodes', name, list, index], `\`${source}\` is not a source of this file`)
    }
  }
  if (node.script !== undefined) {
    const file = path.resolve(ctx.repo.project.root, node.script)
    const rel = path.relative(ctx.repo.project.root, file)
    if (rel.startsWith('..') || path.isAbsolute(rel) || !existsSync(file) || !statSync(file).isFile()) {
      throw ctx.file.error(['nodes', name, 'script'], `\`${node.script}\` is not a file of the project (scripts are relative to its root)`)
    }
  }
}

/** The field of a node that a message of planNode is about. */
function nodeFieldOf(error: unknown, node: FileNode): string | undefined {
  const message = error instanceof Error ? error.message : ''
  if (error instanceof CycleError || message.includes('which a run cannot write')) return 'outputs'
  if (message.includes('--network')) return 'network'
  if (message.includes('--image')) return 'image'
  if (message.includes('--on-success')) return 'on-success'
  if (message.includes('--on-failure')) return 'on-failure'
  if (message.includes('(in script') || message.includes('(in the command')) return node.script ? 'script' : 'command'
  return undefined
}

async function desiredNodes(ctx: Context, sources: Map<string, SourceDef>): Promise<NodeDef[]> {
  const planned: NodeDef[] = []
  const world = {findSource: async (name: string) => sources.get(name), nodes: async () => planned}
  for (const [name, node] of Object.entries(ctx.file.data.nodes ?? {})) {
    assertSourcesOfFile(ctx, name, node)
    const options = {
      command: node.script !== undefined ? [node.script, ...(node.args ?? [])] : (node.command ?? []),
      labels: node.labels ?? [],
      inputs: node.inputs ?? [],
      outputs: node.outputs ?? [],
      image: node.image,
      network: node.network,
      onSuccess: node['on-success'],
      onFailure: node['on-failure'],
      cwd: ctx.repo.project.root,
    }
    let def: NodeDef
    try {
      def = {...(await planNode(ctx.repo, options, world)), name}
    } catch (error) {
      if (!(error instanceof DktError)) throw error
      const field = nodeFieldOf(error, node)
      throw ctx.file.error(['nodes', name, ...(field ? [field] : [])], error.message, error)
    }
    const twin = planned.find((other) => other.id === def.id)
    if (twin) throw ctx.file.error(['nodes', name], `node \`${name}\` has the same definition (and ID) as node \`${twin.name}\`; keep one`)
    planned.push(def)
  }
  return planned
}

/** Everything the file describes, as the project would store it; throws at the first problem, naming its line. */
export async function desiredState(repo: MetaRepo, file: PipelineFile, current: PipelineState, drivers: DriverCache): Promise<DesiredState> {
  const ctx: Context = {repo, file, drivers, current: new Map(current.sources.map((def) => [def.name, def]))}
  const sources = await desiredSources(ctx)
  const nodes = await desiredNodes(ctx, sources)
  const observed = await observeAndPin(ctx, sources)
  return {sources: [...sources.values()], nodes, observed}
}
