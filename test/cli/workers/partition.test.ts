// Partition: a worker cut off from the metadata remote finishes what it runs, keeps the record as a local commit,
// starts nothing new, and pushes the record once the remote is back (its claim still holds: its lease is long).
//
// The cut is a real one, made by a TCP proxy (test/helpers/tcp-proxy.ts) the worker's clone reaches the git daemon
// through: `cut()` closes every connection and stops listening, so the worker's git gets "connection refused" until
// `restore()` listens again. (A network namespace would need root; the proxy cuts exactly one worker's traffic.)
import {spawnSync} from 'node:child_process'
import * as path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {git} from '../../helpers/git.js'
import {waitFor} from '../../helpers/git-daemon.js'
import {diagnose, eventsOf, executions, fleetForSuite, markCommand, type RemoteRun} from '../../helpers/fleet.js'
import {startTcpProxy, type TcpProxy} from '../../helpers/tcp-proxy.js'
import {tempDir} from '../../helpers/tmp.js'

const fleet = fleetForSuite()
let proxy: TcpProxy | undefined
afterEach(async () => {
  await proxy?.stop()
  proxy = undefined
})

describe('remote workers: partition', () => {
  it('a worker cut off from the remote keeps its records as local commits and pushes them when the remote is back', async () => {
    const log = path.join(tempDir(), 'executions.log')
    const app = fleet.upstream()
    const lib = fleet.upstream()
    const project = await fleet.project({
      sources: {app: {kind: 'git', location: app.url}, lib: {kind: 'git', location: lib.url}},
      nodes: {
        // Only the cut-off worker has label `cut`: one of these runs during the cut, the other must wait for the remote.
        x: {command: markCommand(log, 'x', {seconds: 5}), inputs: ['app'], labels: ['cut']},
        y: {command: markCommand(log, 'y', {seconds: 5}), inputs: ['app'], labels: ['cut']},
        // The other worker goes on meanwhile, on a new version of lib: the remote moves during the cut.
        z: {command: markCommand(log, 'z'), inputs: ['lib'], labels: ['linux']},
      },
    })
    const {remote} = project
    proxy = await startTcpProxy(Number(new URL(fleet.url).port))
    const throughProxy = remote.url.replace(/:\d+\//, `:${proxy.port}/`)
    const clone = await fleet.clone(project, throughProxy)
    // A long lease: the others must not take its claim over during the cut (that is the fencing test's case).
    const cut = await fleet.worker(project, {name: 'cut', labels: ['cut'], clone, leaseSeconds: 60, args: ['--concurrency', '1', '--no-observe']})
    const other = await fleet.worker(project, {name: 'other', labels: ['linux'], leaseSeconds: 60})

    // Cut as soon as the cut-off worker has started its first run (its command runs 5 s: it ends during the cut).
    const started = await cut.until((e) => e.type === 'run-started', 'a run started on the cut-off worker', 60_000)
    const first = started.run as {id: string; node: string}
    await proxy.cut()
    const cutAt = Date.now()
    lib.advance()

    const unreachable = await cut.until((e) => e.type === 'remote-unreachable', 'remote-unreachable', 60_000)
    expect(String(unreachable.message)).not.toBe('')
    await cut.until((e) => e.type === 'run-finished' && (e.run as {id: string}).id === first.id, 'the run finished during the cut', 60_000)
    // On a loaded machine the other worker may see lib's new version before it ever ran z on the first one: what
    // counts is a run of z started during the cut, recorded on the remote.
    const duringCut = (r: RemoteRun) => r.status === 'success' && r.inputs.lib !== undefined && Date.parse(r.startedAt) >= cutAt
    await fleet.untilRuns(project, duringCut, 1, 'z recorded by the other worker on a version of lib found during the cut', 60_000)
    // The record is a local commit of the cut-off clone, not on the remote.
    const manifest = `runs/${first.node}/${first.id}.json`
    const meta = path.join(clone, '.dkt')
    // Recorded (durable) when `run-finished` is printed; committed by the group commit at most a second later.
    await waitFor(() => spawnSync('git', ['-C', meta, 'cat-file', '-e', `HEAD:${manifest}`]).status === 0, 'the record committed in the cut-off clone', 30_000)
    expect(JSON.parse(git(meta, ['show', `HEAD:${manifest}`]))).toMatchObject({id: first.id, status: 'success'})
    expect(remote.files('runs/').includes(manifest)).toBe(false)
    // Nothing new starts while the remote is unreachable (a claim cannot be pushed).
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect(cut.events.filter((e) => e.type === 'run-started'), diagnose([cut, other])).toHaveLength(1)
    expect(eventsOf([cut], 'remote-pushed').some((e) => e.time && Date.parse(String(e.time)) > Date.parse(String(unreachable.time)))).toBe(false)

    await proxy.restore()
    await cut.until((e) => e.type === 'remote-back', 'remote-back', 60_000)
    const recorded = await fleet.untilRuns(project, (r) => r.status === 'success' && r.labels.includes('cut'), 2, 'both cut-labelled runs on the remote', 60_000)
    expect(recorded.find((r) => r.id === first.id)?.machine.hostname).toBe(cut.host)
    await Promise.all([cut.stop(), other.stop()])

    // Each executed once; everything merged into one history on the remote, clean.
    const runs = executions(log).filter((e) => e.phase === 'start')
    expect(runs.filter((e) => e.marker === 'x')).toHaveLength(1)
    expect(runs.filter((e) => e.marker === 'y')).toHaveLength(1)
    expect(remote.runs().filter((r) => r.status !== 'success')).toEqual([])
    expect(remote.sharedRefs('claims').size).toBe(0)
    expect(() => remote.fsck()).not.toThrow()
  }, 300_000)
})
