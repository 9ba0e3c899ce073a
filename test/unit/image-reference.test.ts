// Golden tests of image reference parsing, registry URLs and WWW-Authenticate challenges (pure functions).
import {describe, expect, it} from 'vitest'

import {parseChallenge} from '../../src/kinds/docker/registry-api.js'
import {locationOf, parseImageReference, pinnedImage, registryBaseUrl} from '../../src/base/image-reference.js'

const DIGEST = `sha256:${'ab'.repeat(32)}`

describe('parseImageReference', () => {
  it.each([
    ['team/web', {registry: 'docker.io', repository: 'team/web'}],
    ['team/web:1.2', {registry: 'docker.io', repository: 'team/web', tag: '1.2'}],
    ['ubuntu', {registry: 'docker.io', repository: 'library/ubuntu'}],
    ['ubuntu:22.04', {registry: 'docker.io', repository: 'library/ubuntu', tag: '22.04'}],
    ['127.0.0.1:5000/team/web', {registry: '127.0.0.1:5000', repository: 'team/web'}],
    ['127.0.0.1:5000/team/web:v1', {registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v1'}],
    ['localhost/web', {registry: 'localhost', repository: 'web'}],
    ['ghcr.io/org/sub/img:edge', {registry: 'ghcr.io', repository: 'org/sub/img', tag: 'edge'}],
    ['docker://team/web:x', {registry: 'docker.io', repository: 'team/web', tag: 'x'}],
    [`team/web@${DIGEST}`, {registry: 'docker.io', repository: 'team/web', digest: DIGEST}],
    [`reg.example:443/a/b:t@${DIGEST}`, {registry: 'reg.example:443', repository: 'a/b', tag: 't', digest: DIGEST}],
  ])('%s', (text, expected) => {
    expect(parseImageReference(text)).toEqual({tag: undefined, digest: undefined, ...expected})
  })

  it.each([
    ['', 'it is empty'],
    ['Team/Web', 'lowercase'],
    ['team/web:', 'not a valid tag'],
    ['team/web:bad tag', 'not a valid tag'],
    ['team//web', 'lowercase'],
    ['team/web@sha256:123', 'digest'],
  ])('rejects %j', (text, why) => {
    expect(() => parseImageReference(text)).toThrow(why)
  })

  it('stores the location without tag and pins with a digest', () => {
    const ref = parseImageReference('127.0.0.1:5000/team/web:v1')
    expect(locationOf(ref)).toBe('127.0.0.1:5000/team/web')
    expect(pinnedImage(locationOf(ref), DIGEST)).toBe(`127.0.0.1:5000/team/web@${DIGEST}`)
  })
})

describe('registryBaseUrl', () => {
  it.each([
    ['docker.io', [], 'https://registry-1.docker.io/v2'],
    ['127.0.0.1:5000', [], 'http://127.0.0.1:5000/v2'],
    ['localhost:5000', [], 'http://localhost:5000/v2'],
    ['ghcr.io', [], 'https://ghcr.io/v2'],
    ['reg.lan:5000', ['reg.lan:5000'], 'http://reg.lan:5000/v2'],
    ['reg.lan:5000', ['reg.lan'], 'http://reg.lan:5000/v2'],
  ])('%s (insecure %j)', (registry, insecure, url) => {
    expect(registryBaseUrl(registry, insecure)).toBe(url)
  })
})

describe('parseChallenge', () => {
  it('reads a bearer challenge', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"')).toEqual({
      scheme: 'bearer',
      params: {realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/ubuntu:pull'},
    })
  })
  it('reads a basic challenge and unquoted or escaped values', () => {
    expect(parseChallenge('Basic realm="Registry \\"x\\""')).toEqual({scheme: 'basic', params: {realm: 'Registry "x"'}})
    expect(parseChallenge('Bearer realm=https://t/x, error=invalid_token')).toEqual({
      scheme: 'bearer',
      params: {realm: 'https://t/x', error: 'invalid_token'},
    })
  })
})
