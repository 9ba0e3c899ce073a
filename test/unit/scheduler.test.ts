import {describe, expect, it} from 'vitest'

import {defaultLabels, missingLabels, satisfies} from '../../src/core/labels.js'
import {backoffDelay} from '../../src/scheduler/backoff.js'
import {type Candidate, planRuns} from '../../src/scheduler/plan.js'

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
    expect(planRuns(nodes, [])).toEqual({ready: ['n1', 'x'], waiting: ['n2', 'n3'], otherWorker: []})
    const n1Running = nodes.map((n) => (n.id === 'n1' ? {...n, due: false, running: true} : n))
    expect(planRuns(n1Running, []).ready).toEqual(['x'])
    const n1Done = nodes.map((n) => (n.id === 'n1' ? {...n, due: false} : n))
    expect(planRuns(n1Done, [])).toMatchObject({ready: ['n2', 'x'], waiting: ['n3']})
  })

  it('waits through an upstream node that is not due itself but whose own upstream is', () => {
    const nodes = [node('n1', ['a'], ['b']), node('n2', ['b'], ['c'], {due: false}), node('n3', ['c'], ['d'])]
    expect(planRuns(nodes, [])).toMatchObject({ready: ['n1'], waiting: ['n3']})
  })

  it('leaves nodes whose labels the worker lacks to another worker', () => {
    const nodes = [node('mac', ['a'], ['b'], {labels: ['osx']}), node('any', ['a'], ['c'])]
    expect(planRuns(nodes, ['linux', 'x64'])).toEqual({ready: ['any'], waiting: [], otherWorker: ['mac']})
    expect(planRuns(nodes, ['osx'])).toEqual({ready: ['any', 'mac'], waiting: [], otherWorker: []})
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
