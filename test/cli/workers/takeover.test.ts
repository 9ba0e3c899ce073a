// A worker killed (kill -9) in the middle of a run: once its lease has passed on the others' clocks, exactly one
// other worker takes its claim over, records the run `error` (worker lost), and the run is done again elsewhere.
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {eventsOf, executions, fleetForSuite, markCommand} from '../../helpers/fleet.js'
import {tempDir} from '../../helpers/tmp.js'

const fleet = fleetForSuite()

describe('remote workers: takeover', () => {
  it('kill -9 of a worker mid-run: its claim is taken over by exactly one worker, recorded error and rerun elsewhere', async () => {
    const log = path.join(tempDir(), 'executions.log')
    const upstream = fleet.upstream()
    // Long on the worker that is killed (it must still run when it dies), short where it is done again.
    const command = markCommand(log, 'slow', {seconds: 1, onHost: {host: 'host-lost', seconds: 30}})
    const project = await fleet.project({sources: {app: {kind: 'git', location: upstream.url}}, nodes: {slow: {command, inputs: ['app']}}})
    const {remote} = project
    const clones = await Promise.all(['b', 'c'].map(() => fleet.clone(project)))
    const lost = await fleet.worker(project, {name: 'lost', labels: ['linux'], leaseSeconds: 2})
    const started = await lost.until((e) => e.type === 'run-started', 'the slow run started', 60_000)
    const run = started.run as {id: string; node: string}
    const others = await Promise.all(['b', 'c'].map((name, i) => fleet.worker(project, {name, labels: ['linux'], clone: clones[i]})))
    await fleet.untilBeating(project, ['lost', 'b', 'c'])

    lost.signal('SIGKILL')
    const [retried] = await fleet.untilRuns(project, (r) => r.node === run.node && r.status === 'success', 1, 'the run done again', 60_000)
    const taken = eventsOf(others, 'claim-taken-over')
    expect(taken).toHaveLength(1)
    expect(taken[0]).toMatchObject({node: run.node, run: run.id, worker: 'lost'})

    const runs = remote.runs().filter((r) => r.node === run.node)
    const first = runs.find((r) => r.id === run.id)
    expect(first).toMatchObject({status: 'error', reason: expect.stringContaining(`worker lost: lost on ${lost.host}`)})
    expect(retried.id).not.toBe(run.id)
    expect(retried.key).toBe(first?.key)
    const taker = others.find((w) => w.name === taken[0].by)
    expect(retried.machine.hostname).toBe(taker?.host)
    expect(runs).toHaveLength(2)
    // Executed at least once: the lost worker's execution began; the one that counts ran on the taker.
    const starts = executions(log).filter((e) => e.phase === 'start')
    expect(starts.map((e) => e.host)).toEqual([lost.host, taker?.host])
    // Still exactly one takeover a lease later: nobody took the claim over twice.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect(eventsOf(others, 'claim-taken-over')).toHaveLength(1)
    expect(remote.sharedRefs('claims').size).toBe(0)
  }, 240_000)
})
