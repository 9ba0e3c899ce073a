// Fencing: a worker frozen (SIGSTOP) past its lease loses its claim to another worker; when it wakes (SIGCONT) and
// tries to record the run it was doing, the remote refuses it (its claim is no longer its own): `fenced`, and the
// remote branch holds nothing of that late record.
import {existsSync, readdirSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {eventsOf, executions, fleetForSuite, markCommand} from '../../helpers/fleet.js'
import {waitFor} from '../../helpers/git-daemon.js'
import {tempDir} from '../../helpers/tmp.js'

const fleet = fleetForSuite()

describe('remote workers: fencing', () => {
  it('SIGSTOP past the lease, takeover, SIGCONT: the late record is refused and the remote branch is unchanged by it', async () => {
    const log = path.join(tempDir(), 'executions.log')
    const upstream = fleet.upstream()
    // On the worker that freezes: running until the test releases it (after the takeover, before the worker wakes).
    const release = path.join(tempDir(), 'release')
    const command = markCommand(log, 'slow', {seconds: 1, onHost: {host: 'host-frozen', seconds: 120, until: release}})
    const project = await fleet.project({sources: {app: {kind: 'git', location: upstream.url}}, nodes: {slow: {command, inputs: ['app']}}})
    const {remote} = project
    const takerClone = await fleet.clone(project)
    const frozen = await fleet.worker(project, {name: 'frozen', labels: ['linux'], leaseSeconds: 2})
    const started = await frozen.until((e) => e.type === 'run-started', 'the slow run started', 60_000)
    const run = started.run as {id: string; node: string}
    const taker = await fleet.worker(project, {name: 'taker', labels: ['linux'], clone: takerClone})
    await fleet.untilBeating(project, ['frozen', 'taker'])

    frozen.signal('SIGSTOP')
    await taker.until((e) => e.type === 'claim-taken-over', 'the takeover', 60_000)
    const [lostRun] = await fleet.untilRuns(project, (r) => r.id === run.id, 1, 'the frozen run recorded error by the taker', 60_000)
    expect(lostRun).toMatchObject({status: 'error', reason: expect.stringContaining('worker lost: frozen')})
    // The frozen worker's command is not frozen (it has a process group of its own): it ends meanwhile.
    writeFileSync(release, '')
    await waitFor(() => executions(log).some((e) => e.host === frozen.host && e.phase === 'end'), 'the frozen worker\'s command ended', 60_000)
    const manifest = `runs/${run.node}/${run.id}.json`
    const before = remote.history(manifest)

    frozen.signal('SIGCONT')
    const fenced = await frozen.until((e) => e.type === 'fenced', 'the late record refused', 60_000)
    expect(fenced).toMatchObject({node: run.node, run: run.id})
    await fleet.untilRuns(project, (r) => r.node === run.node && r.status === 'success', 1, 'the rerun recorded by the taker', 60_000)
    await Promise.all([frozen.stop(), taker.stop()])

    // Nothing of the late record on the remote: the run's manifest was only ever the taker's `error`.
    expect(remote.history(manifest)).toEqual(before)
    expect(before.map((text) => JSON.parse(text).status)).toEqual(['error'])
    const success = remote.runs().filter((r) => r.node === run.node && r.status === 'success')
    expect(success.map((r) => r.machine.hostname)).toEqual([taker.host])
    expect(eventsOf([frozen, taker], 'fenced')).toHaveLength(1)
    // The refused record is kept aside in the frozen worker's clone, not lost without a trace.
    const aside = path.join(frozen.clone, '.dkt', 'cache', 'fenced')
    expect(existsSync(aside) && readdirSync(aside).length > 0).toBe(true)
    expect(() => remote.fsck()).not.toThrow()
  }, 300_000)
})
