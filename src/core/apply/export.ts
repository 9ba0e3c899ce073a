// `dkt export`: the project's sources and nodes as a pipeline file, which `dkt apply` turns back into the same
// sources and the same node IDs.
import * as path from 'node:path'

import {machineName} from '../../base/host.js'
import type {MetaRepo} from '../meta-repo.js'
import type {NodeDef} from '../model/node.js'
import type {SourceDef} from '../model/source.js'
import {loadAllNodes} from '../node/store.js'
import {loadAllSources} from '../source/store.js'
import {type FileNode, type FileSource, nodeNameProblem, type PipelineData} from './file.js'

/** The sub-path of `child` under its parent's, when it derives from it as `-p` would have made it. */
function relativeSubPath(parent: SourceDef, child: SourceDef): string | undefined | false {
  if (child.path === parent.path) return undefined
  const base = parent.path ?? ''
  if (child.path === undefined || !child.path.startsWith(`${base}/`)) return false
  return child.path.slice(base.length + 1)
}

function exportSource(def: SourceDef, parent: SourceDef | undefined): FileSource {
  const state = {pin: def.pin, paused: def.paused || undefined}
  const subPath = parent ? relativeSubPath(parent, def) : false
  // A source whose parent was re-pointed without it is written whole: `from` could not give its location.
  if (parent && subPath !== false && parent.location === def.location) {
    return {
      from: parent.name,
      kind: def.kind === parent.kind ? undefined : def.kind,
      tag: def.tag === parent.tag ? undefined : def.tag,
      path: subPath,
      ...state,
      host: def.host === parent.host ? undefined : def.host,
    }
  }
  // A source of this machine is written without it: `apply` of the file gives a new path source the machine it runs on.
  return {kind: def.kind, location: def.location, tag: def.tag, path: def.path, ...state, host: def.host === machineName() ? undefined : def.host}
}

function exportNode(node: NodeDef, sources: Set<string>): FileNode {
  // An image that is a source is among the inputs already (`node run` adds it): listing it once is enough.
  const inputs = node.inputs.filter((input) => !(input === node.image && sources.has(input)))
  const list = (values: string[]) => (values.length > 0 ? values : undefined)
  return {
    ...(node.script ? {script: node.script.path, args: list(node.command.slice(1))} : {command: node.command}),
    inputs: list(inputs),
    outputs: list(node.outputs),
    labels: list(node.labels),
    image: node.image,
    network: node.network,
    'on-success': node.onSuccess,
    'on-failure': node.onFailure,
  }
}

/** A readable name for a node made by `dkt node run` (which has none): its script's or program's base name. */
function derivedName(node: NodeDef, taken: Set<string>): string {
  const program = node.script?.path ?? node.command[0]
  const base = path.posix.basename(program).replace(/\.[A-Za-z0-9]+$/, '').replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '')
  const name = base && nodeNameProblem(base) === undefined && !taken.has(base) ? base : `${base || 'node'}-${node.id.slice(0, 8)}`
  return nodeNameProblem(name) === undefined ? name : `node-${node.id.slice(0, 8)}`
}

/** Drops the fields a file leaves out (undefined), so that the YAML holds only what was given. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T
}

export async function exportPipeline(repo: MetaRepo): Promise<PipelineData> {
  const [sources, nodes] = await Promise.all([loadAllSources(repo), loadAllNodes(repo)])
  const byName = new Map(sources.map((def) => [def.name, def]))
  const names = new Set(sources.map((def) => def.name))
  const data: PipelineData = {format: 1, sources: {}, nodes: {}}
  for (const def of sources) {
    const parent = def.parent ? byName.get(def.parent) : undefined
    ;(data.sources as Record<string, FileSource>)[def.name] = defined(exportSource(def, parent))
  }
  // Named nodes keep their names; the others get one, in ID order so that the same project gives the same file.
  const taken = new Set(nodes.flatMap((node) => (node.name ? [node.name] : [])))
  const ordered = [...nodes.filter((node) => node.name), ...nodes.filter((node) => !node.name)]
  const entries: [string, FileNode][] = []
  for (const node of ordered) {
    const name = node.name ?? derivedName(node, taken)
    taken.add(name)
    entries.push([name, defined(exportNode(node, names))])
  }
  data.nodes = Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  return data
}

export const SCHEMA_COMMENT = '# yaml-language-server: $schema=https://dkt.dev/schemas/dkt-yml.json'

/** The file's text: a header saying what it is, then the YAML. */
export async function pipelineText(data: PipelineData): Promise<string> {
  const yaml = await import('yaml')
  const header = ['# The pipeline of a dkt project: `dkt apply` makes the project match this file, `dkt export` writes it.', SCHEMA_COMMENT]
  const doc = new yaml.Document(data)
  // Lists of names read best on one line: `inputs: [app, data]`.
  yaml.visit(doc, {Seq: (_key, seq) => void (seq.flow = true)})
  return `${header.join('\n')}\n${doc.toString({lineWidth: 0, flowCollectionPadding: false})}`
}
