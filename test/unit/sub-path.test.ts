import {describe, expect, it} from 'vitest'

import {joinSubPath} from '../../src/core/sub-path.js'

describe('sub-paths', () => {
  it.each([
    [undefined, undefined, undefined],
    [undefined, '/v1/pitfall', '/v1/pitfall'],
    [undefined, 'v1/pitfall/', '/v1/pitfall'],
    ['/v1', 'pitfall', '/v1/pitfall'],
    ['/v1', '/pitfall', '/v1/pitfall'],
    ['/v1', undefined, '/v1'],
    ['/v1/a', '../b', '/v1/b'],
    [undefined, '.', undefined],
    [undefined, '/', undefined],
  ])('joinSubPath(%j, %j) = %j', (base, p, expected) => {
    expect(joinSubPath(base, p)).toBe(expected)
  })

  it('refuses to leave the location', () => {
    expect(() => joinSubPath('/v1', '../../etc')).toThrow(/leaves/)
    expect(() => joinSubPath(undefined, 'a\\b')).toThrow(/separators/)
  })
})
