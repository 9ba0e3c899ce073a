import {describe, expect, it} from 'vitest'

import {canonicalJson, compactJson} from '../../src/base/canonical-json.js'
import {linkId} from '../../src/core/model/link.js'
import {parseSourceVersion} from '../../src/core/source/link.js'

describe('canonical JSON', () => {
  it('sorts keys at every depth, drops undefined, ends with a newline', () => {
    expect(compactJson({b: 1, a: {d: [2, {z: 1, y: 2}], c: undefined}})).toBe('{"a":{"d":[2,{"y":2,"z":1}]},"b":1}')
    expect(canonicalJson({b: 1, a: 2})).toBe('{\n  "a": 2,\n  "b": 1\n}\n')
  })
})

describe('link IDs (golden)', () => {
  it('are the first 16 hex digits of sha256 over the canonical link', () => {
    const from = {source: 'pinata', version: 'sha1:3dd2cc1db51828a643237c39d5ed76bb066bcad8'} as const
    const to = {source: 'dmg', version: 'md5:0e500a4eb2a162f8098575daced142e1'} as const
    expect(linkId(from, to)).toBe(linkId({...from}, {...to}))
    expect(linkId(from, to)).not.toBe(linkId(to, from))
    expect(linkId(from, to)).toMatchInlineSnapshot(`"a9bc0177d8da8daf"`)
  })
})

describe('SOURCE:VERSION', () => {
  it('splits at the first colon so versions may carry ALGO:', () => {
    expect(parseSourceVersion('pinata:sha1:3dd2cc1d')).toEqual({source: 'pinata', version: 'sha1:3dd2cc1d'})
    expect(parseSourceVersion('dmg:0E500A4E')).toEqual({source: 'dmg', version: '0E500A4E'})
    expect(() => parseSourceVersion('pinata')).toThrow(/SOURCE:VERSION/)
    expect(() => parseSourceVersion('pinata:')).toThrow(/SOURCE:VERSION/)
  })
})
