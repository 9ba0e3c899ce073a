import {spawnSync} from 'node:child_process'
import {appendFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {canonicalJson} from '../../src/base/canonical-json.js'
import type {Version} from '../../src/base/version.js'
import {MetaRepo} from '../../src/core/meta-repo.js'
import type {NodeDef} from '../../src/core/model/node.js'
import type {RunRecord, RunStatus} from '../../src/core/model/run.js'
import {dueStates, type NodeDue} from '../../src/core/node/due-cache.js'
import {nodeDues} from '../../src/core/status.js'
import {loadAllNodes} from '../../src/core/node/store.js'
import {projectAt} from '../../src/core/project.js'
import {runRecord} from '../helpers/runs.js'
import {tempDir} from '../helpers/tmp.js'

const v1 = 'sha1:1111111111111111111111111111111111111111' as Version
const v2 = 'sha1:2222222222222222222222222222222222222222' as Version
const v3 = 'sha1:3333333333333333333333333333333333333333' as Version
const nodeDef = (id: string, inputs: string[]): NodeDef => ({format: 1, id: id.repeat(64), command: ['make', id], labels: [], inputs, outputs: [`${id}-out`]}) as NodeDef
const n1 = nodeDef('1', ['a', 'b'])
const n2 = nodeDef('2', ['b'])

function runOf(node: NodeDef, inputs: Record<string, Version>, status: RunStatus, attempt = 1, hostname = 'here'): RunRecord {
  return runRecord(node, inputs, status, {attempt, startedAt: `2024-01-01T00:00:0${attempt}.000Z`, machine: {hostname, os: 'linux', arch: 'x64'}})
}

/** A metadata folder: sources a (at v1) and b (at v2), n1 and n2 each with a successful run on them. */
function project(): MetaRepo {
  const meta = new MetaRepo(projectAt(tempDir()))
  for (const [name, version] of [['a', v1], ['b', v2]]) {
    write(meta, `sources/${name}.json`, canonicalJson({format: 1, name, kind: 'path', location: name}))
    write(meta, `versions/${name}.jsonl`, `${JSON.stringify({observed: '2024-01-01T00:00:00.000Z', version})}\n`)
  }
  for (const node of [n1, n2]) {
    write(meta, `nodes/${node.id}.json`, canonicalJson(node))
    writeRun(meta, runOf(node, node === n1 ? {a: v1, b: v2} : {b: v2}, 'success'))
  }
  return meta
}

function write(meta: MetaRepo, rel: string, text: string): void {
  mkdirSync(path.dirname(meta.abs(rel)), {recursive: true})
  writeFileSync(meta.abs(rel), text)
}

const writeRun = (meta: MetaRepo, run: RunRecord) => write(meta, `runs/${run.node}/${run.id}.json`, JSON.stringify(run))
const claimFile = (meta: MetaRepo, run: RunRecord) => path.join(meta.project.cacheDir, 'claims', `${run.id}.json`)
const cacheFile = (meta: MetaRepo) => path.join(meta.project.cacheDir, 'status.json')

/** What a status shows of a node's state. */
const shown = (dues: NodeDue[]) =>
  dues.map(({node, due}) => ({node: node.id.slice(0, 1), state: due.state, ...(due.state === 'due' ? {key: due.key, reasons: due.reasons} : {}), ...('run' in due ? {run: due.run.id} : {})}))

/**
 * The states through the cache, checked against the states read without it; racy stamps are allowed for none, so
 * that the stamps themselves are what is checked (callers wait a few ms between a change and the next status).
 */
async function cachedStates(meta: MetaRepo): Promise<ReturnType<typeof shown>> {
  const cached = shown((await dueStates(meta, {racyMs: 0})).nodes)
  expect(cached).toEqual(shown(await nodeDues(meta, {nodes: await loadAllNodes(meta)})))
  return cached
}

const stateOf = async (meta: MetaRepo, node: NodeDef) => (await cachedStates(meta)).find((entry) => entry.node === node.id.slice(0, 1))?.state

/** Past the file system clock's tick: a change now gets another time than the stamps taken before. */
const tick = () => sleep(30)

/** The project, its states cached, and a tick of the clock: a change made now has another stamp. */
async function cachedProject(): Promise<MetaRepo> {
  const meta = project()
  await cachedStates(meta)
  await tick()
  return meta
}

/** Rewrites a file in place (same inode), as an editor that does not rename would. */
function editInPlace(meta: MetaRepo, rel: string, edit: (text: string) => string): void {
  const file = meta.abs(rel)
  writeFileSync(file, edit(readFileSync(file, 'utf8')))
}

const hosts = process.env.DKT_HOST
beforeEach(() => {
  process.env.DKT_HOST = 'here'
})
afterEach(() => {
  if (hosts === undefined) delete process.env.DKT_HOST
  else process.env.DKT_HOST = hosts
})

describe('the cache of due states', () => {
  it('reads nothing but stamps when nothing changed, and is not rewritten then', async () => {
    const meta = project()
    expect(await cachedStates(meta)).toMatchObject([{state: 'up-to-date'}, {state: 'up-to-date'}])
    const written = statSync(cacheFile(meta)).mtimeMs
    await tick()
    const {reads} = await meta.traceReads(() => dueStates(meta, {racyMs: 0}))
    expect(reads.size).toBe(0)
    expect(statSync(cacheFile(meta)).mtimeMs).toBe(written)
  })

  it('sees a new observation appended in place, and reads again only the readers of that source', async () => {
    const meta = await cachedProject()
    appendFileSync(meta.abs('versions/a.jsonl'), `${JSON.stringify({observed: '2024-01-02T00:00:00.000Z', version: v3})}\n`)
    const {reads} = await meta.traceReads(() => dueStates(meta, {racyMs: 0}))
    expect([...reads.keys()].filter((rel) => rel.startsWith('nodes/'))).toEqual([`nodes/${n1.id}.json`])
    expect(await stateOf(meta, n1)).toBe('due')
    expect(await stateOf(meta, n2)).toBe('up-to-date')
  })

  it('sees a pin edited into a source file by hand', async () => {
    const meta = await cachedProject()
    editInPlace(meta, 'sources/b.json', (text) => canonicalJson({...JSON.parse(text), pin: v3}))
    expect(await stateOf(meta, n1)).toBe('due')
    expect(await stateOf(meta, n2)).toBe('due')
  })

  it('sees a run file edited in place to the same size, then a second attempt added', async () => {
    const meta = await cachedProject()
    const first = runOf(n1, {a: v1, b: v2}, 'success')
    editInPlace(meta, `runs/${n1.id}/${first.id}.json`, (text) => text.replace('"success"', '"failure"'))
    expect(await stateOf(meta, n1)).toBe('failed')
    await tick()
    writeRun(meta, runOf(n1, {a: v1, b: v2}, 'success', 2))
    expect(await stateOf(meta, n1)).toBe('up-to-date')
  })

  it('sees nodes added and removed, and an input whose versions file is removed', async () => {
    const meta = await cachedProject()
    const n3 = nodeDef('3', ['a'])
    write(meta, `nodes/${n3.id}.json`, canonicalJson(n3))
    expect(await stateOf(meta, n3)).toBe('due')
    await tick()
    rmSync(meta.abs(`nodes/${n2.id}.json`))
    expect((await cachedStates(meta)).map((entry) => entry.node)).toEqual(['1', '3'])
    await tick()
    rmSync(meta.abs('versions/a.jsonl'))
    expect(await stateOf(meta, n1)).toBe('waiting')
  })

  it('sees claims come and go, and a claiming process die', async () => {
    const meta = project()
    const next = runOf(n1, {a: v3, b: v2}, 'running')
    appendFileSync(meta.abs('versions/a.jsonl'), `${JSON.stringify({observed: '2024-01-02T00:00:00.000Z', version: v3})}\n`)
    expect(await stateOf(meta, n1)).toBe('due')
    const claim = (pid: number) => {
      mkdirSync(path.dirname(claimFile(meta, next)), {recursive: true})
      writeFileSync(claimFile(meta, next), JSON.stringify({pid, host: 'here', run: next}))
    }
    claim(process.pid)
    expect(await stateOf(meta, n1)).toBe('running')
    rmSync(claimFile(meta, next))
    expect(await stateOf(meta, n1)).toBe('due')
    // Recorded running by this machine: running while its process lives, interrupted (due again) once it died.
    await tick()
    writeRun(meta, next)
    claim(process.pid)
    expect(await stateOf(meta, n1)).toBe('running')
    const dead = spawnSync('true').pid as number
    claim(dead)
    expect((await cachedStates(meta))[0]).toMatchObject({state: 'due', reasons: [{type: 'retry', last: 'interrupted'}]})
  })

  it('is read again under another host name (DKT_HOST)', async () => {
    const meta = project()
    appendFileSync(meta.abs('versions/a.jsonl'), `${JSON.stringify({observed: '2024-01-02T00:00:00.000Z', version: v3})}\n`)
    writeRun(meta, runOf(n1, {a: v3, b: v2}, 'running', 1, 'there'))
    await tick()
    expect(await stateOf(meta, n1)).toBe('running')
    process.env.DKT_HOST = 'there'
    expect(await stateOf(meta, n1)).toBe('due')
  })

  it('gives a torn line warning every time, and ignores a garbled cache', async () => {
    const meta = project()
    const warnings: string[] = []
    meta.onWarning = (message) => warnings.push(message)
    appendFileSync(meta.abs('versions/a.jsonl'), '{"observed":"2024-01-0')
    await cachedStates(meta)
    await tick()
    await cachedStates(meta)
    expect(warnings.filter((w) => w.includes('versions/a.jsonl')).length).toBeGreaterThanOrEqual(4)
    writeFileSync(cacheFile(meta), '{"format":1,"host":"here","paths":')
    expect(await stateOf(meta, n2)).toBe('up-to-date')
    // The states (the second line) garbled under stamps that still hold: read again.
    const [stamps] = readFileSync(cacheFile(meta), 'utf8').split('\n')
    writeFileSync(cacheFile(meta), `${stamps}\n[{"node":`)
    expect(await stateOf(meta, n2)).toBe('up-to-date')
  })

  it('is written again once a racy stamp has settled, so that its node is not read at every status', async () => {
    const meta = project()
    await sleep(500)
    appendFileSync(meta.abs('versions/a.jsonl'), `${JSON.stringify({observed: '2024-01-02T00:00:00.000Z', version: v3})}\n`)
    // Cached with the observation just appended as racy (the rest is older), as a scheduler's last runs are.
    await dueStates(meta, {racyMs: 250})
    await tick()
    const again = await meta.traceReads(() => dueStates(meta, {racyMs: 0}))
    expect([...again.reads.keys()].filter((rel) => rel.startsWith('nodes/'))).toEqual([`nodes/${n1.id}.json`])
    const {reads} = await meta.traceReads(() => dueStates(meta, {racyMs: 0}))
    expect(reads.size).toBe(0)
    expect(await stateOf(meta, n1)).toBe('due')
  })

  it('does not trust a file changed too recently to tell from its stamp (same size, same tick)', async () => {
    const meta = project()
    expect((await dueStates(meta)).nodes[0].due.state).toBe('up-to-date')
    const first = runOf(n1, {a: v1, b: v2}, 'success')
    editInPlace(meta, `runs/${n1.id}/${first.id}.json`, (text) => text.replace('"success"', '"failure"'))
    expect((await dueStates(meta)).nodes[0].due.state).toBe('failed')
  })
})
