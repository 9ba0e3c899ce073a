// The provenance manifest as a Graphviz graph: sources as boxes, runs as ellipses coloured by status, links dashed.
import {attribute as _, digraph, toDot} from 'ts-graphviz'

import {isRunEntry, type ManifestEntry, type Provenance} from './walk.js'

export const STATUS_COLORS: Record<string, string> = {
  success: '#2e7d32',
  failure: '#c62828',
  error: '#ef6c00',
  cancelled: '#757575',
  running: '#1565c0',
  pending: '#9e9e9e',
}

/** Pure: the same provenance gives the same DOT text. With `href`, each box links to the page of what it shows. */
export function provenanceDot(provenance: Provenance, options: {href?: (entry: ManifestEntry) => string} = {}): string {
  const link = (entry: ManifestEntry) => (options.href ? {[_.href]: options.href(entry)} : {})
  const graph = digraph('provenance', {[_.rankdir]: 'LR', [_.label]: `provenance of ${provenance.target}`, [_.fontname]: 'Helvetica'})
  // Graph nodes are referenced as objects: a string ID with `:` (source:algo:hex) would be read as a port.
  const graphNodes = new Map<string, ReturnType<typeof graph.createNode>>()
  for (const entry of provenance.entries) {
    if (isRunEntry(entry)) {
      graphNodes.set(
        entry.run,
        graph.createNode(`run ${entry.run}`, {
          [_.shape]: 'ellipse',
          [_.style]: 'filled',
          [_.fillcolor]: STATUS_COLORS[entry.status] ?? '#ffffff',
          [_.fontcolor]: 'white',
          [_.label]: `${entry.command.join(' ')}\nnode ${entry.node} · run ${entry.ID}\n${entry.status}`,
          ...link(entry),
        }),
      )
    } else {
      graphNodes.set(entry.version, graph.createNode(entry.version, {[_.shape]: 'box', [_.label]: `${entry.source} (${entry.kind})\n${entry.ID}`, ...link(entry)}))
    }
  }
  for (const edge of provenance.edges) {
    const from = graphNodes.get(edge.from)
    const to = graphNodes.get(edge.to)
    if (from && to) graph.createEdge([from, to], edge.link ? {[_.style]: 'dashed', [_.label]: 'link'} : {})
  }
  // No cap on the graph's size: a deep chain (thousands of runs) is a legitimate provenance.
  return toDot(graph, {convert: {maxASTNodes: 0}} as never)
}

/** Renders DOT to SVG with Graphviz compiled to WebAssembly: no system Graphviz needed. */
export async function renderSvg(dot: string): Promise<string> {
  const {Graphviz} = await import('@hpcc-js/wasm-graphviz')
  const graphviz = await Graphviz.load()
  return graphviz.dot(dot)
}
