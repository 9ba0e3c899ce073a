// The pipeline as a graph (sources and nodes, each node coloured by its last run), whole or around one node.
import {attribute as _, digraph, toDot} from 'ts-graphviz'

import type {MetaRepo} from '../meta-repo.js'
import type {RunStatus} from '../model/run.js'
import {loadAllNodes, resolveNode} from '../node/store.js'
import type {RunIndex} from '../node/run-index.js'
import {loadAllSources} from '../source/store.js'
import {STATUS_COLORS} from './dot.js'

/** Past this many boxes, the whole pipeline is not drawn: it is shown around one node instead. */
export const WHOLE_GRAPH_LIMIT = 300

export interface PipelineNode {
  id: string
  command: string[]
  inputs: string[]
  outputs: string[]
  /** The status of its newest run, null when it never ran. */
  lastStatus: RunStatus | null
}

export interface PipelineGraph {
  /** The node the graph is drawn around (null: the whole pipeline). */
  focus: string | null
  /** How many node-to-node steps around the focus are drawn. */
  depth: number
  nodes: PipelineNode[]
  sources: {name: string; kind: string}[]
  /** The whole pipeline was asked for but is larger than WHOLE_GRAPH_LIMIT. */
  guarded: boolean
}

/** The nodes within `depth` steps of `focus`, upstream and downstream, through the sources they share. */
function around(nodes: PipelineNode[], focus: string, depth: number): PipelineNode[] {
  const kept = new Set([focus])
  let frontier = nodes.filter((node) => node.id === focus)
  for (let step = 0; step < depth && frontier.length > 0; step++) {
    const touched = new Set(frontier.flatMap((node) => [...node.inputs, ...node.outputs]))
    frontier = nodes.filter((node) => !kept.has(node.id) && [...node.inputs, ...node.outputs].some((name) => touched.has(name)))
    for (const node of frontier) kept.add(node.id)
  }
  return nodes.filter((node) => kept.has(node.id))
}

export async function pipelineGraph(repo: MetaRepo, index: RunIndex, options: {focus?: string; depth?: number; whole?: boolean}): Promise<PipelineGraph> {
  const depth = options.depth ?? 2
  const runs = await index.runs()
  const lastStatus = new Map<string, RunStatus>()
  for (const run of runs) if (!lastStatus.has(run.node)) lastStatus.set(run.node, run.status)
  const all: PipelineNode[] = (await loadAllNodes(repo)).map((node) => ({
    id: node.id,
    command: node.command,
    inputs: node.inputs,
    outputs: node.outputs,
    lastStatus: lastStatus.get(node.id) ?? null,
  }))
  const allSources = (await loadAllSources(repo)).map((def) => ({name: def.name, kind: def.kind}))
  const large = all.length + allSources.length > WHOLE_GRAPH_LIMIT
  let focus = options.focus ? (await resolveNode(repo, options.focus)).id : null
  // Around one node by default (the newest run's), unless the pipeline is small enough to see whole.
  if (!focus && (large || !options.whole)) focus = runs.find((run) => all.some((node) => node.id === run.node))?.node ?? all[0]?.id ?? null
  if (!focus || (options.whole && !large && !options.focus)) return {focus: null, depth, nodes: all, sources: allSources, guarded: false}
  const nodes = around(all, focus, depth)
  const sources = allSources.filter(({name}) => nodes.some((node) => node.inputs.includes(name) || node.outputs.includes(name)))
  return {focus, depth, nodes, sources, guarded: Boolean(options.whole) && large}
}

/** Pure. With `href`, each box links to its page. */
export function pipelineDot(graph: PipelineGraph, href?: {node: (id: string) => string; source: (name: string) => string}): string {
  const dot = digraph('pipeline', {[_.rankdir]: 'LR', [_.fontname]: 'Helvetica'})
  const sources = new Map(
    // The kind in the label also keeps a name such as `<b>` from being read as one of Graphviz's HTML labels.
    graph.sources.map(({name, kind}) => [name, dot.createNode(`source ${name}`, {[_.shape]: 'box', [_.label]: `${name} (${kind})`, ...(href ? {[_.href]: href.source(name)} : {})})]),
  )
  for (const node of graph.nodes) {
    const box = dot.createNode(`node ${node.id}`, {
      [_.shape]: 'ellipse',
      [_.style]: 'filled',
      [_.fillcolor]: node.lastStatus ? STATUS_COLORS[node.lastStatus] : '#ffffff',
      [_.fontcolor]: node.lastStatus ? 'white' : 'black',
      [_.penwidth]: node.id === graph.focus ? 3 : 1,
      [_.label]: `${node.command.join(' ').slice(0, 60)}\n${node.id.slice(0, 8)} · ${node.lastStatus ?? 'never run'}`,
      ...(href ? {[_.href]: href.node(node.id)} : {}),
    })
    for (const name of node.inputs) {
      const from = sources.get(name)
      if (from) dot.createEdge([from, box])
    }
    for (const name of node.outputs) {
      const to = sources.get(name)
      if (to) dot.createEdge([box, to])
    }
  }
  return toDot(dot, {convert: {maxASTNodes: 0}} as never)
}
