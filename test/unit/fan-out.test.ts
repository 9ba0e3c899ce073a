import {describe, expect, it} from 'vitest'

import type {Version} from '../../src/base/version.js'
import type {Observation} from '../../src/core/model/source.js'
import {type DueState, pickRefDue, type RefDue} from '../../src/core/node/due.js'
import {fanOut, refsOfRun} from '../../src/core/node/fan-out.js'
import {followedRefs, refObservations, refStates, refUpdates} from '../../src/core/source/refs.js'

const v = (digit: string) => `sha1:${digit.repeat(40)}` as Version
const MAIN = 'refs/heads/main'
const FEATURE = 'refs/heads/feature'
const PR = 'refs/pull/3/head'

describe('fan-out over refs', () => {
  it('a node without a pattern input has one set, with no ref', () => {
    expect(fanOut([{name: 'a', version: v('1')}, {name: 'b', version: v('2')}])).toEqual({
      fanned: false,
      sets: [{ref: null, versions: {a: v('1'), b: v('2')}}],
      missing: [],
    })
  })

  it('one set per ref of a pattern input, other inputs at their version, sorted by ref', () => {
    const result = fanOut([{name: 'app', refs: {[MAIN]: v('1'), [FEATURE]: v('2')}}, {name: 'tools', version: v('9')}])
    expect(result.sets).toEqual([
      {ref: FEATURE, versions: {tools: v('9'), app: v('2')}},
      {ref: MAIN, versions: {tools: v('9'), app: v('1')}},
    ])
  })

  it('refs are matched by name across pattern inputs (a source and one derived from it)', () => {
    const result = fanOut([
      {name: 'app', refs: {[MAIN]: v('1'), [FEATURE]: v('2'), [PR]: v('3')}},
      {name: 'docs', refs: {[MAIN]: v('4'), [PR]: v('5')}},
    ])
    expect(result.sets).toEqual([
      {ref: MAIN, versions: {app: v('1'), docs: v('4')}},
      {ref: PR, versions: {app: v('3'), docs: v('5')}},
    ])
  })

  it('waits while an input has no version, or a pattern input no ref', () => {
    expect(fanOut([{name: 'app', refs: {}}, {name: 'b', version: v('1')}])).toEqual({fanned: true, sets: [], missing: ['app']})
    expect(fanOut([{name: 'app', refs: {[MAIN]: v('1')}}, {name: 'b'}])).toEqual({fanned: true, sets: [], missing: ['b']})
  })

  it('a run serves its own ref and every ref now at its input versions', () => {
    const sets = [
      {ref: FEATURE, key: 'k1'},
      {ref: MAIN, key: 'k1'},
      {ref: PR, key: 'k2'},
    ]
    expect(refsOfRun({ref: MAIN, key: 'k1'}, sets)).toEqual([MAIN, FEATURE])
    expect(refsOfRun({ref: 'refs/heads/gone', key: 'k2'}, sets)).toEqual(['refs/heads/gone', PR])
    expect(refsOfRun({key: 'k3'}, sets)).toEqual([])
  })
})

describe('one state for a node fanned out over refs', () => {
  const run = {id: 'r'} as never
  const entry = (ref: string, due: DueState): RefDue => ({ref, versions: {app: v('1')}, due})
  it('the first due ref, with its ref and versions; else running, failed, up to date', () => {
    const due: DueState = {state: 'due', key: 'k', reasons: [{type: 'never-run'}]}
    expect(pickRefDue([entry(FEATURE, {state: 'up-to-date', run}), entry(MAIN, due)])).toEqual({...due, ref: MAIN, versions: {app: v('1')}})
    expect(pickRefDue([entry(FEATURE, {state: 'up-to-date', run}), entry(MAIN, {state: 'failed', run})]).state).toBe('failed')
    expect(pickRefDue([entry(FEATURE, {state: 'failed', run}), entry(MAIN, {state: 'running', run})]).state).toBe('running')
    expect(pickRefDue([entry(MAIN, {state: 'up-to-date', run})]).state).toBe('up-to-date')
    expect(pickRefDue([])).toEqual({state: 'waiting', missing: []})
  })
})

describe('refs of a pattern source', () => {
  const observations: Observation[] = [
    {observed: 't1', ref: MAIN, version: v('1')},
    {observed: 't1', ref: FEATURE, version: v('2')},
    {observed: 't2', ref: MAIN, version: v('3')},
    {observed: 't3', ref: FEATURE, version: v('2'), gone: true},
  ]

  it('each ref is at its last observation; a gone ref is not followed; a pin wins', () => {
    const states = refStates({pins: {[MAIN]: v('1')}}, observations)
    expect(states.map((s) => [s.ref, s.version, s.current, s.pinned, s.gone])).toEqual([
      [FEATURE, v('2'), v('2'), false, true],
      [MAIN, v('3'), v('1'), true, false],
    ])
    expect(followedRefs(states)).toEqual({[MAIN]: v('1')})
  })

  it('a listing of the remote gives new, moved, gone and unchanged refs, and what to record', () => {
    const states = refStates({}, observations.slice(0, 3))
    const updates = refUpdates(states, {[MAIN]: v('3'), [PR]: v('4')})
    expect(updates).toEqual([
      {ref: FEATURE, previous: v('2'), version: null, changed: true},
      {ref: MAIN, previous: v('3'), version: v('3'), changed: false},
      {ref: PR, previous: null, version: v('4'), changed: true},
    ])
    expect(refObservations(updates, 't4', () => undefined)).toEqual([
      {observed: 't4', ref: FEATURE, version: v('2'), gone: true},
      {observed: 't4', ref: PR, version: v('4'), info: undefined},
    ])
  })

  it('a ref that comes back after it was gone is followed again', () => {
    const states = refStates({}, observations)
    expect(refUpdates(states, {[MAIN]: v('3'), [FEATURE]: v('5')}).find((u) => u.ref === FEATURE)).toEqual({
      ref: FEATURE,
      previous: null,
      version: v('5'),
      changed: true,
    })
  })
})
