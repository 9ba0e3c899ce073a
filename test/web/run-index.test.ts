// The web view's run index: caught up from `git diff` when HEAD moves (rebuilt when the old commit is gone), and a
// run that has ended shown at once, before any commit records it.
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {followRun, runsNow} from '../../src/core/history.js'
import {MetaRepo} from '../../src/core/meta-repo.js'
import type {RunRecord} from '../../src/core/model/run.js'
import {headCommit, RunIndex} from '../../src/core/node/run-index.js'
import {projectAt} from '../../src/core/project.js'
import {dktJson} from '../helpers/cli.js'
import {git} from '../helpers/git.js'
import {newProject} from '../helpers/project.js'

interface Ran {
  node: string
  run: {id: string}
}

const ids = (runs: RunRecord[]) => runs.map((run) => run.id)

describe('the run index', () => {
  it('follows HEAD with one diff per move, and rebuilds when the commit it knew is gone', async () => {
    const dir = await newProject()
    const repo = new MetaRepo(projectAt(dir))
    const index = new RunIndex(repo)
    const first = await dktJson<Ran>(['node', 'run', '--', 'echo', 'one'], {cwd: dir})
    expect(ids(await index.runs())).toEqual([first.run.id])
    const second = await dktJson<Ran>(['node', 'run', '--', 'echo', 'two'], {cwd: dir})
    expect(ids(await index.runs())).toEqual([second.run.id, first.run.id])
    expect(await index.runsOf(second.node)).toHaveLength(1)

    // Only what the diff names is read again: a manifest changed outside any commit stays as the index read it.
    const meta = path.join(dir, '.dkt')
    const firstFile = path.join(meta, 'runs', first.node, `${first.run.id}.json`)
    writeFileSync(firstFile, JSON.stringify({...(await index.runs())[1], status: 'cancelled'}))
    git(meta, ['commit', '-q', '--allow-empty', '-m', 'unrelated'])
    expect((await index.runs()).map((run) => run.status)).toEqual(['success', 'success'])
    expect((await new RunIndex(repo).runs()).map((run) => run.status)).toEqual(['success', 'cancelled'])
    git(meta, ['checkout', '--', firstFile])

    // A run removed by a commit (a history edited by hand) is a change the diff tells too.
    git(meta, ['rm', '-q', `runs/${first.node}/${first.run.id}.json`])
    git(meta, ['commit', '-q', '-m', 'drop a run'])
    expect(ids(await index.runs())).toEqual([second.run.id])

    // History rewritten and the old commit pruned (refs packed): git cannot diff from it, so the index reads all again.
    git(meta, ['commit', '-q', '--amend', '-m', 'rewritten'])
    git(meta, ['reflog', 'expire', '--expire=now', '--all'])
    git(meta, ['gc', '-q', '--prune=now'])
    expect(headCommit(repo)).toBe(git(meta, ['rev-parse', 'HEAD']).trim())
    const third = await dktJson<Ran>(['node', 'run', '--', 'echo', 'three'], {cwd: dir})
    const after = ids(await index.runs())
    expect(after[0]).toBe(third.run.id)
    expect(after).toEqual(ids(await new RunIndex(repo).runs()))
  })

  it('shows a run as ended once its final state is written, before a commit records it', async () => {
    const dir = await newProject()
    const repo = new MetaRepo(projectAt(dir))
    const index = new RunIndex(repo)
    const done = await dktJson<Ran>(['node', 'run', '--', 'echo', 'one'], {cwd: dir})
    const recorded = (await index.runs())[0]
    // A run of this process, claimed, then ended: its final state written to the work tree, not committed yet.
    const going: RunRecord = {...recorded, id: 'd'.repeat(64), key: 'd'.repeat(64), attempt: 2, status: 'running', startedAt: new Date().toISOString(), endedAt: null}
    const claim = path.join(dir, '.dkt/cache/claims', `${going.id}.json`)
    mkdirSync(path.dirname(claim), {recursive: true})
    writeFileSync(claim, JSON.stringify({pid: process.pid, host: hostname(), run: going}))
    const before = headCommit(repo)
    const running = await runsNow(repo, index)
    expect(running.runs[0]).toMatchObject({id: going.id, status: 'running'})
    expect(running.live.get(going.id)?.pid).toBe(process.pid)
    // Its final state and saved log written, its process (still holding the claim) about to commit them.
    writeFileSync(path.join(dir, '.dkt/runs', done.node, `${going.id}.json`), JSON.stringify({...going, status: 'success', endedAt: new Date().toISOString()}))
    writeFileSync(path.join(dir, '.dkt/runs', done.node, `${going.id}.log`), 'saved\n')
    const ended = await runsNow(repo, index)
    expect(headCommit(repo)).toBe(before)
    expect(ended.runs[0]).toMatchObject({id: going.id, status: 'success'})
    expect(ended.live.size).toBe(0)
    expect(await followRun(repo, going)).toEqual({text: 'saved\n', next: 6, ended: true})
    rmSync(claim)
    expect((await runsNow(repo, index)).runs[0]).toMatchObject({id: going.id, status: 'success'})
  })
})
