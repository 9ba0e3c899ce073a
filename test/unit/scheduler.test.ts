import {describe, expect, it} from 'vitest'

import {defaultLabels, missingLabels, satisfies} from '../../src/core/labels.js'
import {backoffDelay} from '../../src/base/backoff.js'
import {type Candidate, graphOf, planRuns, refreshableNow} from '../../src/scheduler/plan.js'

const node = (id: string, inputs: string[], outputs: string[], extra: Partial<Candidate> = {}): Candidate => ({
  id,
  inputs,
  outputs,
  labels: [],
  due: true,
  running: false,
  ...extra,
})

describe('planning due runs', () => {
  it('a node waits while anything upstream is due or running', () => {
    const nodes = [node('n1', ['a'], ['b']), node('n2', ['b'], ['c']), node('n3', ['c'], ['d']), node('x', ['a'], ['e'])]
    expect(planRuns(graphOf(nodes), [])).toEqual({ready: ['n1', 'x'], waiting: ['n2', 'n3'], otherWorker: []})
    const n1Running = nodes.map((n) => (n.id === 'n1' ? {...n, due: false, running: true} : n))
    expect(planRuns(graphOf(n1Running), []).ready).toEqual(['x'])
    const n1Done = nodes.map((n) => (n.id === 'n1' ? {...n, due: false} : n))
    expect(planRuns(graphOf(n1Done), [])).toMatchObject({ready: ['n2', 'x'], waiting: ['n3']})
  })

  it('waits through an upstream node that is not due itself but whose own upstream is', () => {
    const nodes = [node('n1', ['a'], ['b']), node('n2', ['b'], ['c'], {due: false}), node('n3', ['c'], ['d'])]
    expect(planRuns(graphOf(nodes), [])).toMatchObject({ready: ['n1'], waiting: ['n3']})
  })

  it('leaves nodes whose labels the worker lacks to another worker', () => {
    const nodes = [node('mac', ['a'], ['b'], {labels: ['osx']}), node('any', ['a'], ['c'])]
    expect(planRuns(graphOf(nodes), ['linux', 'x64'])).toEqual({ready: ['any'], waiting: [], otherWorker: ['mac']})
    expect(planRuns(graphOf(nodes), ['osx'])).toEqual({ready: ['any', 'mac'], waiting: [], otherWorker: []})
  })
})

describe('refreshing stale nodes', () => {
  const chain = [node('n1', ['a'], ['b'], {due: false}), node('n2', ['b'], ['c'], {due: false}), node('n3', ['c', 'x'], ['d'], {due: false})]
  const set = (id: string, extra: Partial<Candidate>) => chain.map((n) => (n.id === id ? {...n, ...extra} : n))

  it('refreshes a stale node only once no direct producer of its inputs is due or running', () => {
    expect(refreshableNow(['n2', 'n3'], graphOf(chain))).toEqual(['n2', 'n3'])
    expect(refreshableNow(['n2', 'n3'], graphOf(set('n1', {due: true})))).toEqual(['n3'])
    expect(refreshableNow(['n2', 'n3'], graphOf(set('n1', {running: true})))).toEqual(['n3'])
    expect(refreshableNow(['n3'], graphOf(set('n2', {due: true})))).toEqual([])
  })

  it('ignores a node reading its own output, and keeps nodes it does not know (removed since)', () => {
    const loop = [node('self', ['a', 'b'], ['b'], {due: true})]
    expect(refreshableNow(['self', 'gone'], graphOf(loop))).toEqual(['self', 'gone'])
  })
})

describe('labels', () => {
  it('a worker satisfies a node when it has every label of the node', () => {
    expect(satisfies([], ['linux'])).toBe(true)
    expect(satisfies(['test', 'linux'], ['linux', 'test', 'x64'])).toBe(true)
    expect(satisfies(['osx'], ['linux'])).toBe(false)
    expect(missingLabels(['osx', 'linux', 'gpu'], ['linux'])).toEqual(['osx', 'gpu'])
    expect(defaultLabels()).toEqual([process.platform, process.arch])
  })
})

describe('backoff', () => {
  it('doubles from the base up to the cap', () => {
    expect([1, 2, 3, 4, 5, 12].map((n) => backoffDelay(n, 5000, 60_000))).toEqual([5000, 10_000, 20_000, 40_000, 60_000, 60_000])
  })
})
