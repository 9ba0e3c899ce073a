import {describe, expect, it} from 'vitest'

import type {Version} from '../../src/base/version.js'
import type {Observation} from '../../src/core/model/source.js'
import {refStates} from '../../src/core/source/refs.js'
import {latestVersion, mergeStableObservations} from '../../src/core/source/observations.js'

const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`
const seen = (version: Version, minute: number, extra: Partial<Observation> = {}): Observation => ({version, observed: at(minute), ...extra})

describe('merge-stable observations', () => {
  it('takes the newest by time, not the last line (a union merge reorders lines)', () => {
    expect(latestVersion([seen('md5:b', 2), seen('md5:a', 1)])).toBe('md5:b')
    expect(latestVersion([seen('md5:a', 1), seen('md5:c', 3), seen('md5:b', 2)])).toBe('md5:c')
  })

  it('breaks ties by file order', () => {
    expect(latestVersion([seen('md5:a', 1), seen('md5:b', 1)])).toBe('md5:b')
    expect(latestVersion([seen('md5:b', 1), seen('md5:a', 1)])).toBe('md5:a')
  })

  it('de-duplicates by version: two clones that saw the same version give one entry', () => {
    const merged = mergeStableObservations([seen('md5:a', 1), seen('md5:b', 2), seen('md5:b', 3)])
    expect(merged.map((o) => o.version)).toEqual(['md5:a', 'md5:b'])
    expect(merged[1].observed).toBe(at(3))
  })

  it('a version seen again later is the latest (A → B → A), keeping what the first sighting told', () => {
    const merged = mergeStableObservations([seen('md5:a', 1, {run: 'r1', node: 'n1'}), seen('md5:b', 2), seen('md5:a', 3)])
    expect(merged.map((o) => o.version)).toEqual(['md5:b', 'md5:a'])
    expect(merged[1]).toMatchObject({run: 'r1', node: 'n1', observed: at(3)})
  })

  it('is the same whatever the order of the lines', () => {
    const lines = [seen('md5:a', 1), seen('md5:b', 2), seen('md5:c', 3), seen('md5:b', 4)]
    const expected = mergeStableObservations(lines)
    expect(mergeStableObservations([...lines].reverse())).toEqual(expected)
    expect(mergeStableObservations([lines[2], lines[0], lines[3], lines[1]])).toEqual(expected)
  })

  it('an unparsable time counts as the oldest', () => {
    expect(latestVersion([seen('md5:b', 2), {version: 'md5:a' as Version, observed: 'garbage'}])).toBe('md5:b')
  })

  it('refs of a TAG pattern: each ref its newest by time; gone only when the newest sighting says so', () => {
    const main = 'refs/heads/main'
    const feature = 'refs/heads/feature'
    const lines: Observation[] = [
      seen('sha1:2', 2, {ref: main}),
      seen('sha1:1', 1, {ref: main}),
      seen('sha1:9', 1, {ref: feature}),
      seen('sha1:9', 5, {ref: feature}),
      seen('sha1:9', 3, {ref: feature, gone: true}),
    ]
    const states = refStates({}, lines)
    expect(states.map((s) => [s.ref, s.version, s.gone])).toEqual([
      [feature, 'sha1:9', false],
      [main, 'sha1:2', false],
    ])
    const goneLast = refStates({}, [...lines, seen('sha1:9', 6, {ref: feature, gone: true})])
    expect(goneLast.find((s) => s.ref === feature)?.gone).toBe(true)
  })
})
