import {describe, expect, it} from 'vitest'

import {LOG_SEPARATOR, type MergedRun, missingAttributes, mergeRunLogs, mergeRunManifests} from '../../src/core/merge-rules.js'
import type {RunRecord} from '../../src/core/model/run.js'

const execution = (status: RunRecord['status'], startedAt: string, hostname: string): RunRecord => ({
  format: 1,
  id: 'r'.repeat(64),
  key: 'r'.repeat(64),
  attempt: 1,
  node: 'n'.repeat(64),
  command: ['true'],
  scriptDigest: null,
  image: null,
  labels: [],
  inputs: {},
  outputs: {},
  status,
  exitCode: status === 'success' ? 0 : 1,
  signal: null,
  reason: null,
  startedAt,
  endedAt: startedAt,
  machine: {hostname, os: 'linux', arch: 'x64'},
  dktVersion: '0.1.0',
  hooks: {},
  outputTruncated: false,
})

describe('merge rules', () => {
  it('keeps both executions of one run; a success on the key is the manifest', () => {
    const failed = execution('failure', '2026-01-01T00:00:00.000Z', 'a')
    const succeeded = execution('success', '2026-01-01T00:05:00.000Z', 'b')
    const merged = mergeRunManifests(failed, succeeded)
    expect(merged.status).toBe('success')
    expect(merged.machine.hostname).toBe('b')
    expect(merged.otherExecutions).toEqual([failed])
  })

  it('is symmetric and idempotent (both clones merging get the same file)', () => {
    const a = execution('success', '2026-01-01T00:00:00.000Z', 'a')
    const b = execution('success', '2026-01-01T00:01:00.000Z', 'b')
    const c = execution('failure', '2026-01-01T00:02:00.000Z', 'c')
    const ab = mergeRunManifests(a, b)
    expect(mergeRunManifests(b, a)).toEqual(ab)
    expect(ab.machine.hostname).toBe('a')
    expect(mergeRunManifests(ab, ab)).toEqual(ab)
    expect(mergeRunManifests(mergeRunManifests(ab, c), b)).toEqual(mergeRunManifests(a, mergeRunManifests(c, b) as MergedRun))
    expect(mergeRunManifests(a, a)).toEqual(a)
  })

  it('merges two outputs of one run once each, in a fixed order', () => {
    const merged = mergeRunLogs('one\n', 'two\n')
    expect(merged).toBe(`one\n${LOG_SEPARATOR}two\n`)
    expect(mergeRunLogs('two\n', 'one\n')).toBe(merged)
    expect(mergeRunLogs(merged, 'two\n')).toBe(merged)
    expect(mergeRunLogs('same', 'same')).toBe('same')
  })

  it('names the .gitattributes lines a project lacks', () => {
    expect(missingAttributes('versions/*.jsonl merge=union\n')).toEqual(['runs/*/*.json merge=dkt-run', 'runs/*/*.log merge=dkt-log'])
    expect(missingAttributes(undefined)).toHaveLength(3)
  })
})
