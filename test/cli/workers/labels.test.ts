// Labels across machines: a node labelled `osx` waits while only `linux` workers live (status says it is pending and
// why), and runs as soon as an `osx` worker joins the fleet.
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dktJson, dktOk} from '../../helpers/cli.js'
import {executions, fleetForSuite, markCommand} from '../../helpers/fleet.js'
import {tempDir} from '../../helpers/tmp.js'

const fleet = fleetForSuite()

describe('remote workers: labels', () => {
  it('an osx node waits while only linux workers live, and runs when an osx worker joins', async () => {
    const log = path.join(tempDir(), 'executions.log')
    const upstream = fleet.upstream()
    const project = await fleet.project({
      sources: {app: {kind: 'git', location: upstream.url}},
      nodes: {
        mac: {command: markCommand(log, 'mac'), inputs: ['app'], labels: ['osx']},
        lin: {command: markCommand(log, 'lin'), inputs: ['app'], labels: ['linux']},
      },
    })
    const {remote} = project
    const linux = await Promise.all(['l1', 'l2'].map((name) => fleet.worker(project, {name, labels: ['linux', 'x64']})))

    // The linux workers are at work (the linux node is recorded) and both beat on the remote.
    const [lin] = await fleet.untilRuns(project, (run) => run.status === 'success', 1, 'the linux node recorded')
    await fleet.untilBeating(project, ['l1', 'l2'])
    // A few more planning rounds of both: the osx node is still not run, nowhere.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect(remote.runs().map((run) => run.node)).toEqual([lin.node])
    expect(executions(log).map((e) => e.marker)).toEqual(['lin'])

    // `dkt status` in a worker's clone (it reads the mirror the worker keeps fresh): pending, waiting for osx.
    const statuses = await dktJson<{node: string; labels: string[]; due: boolean; state: string}[]>(['status'], {cwd: linux[0].clone})
    const mac = statuses.find((s) => s.labels.includes('osx'))
    expect(mac).toMatchObject({due: true})
    const text = await dktOk(['status'], {cwd: linux[0].clone})
    expect(text).toMatch(/waiting for \{osx\}: no live worker has it; live: .*l1 \{linux,x64[^}]*\}/)

    const osx = await fleet.worker(project, {name: 'o1', labels: ['osx']})
    const [ran] = await fleet.untilRuns(project, (run) => run.node === mac?.node && run.status === 'success', 1, 'the osx node recorded')
    expect(ran.machine.hostname).toBe(osx.host)
    expect(executions(log)).toEqual([
      {marker: 'lin', host: lin.machine.hostname, phase: 'start'},
      {marker: 'mac', host: osx.host, phase: 'start'},
    ])
  }, 240_000)
})
