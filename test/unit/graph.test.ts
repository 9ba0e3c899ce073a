// The dataflow graph's pure functions: cycle detection before a node is added, and dependency order.
import {describe, expect, it} from 'vitest'

import {downstreamOrder, findCycle, type GraphNode, topologicalOrder} from '../../src/core/graph.js'

const node = (id: string, inputs: string[], outputs: string[]): GraphNode => ({id, inputs, outputs})
const ids = (nodes: GraphNode[]) => nodes.map((n) => n.id)

/** a → [n1] → b → [n2] → c → [n3] → d */
const chain = [node('n1', ['a'], ['b']), node('n2', ['b'], ['c']), node('n3', ['c'], ['d'])]

describe('findCycle', () => {
  it('finds none when the graph stays acyclic, even where paths join again', () => {
    expect(findCycle(chain, node('n4', ['d'], ['e']))).toBeUndefined()
    expect(findCycle(chain, node('n4', ['a', 'c'], ['e']))).toBeUndefined()
    expect(findCycle([], node('n1', [], []))).toBeUndefined()
    // A diamond: two paths from b to e.
    const diamond = [...chain, node('n4', ['b'], ['x']), node('n5', ['x', 'd'], ['e'])]
    expect(findCycle(diamond, node('n6', ['e'], ['f']))).toBeUndefined()
  })

  it('finds a node that reads what it writes', () => {
    expect(findCycle(chain, node('n4', ['e'], ['e']))).toEqual(['e'])
  })

  it('names the sources on the path from the new node’s output back to its input', () => {
    expect(findCycle(chain, node('n4', ['d'], ['a']))).toEqual(['a', 'b', 'c', 'd'])
    expect(findCycle(chain, node('n4', ['c', 'z'], ['b']))).toEqual(['b', 'c'])
  })

  it('replaces a node of the same ID instead of counting it twice', () => {
    // n2 redefined to read d: n3 then feeds n2, which feeds n3 through c.
    expect(findCycle(chain, node('n2', ['d'], ['c']))).toEqual(['c', 'd'])
    // n2 redefined to read a instead of b: no path from c back to a.
    expect(findCycle(chain, node('n2', ['a'], ['c']))).toBeUndefined()
  })
})

describe('downstreamOrder', () => {
  it('lists every node fed by the start’s outputs, transitively, in dependency order, without the start', () => {
    expect(ids(downstreamOrder(chain, chain[0]))).toEqual(['n2', 'n3'])
    expect(ids(downstreamOrder(chain, chain[1]))).toEqual(['n3'])
    expect(downstreamOrder(chain, chain[2])).toEqual([])
  })

  it('puts a node after everything downstream that feeds it, and leaves out unrelated nodes', () => {
    // a → [s] → b; b → [p] → c; b, c → [q] → d; x → [u] → y (unrelated); IDs chosen against alphabetical order.
    const graph = [node('s', ['a'], ['b']), node('q', ['b', 'c'], ['d']), node('p', ['b'], ['c']), node('u', ['x'], ['y'])]
    expect(ids(downstreamOrder(graph, graph[0]))).toEqual(['p', 'q'])
  })

  it('breaks ties by ID, so that the order never depends on the listing', () => {
    const graph = [node('s', ['a'], ['b']), node('m2', ['b'], ['c']), node('m1', ['b'], ['d']), node('m3', ['c', 'd'], ['e'])]
    expect(ids(downstreamOrder(graph, graph[0]))).toEqual(['m1', 'm2', 'm3'])
    expect(ids(downstreamOrder([...graph].reverse(), graph[0]))).toEqual(['m1', 'm2', 'm3'])
  })
})

describe('topologicalOrder', () => {
  it('orders producers before consumers, ties by ID', () => {
    expect(ids(topologicalOrder([...chain].reverse()))).toEqual(['n1', 'n2', 'n3'])
    expect(ids(topologicalOrder([node('b', [], ['x']), node('a', [], ['y'])]))).toEqual(['a', 'b'])
  })

  it('refuses a graph with a cycle', () => {
    expect(() => topologicalOrder([node('n1', ['a'], ['b']), node('n2', ['b'], ['a'])])).toThrow(/cycle/)
  })
})
