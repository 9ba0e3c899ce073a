import {describe, expect, it} from 'vitest'

import {UnknownKindError} from '../../src/base/errors.js'
import {declarationOf, KNOWN_KINDS, listKinds, loadDriver, SECRETS, storedKindsWhere} from '../../src/kinds/registry.js'

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

describe('kind declarations', () => {
  it('lists the kinds in help order and names each by its declaration', () => {
    expect(KNOWN_KINDS).toEqual(['git', 'github', 'path', 'docker', 's3', 'hockeyapp'])
    for (const kind of KNOWN_KINDS) expect(declarationOf(kind).name).toBe(kind)
    expect(() => declarationOf('ftp')).toThrow('unknown kind `ftp`; supported kinds: docker, git, github, hockeyapp, path, s3')
  })

  it('gives the secrets of every kind once, in the order of the init and clone flags', () => {
    expect(SECRETS.map((secret) => secret.name)).toEqual(['github-token', 'docker-token', 's3-access-key', 's3-secret-key', 'hockeyapp-token'])
  })

  it('tells which stored kinds a run may write and which give an image (shorthands such as github are no stored kind)', () => {
    expect(storedKindsWhere((declaration) => declaration.writable)).toEqual(['git', 'path', 's3'])
    expect(storedKindsWhere((declaration) => declaration.providesImage)).toEqual(['docker'])
  })

  it('names kinds in a sentence', () => {
    expect(listKinds(['docker'])).toBe('docker')
    expect(listKinds(['git', 's3'])).toBe('git or s3')
    expect(listKinds(KNOWN_KINDS)).toBe('git, github, path, docker, s3 or hockeyapp')
  })
})
