// The memo decision: which existing run, if any, a run on the same inputs reuses instead of running again.
import {describe, expect, it} from 'vitest'

import type {RunRecord, RunStatus} from '../../src/core/model/run.js'
import {reusableRun} from '../../src/core/node/execute.js'

const run = (id: string, key: string, status: RunStatus) => ({id, key, status}) as RunRecord

describe('reusableRun', () => {
  const runs = [run('r3', 'k1', 'failure'), run('r2', 'k1', 'success'), run('r1', 'k2', 'success')]

  it('reuses a run that succeeded on the same inputs', () => {
    expect(reusableRun(runs, 'k1')?.id).toBe('r2')
    expect(reusableRun(runs, 'k2')?.id).toBe('r1')
  })

  it('reuses nothing on other inputs, after runs that did not succeed, or when a new attempt is forced', () => {
    expect(reusableRun(runs, 'k3')).toBeUndefined()
    for (const status of ['failure', 'error', 'cancelled', 'running'] as const) expect(reusableRun([run('r', 'k1', status)], 'k1')).toBeUndefined()
    expect(reusableRun(runs, 'k1', true)).toBeUndefined()
  })
})
