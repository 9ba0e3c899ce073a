import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {describe, expect, it} from 'vitest'

import {machineName} from '../../src/base/host.js'
import {MetaRepo} from '../../src/core/meta-repo.js'
import type {RunRecord, RunStatus} from '../../src/core/model/run.js'
import {runningHere} from '../../src/core/node/running-scan.js'
import {projectAt} from '../../src/core/project.js'
import {tempDir} from '../helpers/tmp.js'

const none = new Set<string>()

function run(node: string, id: string, status: RunStatus, hostname = machineName()): RunRecord {
  return {id: id.repeat(64), node: node.repeat(64), status, machine: {hostname, os: 'linux', arch: 'x64'}} as RunRecord
}

function writeRun(meta: MetaRepo, record: RunRecord): void {
  const file = meta.abs(`runs/${record.node}/${record.id}.json`)
  mkdirSync(path.dirname(file), {recursive: true})
  writeFileSync(file, JSON.stringify(record))
}

/** The run files read by a scan (those it could not judge from the cache). */
async function scan(meta: MetaRepo, skip: Set<string> = none): Promise<{ids: string[]; read: number}> {
  const {result, reads} = await meta.traceReads(() => runningHere(meta, skip, 0))
  return {ids: result.map((r) => r.id[0]).sort(), read: [...reads.keys()].filter((rel) => rel.endsWith('.json')).length}
}

describe('the runs recorded running here, found by stats', () => {
  it('finds running runs of this machine, not claimed ones nor other machines', async () => {
    const meta = new MetaRepo(projectAt(tempDir()))
    writeRun(meta, run('1', 'a', 'running'))
    writeRun(meta, run('1', 'b', 'success'))
    writeRun(meta, run('2', 'c', 'running', 'elsewhere'))
    writeRun(meta, run('2', 'd', 'running'))
    expect((await scan(meta)).ids).toEqual(['a', 'd'])
    expect((await scan(meta, new Set(['d'.repeat(64)]))).ids).toEqual(['a'])
  })

  it('reads again only what changed: a run rewritten, a run added, a folder removed', async () => {
    const meta = new MetaRepo(projectAt(tempDir()))
    writeRun(meta, run('1', 'a', 'running'))
    writeRun(meta, run('1', 'b', 'success'))
    writeRun(meta, run('2', 'c', 'success'))
    // Past the file system clock's tick of these writes: with no racy window, what is older is settled.
    await sleep(20)
    expect(await scan(meta)).toEqual({ids: ['a'], read: 3})
    await sleep(20)
    // Only the running one is read again (for its record); the others are judged by their stamps.
    expect(await scan(meta)).toEqual({ids: ['a'], read: 1})
    await sleep(20)
    writeRun(meta, run('1', 'a', 'success'))
    writeRun(meta, run('2', 'e', 'running'))
    expect(await scan(meta)).toEqual({ids: ['e'], read: 2})
    await sleep(20)
    rmSync(meta.abs(`runs/${'2'.repeat(64)}`), {recursive: true})
    expect(await scan(meta)).toEqual({ids: [], read: 0})
  })

  it('does not trust what changed in the last moments (racy), and survives a garbled cache', async () => {
    const meta = new MetaRepo(projectAt(tempDir()))
    writeRun(meta, run('1', 'a', 'success'))
    await runningHere(meta, none)
    const {reads} = await meta.traceReads(() => runningHere(meta, none))
    expect([...reads.keys()].filter((rel) => rel.endsWith('.json'))).toHaveLength(1)
    writeFileSync(path.join(meta.project.cacheDir, 'running.json'), '{"format": 1,')
    expect((await scan(meta)).ids).toEqual([])
  })
})
