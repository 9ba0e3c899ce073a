import {describe, expect, it} from 'vitest'

import {addToPhase, profiled, profiledSync, profileReport, startProfile} from '../../src/base/profile.js'

describe('the phase profile', () => {
  it('is off until started: marks only run the work', async () => {
    expect(await profiled('x', async () => 1)).toBe(1)
    expect(profiledSync('y', () => 2)).toBe(2)
    addToPhase('z', 5)
    expect(profileReport()).toBeUndefined()
  })

  it('sums the time and counts the occurrences of each phase, also when the work throws', async () => {
    startProfile()
    await profiled('wait', () => new Promise((resolve) => setTimeout(resolve, 20)))
    await profiled('wait', async () => {})
    expect(() => profiledSync('fail', () => {
      throw new Error('no')
    })).toThrow('no')
    addToPhase('given', 1.5)
    const report = profileReport()
    expect(report?.phases.wait.count).toBe(2)
    expect(report?.phases.wait.ms).toBeGreaterThanOrEqual(15)
    expect(report?.phases.fail.count).toBe(1)
    expect(report?.phases.given).toEqual({ms: 1.5, count: 1})
    expect(Object.keys(report?.phases ?? {})).toEqual(['fail', 'given', 'wait'])
    expect(report?.wallMs).toBeGreaterThanOrEqual(15)
  })
})
