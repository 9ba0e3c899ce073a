import {mkdirSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import type {Version} from '../../src/base/version.js'
import {runId} from '../../src/core/ids.js'
import type {NodeDef} from '../../src/core/model/node.js'
import type {RunRecord, RunStatus} from '../../src/core/model/run.js'
import {MetaRepo} from '../../src/core/meta-repo.js'
import {decideDue, type DueFacts, nodeDue} from '../../src/core/node/due.js'
import {INTERRUPTED} from '../../src/core/node/recover.js'
import {loadRuns} from '../../src/core/node/store.js'
import {projectAt} from '../../src/core/project.js'
import {runRecord} from '../helpers/runs.js'
import {tempDir} from '../helpers/tmp.js'

const node = {format: 1, id: 'n'.repeat(64), command: ['make'], labels: [], inputs: ['a', 'b'], outputs: []} as NodeDef
const v1 = 'sha1:1111111111111111111111111111111111111111' as Version
const v2 = 'sha1:2222222222222222222222222222222222222222' as Version
const now = {a: v1, b: v2}
const before = {a: v1, b: v1}

let started = 0
/** A run of the node on the given inputs; later calls are newer runs. */
function run(inputs: Record<string, Version>, status: RunStatus, extra: Partial<RunRecord> = {}): RunRecord {
  return runRecord(node, inputs, status, {startedAt: new Date(Date.UTC(2024, 0, 1, 0, 0, started++)).toISOString(), ...extra})
}

/** `runs` oldest first, as they happened; the rule gets them newest first. */
const decide = (runs: RunRecord[], extra: Partial<DueFacts> = {}) =>
  decideDue({node, versions: now, missing: [], runs: [...runs].reverse(), claimed: [], ...extra})

describe('the due rule', () => {
  it('waits while an input has no version', () => {
    expect(decideDue({node, versions: {a: v1}, missing: ['b'], runs: [], claimed: []})).toEqual({state: 'waiting', missing: ['b']})
  })

  it('a node never run is due', () => {
    expect(decide([])).toEqual({state: 'due', key: runId(node.id, now), reasons: [{type: 'never-run'}]})
  })

  it('a node whose inputs changed since its last run is due, naming each changed input', () => {
    expect(decide([run(before, 'success')])).toMatchObject({state: 'due', reasons: [{type: 'input-changed', input: 'b', before: v1, after: v2}]})
    expect(decide([run({a: v1}, 'success')])).toMatchObject({reasons: [{type: 'input-changed', input: 'b', before: null, after: v2}]})
  })

  it('a success on the current inputs makes it up to date, whatever came after', () => {
    const success = run(now, 'success')
    expect(decide([success, run(now, 'failure', {attempt: 2})])).toEqual({state: 'up-to-date', run: success})
  })

  it('a failed run on the current inputs is not retried automatically (as in Concourse)', () => {
    const failed = run(now, 'failure')
    expect(decide([run(before, 'success'), failed])).toEqual({state: 'failed', run: failed})
    const errored = run(now, 'error', {reason: 'image not found'})
    expect(decide([errored])).toEqual({state: 'failed', run: errored})
    // a rerun of it cancelled later leaves it failed
    expect(decide([failed, run(now, 'cancelled', {attempt: 2})])).toEqual({state: 'failed', run: failed})
  })

  it('a cancelled or interrupted run on the current inputs is due again', () => {
    expect(decide([run(now, 'cancelled')])).toMatchObject({state: 'due', reasons: [{type: 'retry', last: 'cancelled'}]})
    expect(decide([run(now, 'error', {reason: INTERRUPTED})])).toMatchObject({state: 'due', reasons: [{type: 'retry', last: 'interrupted'}]})
  })

  it('is running while a live process holds a claim on the current inputs, or a running run is recorded', () => {
    const claimed = run(now, 'running', {attempt: 2})
    expect(decide([run(now, 'failure')], {claimed: [claimed]})).toEqual({state: 'running', run: claimed})
    const recorded = run(now, 'running')
    expect(decide([recorded])).toEqual({state: 'running', run: recorded})
    // a claim on older inputs does not make the current ones running
    expect(decide([], {claimed: [run(before, 'running')]})).toMatchObject({state: 'due'})
  })

  it('a run recorded running on this machine that no live process claims is interrupted (issue 11 defect 6)', () => {
    const here = {hostname: 'here', os: 'linux', arch: 'x64'}
    const left = run(now, 'running', {machine: here})
    expect(decide([left], {host: 'here'})).toMatchObject({state: 'due', key: left.key, reasons: [{type: 'retry', last: 'interrupted'}]})
    // still running while its process holds the claim
    expect(decide([left], {host: 'here', claimed: [left]})).toEqual({state: 'running', run: left})
    // recorded on another machine: this one cannot tell its process is dead
    expect(decide([run(now, 'running', {machine: {...here, hostname: 'there'}})], {host: 'here'})).toMatchObject({state: 'running'})
  })
})

describe('nodeDue reading the files', () => {
  /** A metadata folder holding the node's two sources at `now` and the given runs. */
  function project(runs: RunRecord[]): MetaRepo {
    const meta = new MetaRepo(projectAt(tempDir()))
    const write = (rel: string, text: string) => {
      mkdirSync(path.dirname(meta.abs(rel)), {recursive: true})
      writeFileSync(meta.abs(rel), text)
    }
    for (const [name, version] of Object.entries(now)) {
      write(`sources/${name}.json`, JSON.stringify({format: 1, name, kind: 'path', location: name}))
      write(`versions/${name}.jsonl`, `${JSON.stringify({observed: '2024-01-01T00:00:00.000Z', version})}\n`)
    }
    for (const r of runs) write(`runs/${node.id}/${r.id}.json`, JSON.stringify(r))
    return meta
  }

  it('decides as the rule does from every run, also when it reads only the first attempt on the current inputs', async () => {
    const cases = [
      [run(before, 'success')],
      [run(before, 'success'), run(now, 'success')],
      [run(now, 'success'), run(now, 'success', {attempt: 2})],
      [run(now, 'failure'), run(now, 'success', {attempt: 2})],
      [run(now, 'success'), run(now, 'failure', {attempt: 2})],
      [run(now, 'failure')],
    ]
    for (const runs of cases) {
      const meta = project(runs)
      const fromEveryRun = await nodeDue(meta, node, [], (id) => loadRuns(meta, id))
      expect(await nodeDue(meta, node, [])).toEqual(fromEveryRun)
    }
    expect(await nodeDue(project(cases[2]), node, [])).toMatchObject({state: 'up-to-date', run: {attempt: 2}})
  })
})
