import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import type {RunRecord} from '../../src/core/model/run.js'
import {claimRun, liveClaims, staleClaims} from '../../src/core/node/claims.js'
import {projectAt} from '../../src/core/project.js'
import {tempDir} from '../helpers/tmp.js'

const run = (id: string) => ({id, node: `node-${id}`}) as unknown as RunRecord
// A pid that is not running: far above any pid_max.
const DEAD_PID = 2 ** 30

describe('claims', () => {
  it('lists this process’s claims (known without reading them back) until released', async () => {
    const project = projectAt(tempDir())
    const claim = await claimRun(project, run('r1'))
    expect('release' in claim).toBe(true)
    const file = path.join(project.cacheDir, 'claims', 'r1.json')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({pid: process.pid, run: {id: 'r1'}})
    expect([...(await liveClaims(project)).keys()]).toEqual(['r1'])
    // A second claim on the same run by this process is refused: the claim is the file, not the memory.
    expect('heldBy' in (await claimRun(project, run('r1')))).toBe(true)
    if ('release' in claim) await claim.release()
    expect((await liveClaims(project)).size).toBe(0)
  })

  it('reads other processes’ claims from disk: live ones are listed, dead ones are stale', async () => {
    const project = projectAt(tempDir())
    const dir = path.join(project.cacheDir, 'claims')
    mkdirSync(dir, {recursive: true})
    writeFileSync(path.join(dir, 'alive.json'), JSON.stringify({pid: process.ppid, host: hostname(), run: run('alive')}))
    writeFileSync(path.join(dir, 'dead.json'), JSON.stringify({pid: DEAD_PID, host: hostname(), run: run('dead')}))
    expect([...(await liveClaims(project)).keys()]).toEqual(['alive'])
    expect((await staleClaims(project)).map((s) => s.claim.run.id)).toEqual(['dead'])
    // A dead process's claim is taken over.
    const taken = await claimRun(project, run('dead'))
    expect('release' in taken).toBe(true)
    expect([...(await liveClaims(project)).keys()].sort()).toEqual(['alive', 'dead'])
    if ('release' in taken) await taken.release()
  })

  it('removes a claim that lost its content in a power cut (claims are not fsynced)', async () => {
    const project = projectAt(tempDir())
    const dir = path.join(project.cacheDir, 'claims')
    mkdirSync(dir, {recursive: true})
    writeFileSync(path.join(dir, 'torn.json'), '')
    writeFileSync(path.join(dir, 'dead.json'), JSON.stringify({pid: DEAD_PID, host: hostname(), run: run('dead')}))
    expect((await staleClaims(project)).map((s) => s.claim.run.id)).toEqual(['dead'])
    expect(existsSync(path.join(dir, 'torn.json'))).toBe(false)
  })

  it('never takes a run as its own when the claim there can be neither read nor removed: it reports it held', async () => {
    const project = projectAt(tempDir())
    // Something that is not a claim file sits where the claim goes: linking fails, reading fails, removing fails.
    mkdirSync(path.join(project.cacheDir, 'claims', 'blocked.json', 'inside'), {recursive: true})
    const claim = await claimRun(project, run('blocked'))
    expect(claim).toEqual({heldBy: undefined})
    expect((await liveClaims(project)).size).toBe(0)
  })
})
