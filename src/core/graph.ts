// The dataflow graph: edges source → node → source only; cycles and dependency order. Pure.
export interface GraphNode {
  id: string
  inputs: string[]
  outputs: string[]
}

/** Nodes that read a source written by `node` (its direct downstream nodes). */
function consumers(nodes: GraphNode[], node: GraphNode): GraphNode[] {
  return nodes.filter((other) => other.id !== node.id && other.inputs.some((input) => node.outputs.includes(input)))
}

/**
 * The sources on a path from `candidate`'s outputs back into its own inputs, if adding it would close a cycle
 * (including a node that reads what it writes); undefined when the graph stays acyclic.
 */
export function findCycle(nodes: GraphNode[], candidate: GraphNode): string[] | undefined {
  const all = [...nodes.filter((n) => n.id !== candidate.id), candidate]
  // Depth-first from the candidate's outputs through nodes; the path records the sources crossed.
  const seen = new Set<string>()
  const visit = (source: string, path: string[]): string[] | undefined => {
    if (candidate.inputs.includes(source)) return [...path, source]
    if (seen.has(source)) return undefined
    seen.add(source)
    for (const node of all) {
      if (node.id === candidate.id || !node.inputs.includes(source)) continue
      for (const out of node.outputs) {
        const found = visit(out, [...path, source])
        if (found) return found
      }
    }
    return undefined
  }
  for (const out of candidate.outputs) {
    const found = visit(out, [])
    if (found) return found
  }
  return undefined
}

/** Every node reachable downstream of `start` (not including it), in dependency order. */
export function downstreamOrder(nodes: GraphNode[], start: GraphNode): GraphNode[] {
  const reachable = new Set<string>()
  const stack = [start]
  while (stack.length > 0) {
    const node = stack.pop() as GraphNode
    for (const next of consumers(nodes, node)) {
      if (!reachable.has(next.id)) {
        reachable.add(next.id)
        stack.push(next)
      }
    }
  }
  return topologicalOrder(nodes.filter((n) => reachable.has(n.id)))
}

/** Kahn's algorithm over node → node dependencies (through sources); ties broken by ID for determinism. */
export function topologicalOrder(nodes: GraphNode[]): GraphNode[] {
  const remaining = new Map(nodes.map((n) => [n.id, n]))
  const order: GraphNode[] = []
  while (remaining.size > 0) {
    const ready = [...remaining.values()]
      .filter((n) => ![...remaining.values()].some((m) => m.id !== n.id && m.outputs.some((o) => n.inputs.includes(o))))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
    if (ready.length === 0) throw new Error('the node graph has a cycle')
    for (const n of ready) {
      order.push(n)
      remaining.delete(n.id)
    }
  }
  return order
}
