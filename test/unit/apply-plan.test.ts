// The plan of `dkt apply` (pure): golden plans for additions, changes and removals, and the file's JSON Schema.
import {readFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {planLine} from '../../src/cli/apply-render.js'
import {NEW_TEMPORARY_FOLDER, planCounts, planPipeline} from '../../src/core/apply/plan.js'
import {PIPELINE_SCHEMA} from '../../src/core/apply/schema.js'
import type {NodeDef} from '../../src/core/model/node.js'
import type {SourceDef} from '../../src/core/model/source.js'
import {REPO_ROOT} from '../helpers/cli.js'

const source = (name: string, fields: Partial<SourceDef> = {}): SourceDef => ({format: 1, name, kind: 'path', location: name, ...fields})
const node = (id: string, fields: Partial<NodeDef> = {}): NodeDef => ({
  format: 1,
  id: id.padEnd(64, '0'),
  command: ['make'],
  labels: [],
  inputs: ['data'],
  outputs: ['out'],
  ...fields,
})

describe('planPipeline', () => {
  it('has nothing to do when both sides are the same', () => {
    const state = {sources: [source('data'), source('out')], nodes: [node('aa', {name: 'build'})]}
    expect(planPipeline(state, structuredClone(state))).toEqual([])
  })

  it('adds, changes and removes sources by name, with the changed fields', () => {
    const current = {
      sources: [source('app', {kind: 'git', location: 'https://x/app', tag: 'main'}), source('old'), source('data')],
      nodes: [],
    }
    const desired = {
      sources: [
        source('app', {kind: 'git', location: 'https://x/app', tag: 'release', pin: 'sha1:3dd2cc1d0000000000000000000000000000000a'}),
        source('data', {paused: true}),
        source('docs', {kind: 'git', location: 'https://x/app', tag: 'release', path: '/docs', parent: 'app'}),
        source('scratch', {location: NEW_TEMPORARY_FOLDER}),
      ],
      nodes: [],
    }
    const plan = planPipeline(current, desired)
    expect(plan.map(planLine)).toEqual([
      '~ source app  tag: main → release, pin: - → sha1:3dd2cc1d',
      '~ source data  paused: - → true',
      '+ source docs  git from app, path /docs',
      '- source old  path old',
      '+ source scratch  path a new temporary folder',
    ])
    expect(plan[0]).toEqual({
      action: 'change',
      type: 'source',
      name: 'app',
      id: null,
      previousId: null,
      summary: null,
      changes: [
        {field: 'tag', from: 'main', to: 'release'},
        {field: 'pin', from: null, to: 'sha1:3dd2cc1d0000000000000000000000000000000a'},
      ],
    })
    expect(planCounts(plan)).toEqual({add: 2, change: 2, remove: 1})
  })

  it('matches nodes by ID first (a rename), then by name (a new definition, a new ID)', () => {
    const current = {
      sources: [],
      nodes: [node('aa', {name: 'build'}), node('bb'), node('cc', {name: 'test', command: ['make', 'test']}), node('dd', {name: 'gone'})],
    }
    const desired = {
      sources: [],
      nodes: [
        node('aa', {name: 'compile'}),
        node('bb', {name: 'lint'}),
        node('ee', {name: 'test', command: ['make', 'check'], labels: ['linux']}),
        node('ff', {name: 'new', command: ['deploy']}),
      ],
    }
    expect(planPipeline(current, desired).map(planLine)).toEqual([
      '~ node compile  aa000000  name: build → compile',
      '- node gone  dd000000  make (its runs stay in the history)',
      '~ node lint  bb000000  name: - → lint',
      '+ node new  ff000000  deploy',
      '~ node test  cc000000 → ee000000  command: make test → make check, labels: - → linux',
    ])
  })

  it('removes a node without a name under its short ID, and shows a changed script by its digest', () => {
    const script = (digest: string) => ({path: 'run.sh', digest: digest.padEnd(64, '0'), content: ''})
    const current = {sources: [], nodes: [node('aa'), node('bb', {name: 's', command: ['run.sh'], script: script('12')})]}
    const desired = {sources: [], nodes: [node('cc', {name: 's', command: ['run.sh'], script: script('34')})]}
    expect(planPipeline(current, desired).map(planLine)).toEqual([
      '- node aa000000  make (its runs stay in the history)',
      '~ node s  bb000000 → cc000000  script: run.sh@12000000 → run.sh@34000000',
    ])
  })
})

describe('schemas/dkt-yml.json', () => {
  it('is the schema the loader checks files with', () => {
    const file = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'dkt-yml.json'), 'utf8'))
    expect(file).toEqual(PIPELINE_SCHEMA)
  })
})
