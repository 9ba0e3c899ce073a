// `dkt node run` (definition part): validate a node, compute its deterministic ID, and record it.
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, statSync} from 'node:fs'
import * as path from 'node:path'

import {declarationOf, listKinds, loadDriver, storedKindsWhere} from '../../kinds/registry.js'
import {readConfig} from '../config.js'
import {CycleError, InvalidArgumentError} from '../../base/errors.js'
import {findCycle} from '../graph.js'
import {nodeId, type NodeIdentity, shortId} from '../ids.js'
import {fieldReferences} from '../interpolate.js'
import type {MetaRepo} from '../meta-repo.js'
import {NODE_FORMAT, type NodeDef, nodeFile, type StoredScript} from '../model/node.js'
import type {SourceDef} from '../model/source.js'
import {isPatternSource} from '../source/refs.js'
import {findSource, loadSource} from '../source/store.js'
import {loadAllNodes} from './store.js'

/** Where planNode looks up sources and the other nodes: the project, or the pipeline a file describes (`dkt apply`). */
export interface NodeWorld {
  findSource(name: string): Promise<SourceDef | undefined>
  nodes(): Promise<NodeDef[]>
}

const projectWorld = (repo: MetaRepo): NodeWorld => ({findSource: (name) => findSource(repo, name), nodes: () => loadAllNodes(repo)})

export interface DefineNodeOptions extends Omit<NodeIdentity, 'scriptDigest'> {
  /** Where the user typed the command: a script path in CMD is relative to it. */
  cwd: string
}

/** The script the command names, when it is a file inside the project: its content becomes part of the node. */
function readScript(command: string, cwd: string, root: string): StoredScript | undefined {
  const file = path.resolve(cwd, command)
  const rel = path.relative(root, file)
  if (rel.startsWith('..') || path.isAbsolute(rel) || !existsSync(file) || !statSync(file).isFile()) return undefined
  const content = readFileSync(file, 'utf8')
  return {path: rel.split(path.sep).join('/'), digest: createHash('sha256').update(content).digest('hex'), content}
}

function unique(list: string[]): string[] {
  return [...new Set(list.map((item) => item.trim()).filter(Boolean))]
}

export async function planNode(repo: MetaRepo, options: DefineNodeOptions, world = projectWorld(repo)): Promise<NodeDef> {
  if (options.command.length === 0) throw new InvalidArgumentError('a node needs a command: dkt node run [FLAGS] CMD [ARGS…]')
  if (options.network !== undefined && !options.image) throw new InvalidArgumentError('--network applies to container runs only; add --image IMG')
  // An image that names an image source (docker) is an input: the run uses (and records) its version, and a new one
  // makes the node due.
  const imageSource = options.image ? await world.findSource(options.image) : undefined
  if (imageSource && !declarationOf(imageSource.kind).providesImage) {
    const imageKinds = listKinds(storedKindsWhere((declaration) => declaration.providesImage))
    throw new InvalidArgumentError(
      `--image \`${options.image}\` names a ${imageSource.kind} source; give an image reference or a ${imageKinds} source`,
    )
  }
  const inputs = unique(imageSource ? [...options.inputs, options.image as string] : options.inputs)
  const outputs = unique(options.outputs)
  const defs = new Map<string, SourceDef>()
  // A name the world does not know gets the project's sentence (`source X does not exist; see …`).
  for (const name of [...inputs, ...outputs]) defs.set(name, (await world.findSource(name)) ?? (await loadSource(repo, name)))
  const kinds = new Map([...defs].map(([name, def]) => [name, def.kind]))
  const drivers = new Map(await Promise.all([...new Set(kinds.values())].map(async (kind) => [kind, await loadDriver(kind)] as const)))
  for (const name of outputs) {
    const kind = kinds.get(name) as string
    if (!drivers.get(kind)?.publish) {
      const writable = listKinds(storedKindsWhere((declaration) => declaration.writable))
      throw new InvalidArgumentError(`\`${name}\` is a ${kind} source, which a run cannot write; outputs must be ${writable} sources`)
    }
    // A TAG pattern names many refs: a run would not know which one to push to.
    if (isPatternSource(defs.get(name) as SourceDef)) {
      throw new InvalidArgumentError(`\`${name}\` follows a TAG pattern, which a run cannot write; add a source on one branch as the output`)
    }
  }

  const script = readScript(options.command[0], options.cwd, repo.project.root)
  const command = script ? [script.path, ...options.command.slice(1)] : options.command
  const identity = {
    command,
    scriptDigest: script?.digest,
    labels: unique(options.labels).sort(),
    inputs: inputs.sort(),
    outputs: outputs.sort(),
    image: options.image,
    network: options.network,
    onSuccess: options.onSuccess,
    onFailure: options.onFailure,
  }
  // The record keeps the script itself; its digest is only part of the ID.
  const {scriptDigest: _digest, ...recorded} = identity
  const node: NodeDef = {format: NODE_FORMAT, id: nodeId(identity), ...recorded, script}

  // `${NAME:FIELD}` must name an input or output and a field of its kind, or `run` (hooks only).
  const texts: [string, string][] = [
    ...command.map((token): [string, string] => ['the command', token]),
    [`script ${script?.path}`, script?.content ?? ''],
    ['--on-success', options.onSuccess ?? ''],
    ['--on-failure', options.onFailure ?? ''],
  ]
  for (const [where, text] of texts) {
    for (const ref of fieldReferences(text)) {
      if (ref.source === 'run' && ['ID', 'STATUS'].includes(ref.field)) continue
      const kind = kinds.get(ref.source)
      const shown = `\`\${${ref.source}:${ref.field}}\` (in ${where})`
      if (!kind) throw new InvalidArgumentError(`${shown} names \`${ref.source}\`, which is not an input or output of this node`)
      const fields = drivers.get(kind)?.fields ?? ['ROOT']
      if (!fields.includes(ref.field)) {
        throw new InvalidArgumentError(`${shown}: a ${kind} source has no field ${ref.field} (it has ${fields.join(', ')})`)
      }
    }
  }

  // `${KEY}` in the command line must be a private field of this project (in scripts it is a shell variable).
  const config = await readConfig(repo.project)
  for (const token of command) {
    for (const match of token.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
      if (config[match[1]] === undefined) {
        throw new InvalidArgumentError(`\`\${${match[1]}}\` is not a private field; set it with \`dkt config set ${match[1]} VALUE\``)
      }
    }
  }

  const others = (await world.nodes()).filter((other) => other.id !== node.id)
  const cycle = findCycle(others, node)
  if (cycle) {
    throw new CycleError(
      `node would create a cycle: its output \`${cycle[0]}\` flows back into its input \`${cycle.at(-1)}\` (${cycle.join(' → ')}); a node cannot depend on itself`,
      {cycle},
    )
  }
  return node
}

/** Records the node (one commit) unless the same definition exists already; returns it and whether it is new. */
export async function defineNode(repo: MetaRepo, options: DefineNodeOptions): Promise<{node: NodeDef; created: boolean}> {
  const node = await planNode(repo, options)
  return repo.transaction(`node add ${shortId(node.id)} (${node.command.join(' ')})`, async (tx) => {
    const exists = (await repo.readJson(nodeFile(node.id))) !== undefined
    if (!exists) {
      // Re-check under the lock: another writer may have added a node that closes a cycle.
      const cycle = findCycle(await loadAllNodes(repo), node)
      if (cycle) throw new CycleError(`node would create a cycle through ${cycle.join(' → ')}`, {cycle})
      tx.writeJson(nodeFile(node.id), node)
    }
    return {node, created: !exists}
  })
}

export async function nodeExists(repo: MetaRepo, id: string): Promise<boolean> {
  return (await repo.readJson(nodeFile(id))) !== undefined
}
