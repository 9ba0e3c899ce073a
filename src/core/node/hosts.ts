// The machines a node is tied to by the path sources it reads or writes (their `host`), and its labels with them.
import {effectiveLabels, type HostBinding, hostBindings} from '../labels.js'
import type {MetaRepo} from '../meta-repo.js'
import type {NodeDef} from '../model/node.js'
import type {SourceDef} from '../model/source.js'
import {findSource} from '../source/store.js'

/** `inputDefs`: the node's input definitions (store.ts inputSources), when the caller has read them already. */
export async function nodeHostBindings(repo: MetaRepo, node: NodeDef, inputDefs?: SourceDef[]): Promise<HostBinding[]> {
  const names = inputDefs ? node.outputs : [...node.inputs, ...node.outputs]
  const read = await Promise.all(names.map((name) => findSource(repo, name)))
  const defs = [...(inputDefs ?? []), ...read.filter((def): def is SourceDef => def !== undefined)]
  return hostBindings(node, defs)
}

/** The labels a worker needs to run the node: its own plus `host:H` for each machine a path source ties it to. */
export async function nodeLabels(repo: MetaRepo, node: NodeDef, inputDefs?: SourceDef[]): Promise<string[]> {
  return effectiveLabels(node.labels, await nodeHostBindings(repo, node, inputDefs))
}
