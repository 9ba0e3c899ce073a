import {describe, expect, it} from 'vitest'

import {differences} from '../../src/core/sync.js'

describe('a sync conflict in one sentence', () => {
  it('names each field both sides set differently, with both values', () => {
    expect(differences({name: 'data', pin: 'md5:aa'}, {name: 'data', pin: 'md5:bb'})).toBe('pin md5:aa here, md5:bb there')
    expect(differences({location: 'a', kind: 'path'}, {location: 'b', kind: 'git'})).toBe('kind path here, git there; location a here, b there')
    expect(differences({name: 'data'}, {name: 'data', pin: 'md5:bb'})).toBe('pin none here, md5:bb there')
    expect(differences({pins: {'refs/heads/main': 'sha1:1'}}, {})).toBe('pins {"refs/heads/main":"sha1:1"} here, none there')
  })

  it('says which side removed the file', () => {
    expect(differences(undefined, {pin: 'md5:bb'})).toBe('removed here, changed there')
    expect(differences({pin: 'md5:aa'}, undefined)).toBe('changed here, removed there')
  })
})
