import {describe, expect, it} from 'vitest'

import {InvalidNameError} from '../../src/base/errors.js'
import {assertSourceName, sourceNameProblem} from '../../src/core/names.js'

describe('source names', () => {
  it.each(['pinata', 'pit-fall_2', 'données', 'β12', 'a.b', 'UPPER'])('accepts %j', (name) => {
    expect(sourceNameProblem(name)).toBeUndefined()
  })

  it.each([
    ['', /empty/],
    ['a:b', /contains `:`/],
    ['a/b', /contains `\/`/],
    ['a\\b', /contains `\\`/],
    ['a*', /contains `\*`/],
    ['tab\there', /control character/],
    ['..', /reserved/],
    ['-flag', /reserved/],
  ])('rejects %j', (name, why) => {
    expect(sourceNameProblem(name)).toMatch(why)
    expect(() => assertSourceName(name)).toThrow(InvalidNameError)
  })

  it('rejects a lone surrogate (not valid UTF-8)', () => {
    expect(sourceNameProblem('a\ud800b')).toMatch(/UTF-8/)
  })
})
