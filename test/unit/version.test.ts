import {describe, expect, it} from 'vitest'

import {AmbiguousError, InvalidArgumentError, NotFoundError} from '../../src/base/errors.js'
import {expandVersion, parseVersionPrefix} from '../../src/core/prefix.js'
import {makeVersion, parseVersion, shortVersion, type Version} from '../../src/base/version.js'

const A: Version = 'sha1:3dd2cc1db51828a643237c39d5ed76bb066bcad8'
const B: Version = 'sha1:3dd2ff00b51828a643237c39d5ed76bb066bcad8'
const M: Version = 'md5:0e500a4eb2a162f8098575daced142e1'

describe('versions', () => {
  it('parses and normalizes to lower case', () => {
    expect(parseVersion('MD5:0E500A4EB2A162F8098575DACED142E1')).toBe(M)
    expect(shortVersion(A)).toBe('3dd2cc1d')
  })

  it('rejects digests of the wrong length or alphabet', () => {
    expect(() => makeVersion('sha1', 'abc')).toThrow(InvalidArgumentError)
    expect(() => parseVersion('sha1:zz')).toThrow(InvalidArgumentError)
    expect(() => parseVersion('crc:1234')).toThrow(/not a version/)
  })
})

describe('unique prefixes', () => {
  const all = [A, B, M]

  it('expands a unique prefix with or without ALGO:', () => {
    expect(expandVersion('3dd2cc', all, 'pinata')).toBe(A)
    expect(expandVersion('sha1:3dd2cc1d', all, 'pinata')).toBe(A)
    expect(expandVersion('0E500A4E', all, 'dmg')).toBe(M)
    expect(expandVersion(A, all, 'pinata')).toBe(A)
  })

  it('is ambiguous when two versions share the prefix', () => {
    expect(() => expandVersion('3dd2', all, 'pinata')).toThrow(AmbiguousError)
  })

  it('is not found when nothing matches, or the algorithm differs', () => {
    expect(() => expandVersion('ffff', all, 'pinata')).toThrow(NotFoundError)
    expect(() => expandVersion('md5:3dd2cc', all, 'pinata')).toThrow(NotFoundError)
  })

  it('asks for at least 4 hex digits', () => {
    expect(() => parseVersionPrefix('3dd')).toThrow(/too short/)
    expect(() => parseVersionPrefix('xyz1')).toThrow(/hexadecimal/)
    expect(() => parseVersionPrefix('foo:1234')).toThrow(/unknown algorithm/)
  })
})
