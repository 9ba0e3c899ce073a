import {describe, expect, it} from 'vitest'

import type {Version} from '../../src/base/version.js'
import {runId} from '../../src/core/ids.js'
import type {RunRecord, RunStatus} from '../../src/core/model/run.js'
import {failedToRerun, refMatches} from '../../src/core/node/rerun.js'

const node = 'n'.repeat(64)
const v1 = {a: 'sha1:1111111111111111111111111111111111111111' as Version}
const v2 = {a: 'sha1:2222222222222222222222222222222222222222' as Version}
const v3 = {a: 'sha1:3333333333333333333333333333333333333333' as Version}

let started = 0
/** A run on the given inputs (and ref); later calls are newer runs. */
function run(inputs: Record<string, Version>, status: RunStatus, ref?: string, attempt = 1): RunRecord {
  const startedAt = new Date(Date.UTC(2024, 0, 1, 0, 0, started++)).toISOString()
  return {id: runId(node, inputs, attempt), key: runId(node, inputs), attempt, node, inputs, status, startedAt, ...(ref ? {ref} : {})} as RunRecord
}

/** `runs` oldest first, as they happened; the rule gets them newest first. */
const pick = (runs: RunRecord[]) => failedToRerun([...runs].reverse())

describe('which failed runs `node rerun --failed` tries again', () => {
  it('the newest run, when it failed or ended in error', () => {
    const failed = run(v1, 'failure')
    expect(pick([failed])).toEqual([failed])
    const errored = run(v2, 'error')
    expect(pick([failed, errored])).toEqual([errored])
    expect(pick([run(v1, 'success'), run(v2, 'success')])).toEqual([])
  })

  it('not a failure superseded by a newer run, nor one that succeeded since on the same inputs', () => {
    expect(pick([run(v1, 'failure'), run(v2, 'success')])).toEqual([])
    expect(pick([run(v1, 'success'), run(v1, 'failure', undefined, 2)])).toEqual([])
  })

  it('looks through cancelled attempts, and leaves a node whose newest run is still running', () => {
    const failed = run(v1, 'failure')
    expect(pick([failed, run(v1, 'cancelled', undefined, 2)])).toEqual([failed])
    expect(pick([failed, run(v2, 'running')])).toEqual([])
  })

  it('the newest run of each ref, oldest first; a success on the same inputs through another ref counts', () => {
    const main = run(v1, 'failure', 'refs/heads/main')
    const pull = run(v2, 'error', 'refs/pull/3/head')
    expect(pick([run(v2, 'failure', 'refs/heads/main'), main, pull, run(v3, 'success', 'refs/heads/dev')])).toEqual([main, pull])
    expect(pick([main, pull, run(v1, 'success', 'refs/tags/v1')])).toEqual([pull])
  })

  it('matches a ref by its full or short name', () => {
    expect(refMatches('refs/heads/main', 'main')).toBe(true)
    expect(refMatches('refs/heads/main', 'refs/heads/main')).toBe(true)
    expect(refMatches('refs/tags/v1.0', 'v1.0')).toBe(true)
    expect(refMatches('refs/pull/3/head', 'pull/3/head')).toBe(true)
    expect(refMatches('refs/heads/main', 'ain')).toBe(false)
    expect(refMatches('refs/heads/release/main', 'main')).toBe(false)
    expect(refMatches(undefined, 'main')).toBe(false)
  })
})
