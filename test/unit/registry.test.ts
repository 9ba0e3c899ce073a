import {describe, expect, it} from 'vitest'

import {UnknownKindError} from '../../src/base/errors.js'
import {loadDriver} from '../../src/kinds/registry.js'

describe('loadDriver', () => {
  it('imports a kind once and gives the same driver every time', async () => {
    const first = await loadDriver('path')
    expect(first.kind).toBe('path')
    expect(await loadDriver('path')).toBe(first)
  })

  it('rejects an unknown kind every time (nothing cached)', async () => {
    await expect(loadDriver('ftp')).rejects.toBeInstanceOf(UnknownKindError)
    await expect(loadDriver('ftp')).rejects.toBeInstanceOf(UnknownKindError)
  })
})
