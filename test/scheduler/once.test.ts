import {readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk} from '../helpers/cli.js'
import {git} from '../helpers/git.js'
import {newProject, writeFiles} from '../helpers/project.js'
import {startScheduler} from '../helpers/scheduler.js'
import {tempDir} from '../helpers/tmp.js'

async function project(sources: string[]): Promise<string> {
  const dir = await newProject()
  writeFiles(dir, Object.fromEntries(sources.map((s) => [`${s}/x`, s])))
  for (const s of sources) await dktOk(['source', 'add', s, s], {cwd: dir})
  return dir
}

const node = (dir: string, args: string[]) => dktJson<{node: string}>(['node', 'run', '--detach', ...args], {cwd: dir}).then((r) => r.node)
const runsOf = (dir: string, id: string) => dktJson<{runs: {status: string}[]}>(['node', 'log', id], {cwd: dir}).then((r) => r.runs.filter((run) => run.status !== 'pending'))

describe('dkt scheduler --once', () => {
  it('runs due nodes in dependency order and exits 0; nothing is due afterwards', async () => {
    const dir = await project(['a', 'b', 'c'])
    const trace = path.join(tempDir(), 'trace')
    // defined downstream first, to show the order comes from the graph
    const second = await node(dir, ['--input', 'b', '--output', 'c', '--', 'sh', '-c', `echo second >> ${trace}; cat "$b_ROOT/x" > "$c_ROOT/x"`])
    const first = await node(dir, ['--input', 'a', '--output', 'b', '--', 'sh', '-c', `echo first >> ${trace}; echo from-a > "$b_ROOT/x"`])
    const result = await dkt(['scheduler', '--once', '--concurrency', '2'], {cwd: dir})
    expect(result.exitCode).toBe(0)
    expect(readFileSync(trace, 'utf8')).toBe('first\nsecond\n')
    expect(readFileSync(path.join(dir, 'c/x'), 'utf8')).toBe('from-a\n')
    expect(result.stdout).toMatch(/started\s+run [0-9a-f]{8} of node /)
    expect(result.stdout).toMatch(/success\s+run [0-9a-f]{8} of node [0-9a-f]{8} \(exit 0\) in \d+/)
    expect(result.stdout).toMatch(/done\s+2 run\(s\), 0 not successful/)
    expect(await runsOf(dir, first)).toHaveLength(1)
    expect(await runsOf(dir, second)).toHaveLength(1)
    expect(await dktOk(['status'], {cwd: dir})).toMatch(/^nothing to run/)
    expect(git(path.join(dir, '.dkt'), ['status', '--porcelain'])).toBe('')
    // a second scheduler finds nothing to do
    const again = await dkt(['scheduler', '--once', '--json'], {cwd: dir})
    expect(again.exitCode).toBe(0)
    expect(again.stdout.split('\n').filter((l) => l.includes('run-started'))).toEqual([])
  })

  it('exits 1 when a run failed, and does not retry it on its own; status says so; new inputs run it again', async () => {
    const dir = await project(['a'])
    const failing = await node(dir, ['--input', 'a', '--', 'sh', '-c', 'exit 7'])
    expect((await dkt(['scheduler', '--once'], {cwd: dir})).exitCode).toBe(1)
    const [status] = await dktJson<{node: string; state: string; due: boolean; reasons: string[]}[]>(['status'], {cwd: dir})
    expect(status).toMatchObject({node: failing, state: 'failed', due: false})
    expect(status.reasons).toEqual([expect.stringMatching(new RegExp(`^failed \\(run [0-9a-f]{8}\\); \`dkt node rerun ${failing.slice(0, 8)}\` runs it again$`))])
    const again = await dkt(['scheduler', '--once', '--json'], {cwd: dir})
    expect(again.exitCode).toBe(0)
    expect(again.stdout).not.toContain('run-started')
    writeFileSync(path.join(dir, 'a/x'), 'changed')
    const changed = await dkt(['scheduler', '--once', '--json'], {cwd: dir})
    expect(changed.exitCode).toBe(1)
    expect(changed.stdout.split('\n').filter((line) => line.includes('"run-started"'))).toHaveLength(1)
    expect(await runsOf(dir, failing)).toHaveLength(2)
  })

  it('honours --concurrency', async () => {
    const dir = await project(['a', 'b', 'c', 'd', 'e', 'f'])
    const log = path.join(tempDir(), 'log')
    for (const s of ['a', 'b', 'c', 'd', 'e', 'f']) {
      await node(dir, ['--input', s, '--', 'sh', '-c', `echo start >> ${log}; sleep 0.4; echo end >> ${log}`])
    }
    await dktOk(['scheduler', '--once', '--concurrency', '2'], {cwd: dir})
    let now = 0
    let most = 0
    for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
      now += line === 'start' ? 1 : -1
      most = Math.max(most, now)
    }
    expect(most).toBe(2)
    expect(readFileSync(log, 'utf8').match(/start/g)).toHaveLength(6)
  })

  it('runs only nodes whose labels it has; status says which labels the others wait for', async () => {
    const dir = await project(['a'])
    const mine = await node(dir, ['--labels', 'blue', '--input', 'a', 'true'])
    const theirs = await node(dir, ['--labels', 'red,big', '--input', 'a', 'true'])
    await dktOk(['scheduler', '--once', '--labels', 'blue,small'], {cwd: dir})
    expect(await runsOf(dir, mine)).toHaveLength(1)
    expect(await runsOf(dir, theirs)).toHaveLength(0)
    const status = await dktJson<{node: string; reasons: string[]}[]>(['status'], {cwd: dir})
    expect(status.find((s) => s.node === theirs)?.reasons).toEqual(['never run', 'waits for a worker labelled big,red'])
  })

  it('two schedulers with disjoint labels share the work, running nothing twice', async () => {
    const dir = await project(['a', 'b', 'c', 'd'])
    const ids: Record<string, string> = {}
    for (const [s, label] of [['a', 'left'], ['b', 'right'], ['c', 'left'], ['d', 'right']]) {
      ids[s] = await node(dir, ['--labels', label, '--input', s, '--', 'sh', '-c', 'sleep 0.2'])
    }
    const left = startScheduler(dir, ['--once', '--labels', 'left'])
    const right = startScheduler(dir, ['--once', '--labels', 'right'])
    expect(await left.exited).toBe(0)
    expect(await right.exited).toBe(0)
    for (const s of ['a', 'b', 'c', 'd']) expect(await runsOf(dir, ids[s])).toHaveLength(1)
    const started = (events: {type: string; run?: unknown}[]) => events.filter((e) => e.type === 'run-started').length
    expect([started(left.events), started(right.events)]).toEqual([2, 2])
    git(path.join(dir, '.dkt'), ['fsck', '--no-progress'])
  })

  it('an unreachable source is reported, and the other nodes still run', async () => {
    const dir = await project(['a'])
    const served = tempDir()
    git(served, ['init', '-q', '--initial-branch=main'])
    git(served, ['commit', '-q', '--allow-empty', '-m', 'one'])
    await dktOk(['source', 'add', 'remote', `file://${served}`], {cwd: dir})
    await node(dir, ['--input', 'remote', 'true'])
    const ok = await node(dir, ['--input', 'a', 'true'])
    writeFileSync(path.join(served, '.git', 'HEAD'), 'garbage')
    const result = await dkt(['scheduler', '--once', '--json'], {cwd: dir})
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(events.find((e) => e.type === 'source-error')).toMatchObject({source: 'remote', retryInSeconds: 5})
    expect(await runsOf(dir, ok)).toHaveLength(1)
  })
})
