import {describe, expect, it} from 'vitest'

import {AmbiguousError, NotFoundError} from '../../src/base/errors.js'
import {inferKind, splitTag} from '../../src/kinds/infer.js'
import {githubUrl} from '../../src/kinds/github/index.js'

const none = {existsLocally: () => false}
const existing = (...paths: string[]) => ({existsLocally: (p: string) => paths.includes(p)})

describe('LOCATION[:TAG]', () => {
  it.each([
    ['docker/pinata:beta12', 'docker/pinata', 'beta12'],
    ['docker/pinata', 'docker/pinata', undefined],
    ['https://github.com/docker/pinata', 'https://github.com/docker/pinata', undefined],
    ['https://github.com/docker/pinata.git:v2', 'https://github.com/docker/pinata.git', 'v2'],
    ['git@github.com:docker/pinata.git', 'git@github.com:docker/pinata.git', undefined],
    ['127.0.0.1:5000/team/web', '127.0.0.1:5000/team/web', undefined],
    ['127.0.0.1:5000/team/web:1.2', '127.0.0.1:5000/team/web', '1.2'],
    ['localhost:5000', 'localhost:5000', undefined],
    ['/srv/repo:main', '/srv/repo', 'main'],
    ['git://127.0.0.1:9418/app.git:*', 'git://127.0.0.1:9418/app.git', '*'],
    ['git://127.0.0.1:9418/app.git:release/*', 'git://127.0.0.1:9418/app.git', 'release/*'],
    ['docker/pinata:pull/*', 'docker/pinata', 'pull/*'],
    ['git@github.com:docker/pinata.git:v[0-9]*', 'git@github.com:docker/pinata.git', 'v[0-9]*'],
  ])('%s', (text, location, tag) => {
    expect(splitTag(text, none)).toEqual(tag === undefined ? {location} : {location, tag})
  })

  it('never splits a location that exists locally', () => {
    expect(splitTag('./odd:name', existing('./odd:name'))).toEqual({location: './odd:name'})
  })
})

describe('kind inference', () => {
  it.each([
    ['git://host/repo.git', 'git'],
    ['ssh://host/repo', 'git'],
    ['file:///srv/repo', 'git'],
    ['https://example.com/x/y', 'git'],
    ['git@github.com:docker/pinata.git', 'git'],
    ['s3://bucket', 's3'],
    ['https://rink.hockeyapp.net/manage/apps/259320', 'hockeyapp'],
    ['registry.example.com/team/web', 'docker'],
    ['127.0.0.1:5000/team/web', 'docker'],
    ['remote/repo.git', 'git'],
  ])('%s → %s', (location, kind) => {
    expect(inferKind(location, none)).toBe(kind)
  })

  it('a missing location is a new temporary folder', () => {
    expect(inferKind(undefined, none)).toBe('path')
  })

  it('an existing local folder is a path source, an existing *.git a git source', () => {
    expect(inferKind('./data', existing('./data'))).toBe('path')
    expect(inferKind('/srv/repo.git', existing('/srv/repo.git'))).toBe('git')
  })

  it('user/repo is ambiguous between github and docker', () => {
    expect(() => inferKind('docker/pinata', none)).toThrow(AmbiguousError)
    expect(() => inferKind('docker/pinata', none)).toThrow(/-k github or -k docker/)
  })

  it('a path that does not exist is an error, not a guess', () => {
    expect(() => inferKind('./nope', none)).toThrow(NotFoundError)
    expect(() => inferKind('/no/such/dir', none)).toThrow(/does not exist/)
    expect(() => inferKind('word', none)).toThrow(/pass -k KIND/)
    expect(() => inferKind('ftp://x/y', none)).toThrow(/unknown URL scheme/)
  })
})

describe('github shortcuts', () => {
  it('expands user/repo against the base URL', () => {
    expect(githubUrl('docker/pinata', 'https://github.com')).toBe('https://github.com/docker/pinata')
    expect(githubUrl('docker/pinata.git', 'https://ghe.example.com/')).toBe('https://ghe.example.com/docker/pinata')
    expect(githubUrl('https://github.com/a/b', 'https://x')).toBe('https://github.com/a/b')
    expect(() => githubUrl('just-a-name', 'https://github.com')).toThrow(/user\/repo/)
  })
})
