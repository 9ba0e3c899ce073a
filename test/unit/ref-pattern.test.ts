import {describe, expect, it} from 'vitest'

import {findRef, isRefPattern, matchRefs, parseLsRemote, refMatches, shortRefName} from '../../src/kinds/ref-pattern.js'

const REFS = [
  'refs/heads/main',
  'refs/heads/feature/login',
  'refs/heads/release/1.0',
  'refs/heads/release/1.0/hotfix',
  'refs/heads/v2-branch',
  'refs/tags/v1.0',
  'refs/tags/v10.2',
  'refs/tags/vnext',
  'refs/tags/release/2.0',
  'refs/pull/3/head',
  'refs/pull/3/merge',
  'refs/pull/42/head',
  'refs/notes/commits',
]

describe('TAG patterns', () => {
  it.each([
    ['main', false],
    ['release/1.0', false],
    ['*', true],
    ['release/*', true],
    ['v[0-9]*', true],
    ['pull/*', true],
    ['v?', true],
    [undefined, false],
  ])('%s is a pattern: %s', (tag, expected) => {
    expect(isRefPattern(tag)).toBe(expected)
  })

  // Golden table: what each pattern follows among REFS.
  it.each<[string, string[]]>([
    ['*', ['refs/heads/feature/login', 'refs/heads/main', 'refs/heads/release/1.0', 'refs/heads/release/1.0/hotfix', 'refs/heads/v2-branch']],
    ['release/*', ['refs/heads/release/1.0', 'refs/tags/release/2.0']],
    ['release/**', ['refs/heads/release/1.0', 'refs/heads/release/1.0/hotfix', 'refs/tags/release/2.0']],
    ['v[0-9]*', ['refs/heads/v2-branch', 'refs/tags/v1.0', 'refs/tags/v10.2']],
    ['v[!0-9]*', ['refs/tags/vnext']],
    ['v?.?', ['refs/tags/v1.0']],
    ['pull/*', ['refs/pull/3/head', 'refs/pull/42/head']],
    ['pull/4*', ['refs/pull/42/head']],
    ['refs/tags/v*', ['refs/tags/v1.0', 'refs/tags/v10.2', 'refs/tags/vnext']],
    ['refs/*/*', ['refs/heads/main', 'refs/heads/v2-branch', 'refs/notes/commits', 'refs/tags/v1.0', 'refs/tags/v10.2', 'refs/tags/vnext']],
    ['feature/*', ['refs/heads/feature/login']],
    ['nothing-*', []],
    ['[', []],
  ])('%s', (pattern, expected) => {
    expect(matchRefs(pattern, REFS)).toEqual(expected)
  })

  it('takes regular expression characters literally', () => {
    expect(refMatches('v1.*', 'refs/tags/v1.0')).toBe(true)
    expect(refMatches('v1.*', 'refs/tags/v1x0')).toBe(false)
    expect(refMatches('a+b*', 'refs/heads/a+b-c')).toBe(true)
  })
})

describe('ref names', () => {
  it.each([
    ['refs/heads/main', 'main'],
    ['refs/heads/release/1.0', 'release/1.0'],
    ['refs/tags/v1.0', 'v1.0'],
    ['refs/pull/3/head', 'pull/3'],
    ['refs/notes/commits', 'refs/notes/commits'],
  ])('%s is shown as %s', (ref, short) => {
    expect(shortRefName(ref)).toBe(short)
  })

  it.each([
    ['refs/heads/main', 'refs/heads/main'],
    ['main', 'refs/heads/main'],
    ['v1.0', 'refs/tags/v1.0'],
    ['pull/3', 'refs/pull/3/head'],
    ['release/2.0', 'refs/tags/release/2.0'],
    ['nope', undefined],
  ])('%s names %s', (text, ref) => {
    expect(findRef(text, REFS)).toBe(ref)
  })

  it('prefers a branch to a tag of the same name, as git does', () => {
    expect(findRef('x', ['refs/tags/x', 'refs/heads/x'])).toBe('refs/heads/x')
  })
})

describe('git ls-remote output', () => {
  it('keeps refs with their objects, peels annotated tags and leaves HEAD out', () => {
    const out = [
      'aaaa\tHEAD',
      'aaaa\trefs/heads/main',
      'bbbb\trefs/tags/v1.0',
      'cccc\trefs/tags/v1.0^{}',
      'dddd\trefs/pull/3/head',
      '',
    ].join('\n')
    expect(Object.fromEntries(parseLsRemote(out))).toEqual({
      'refs/heads/main': {object: 'aaaa', commit: 'aaaa'},
      'refs/tags/v1.0': {object: 'bbbb', commit: 'cccc'},
      'refs/pull/3/head': {object: 'dddd', commit: 'dddd'},
    })
  })
})
