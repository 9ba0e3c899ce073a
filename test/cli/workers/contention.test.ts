// Remote workers under contention: 4 workers (one machine playing 4 hosts) race for 200 trivial runs of a wide DAG
// on one metadata remote served by a git daemon: every run executed once and recorded once, nothing lost.
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {eventsOf, executions, fleetForSuite, markCommand} from '../../helpers/fleet.js'
import {tempDir} from '../../helpers/tmp.js'

const fleet = fleetForSuite()
/** The 200; DKT_FLEET_RUNS sets another number (e.g. a quick check on a loaded machine). */
const RUNS = Number(process.env.DKT_FLEET_RUNS || 200)

describe('remote workers: contention', () => {
  it(`4 workers, ${RUNS} runs: each executed once, recorded once; every manifest and observation present; fsck clean`, async () => {
    // The DAG is one git source (served by the daemon) feeding 200 independent nodes. Not bench/dags.mjs's path
    // sources: a path source lives on one machine, and nodes that read or write it run only there (its host label),
    // so a DAG of path sources would leave 3 of the 4 workers idle and nothing to race for.
    const log = path.join(tempDir(), 'executions.log')
    const upstream = fleet.upstream()
    const nodes = Object.fromEntries(Array.from({length: RUNS}, (_, i) => [`n${i}`, {command: markCommand(log, `n${i}`), inputs: ['app']}]))
    const project = await fleet.project({sources: {app: {kind: 'git', location: upstream.url}}, nodes})
    const {remote} = project
    const nodeIds = remote.files('nodes/').map((file) => path.basename(file, '.json'))
    expect(nodeIds).toHaveLength(RUNS)

    // Nobody is killed here: a long lease, so that a worker slowed down by the load (4 workers, each fetching every
    // second, on 2 cores) is never taken for a lost one, and a beat every 2 s, which is load too.
    const clones = await Promise.all([1, 2, 3, 4].map(() => fleet.clone(project)))
    const workers = await Promise.all(clones.map((clone, i) => fleet.worker(project, {name: `w${i + 1}`, labels: ['linux'], clone, leaseSeconds: 60, heartbeatSeconds: 2, args: ['--concurrency', '6']})))
    const runs = await fleet.untilRuns(project, (run) => run.status === 'success', RUNS, 'every run recorded', 480_000)
    const codes = await Promise.all(workers.map((worker) => worker.stop()))
    expect(codes, workers.map((w) => w.stderr()).join('\n')).toEqual([0, 0, 0, 0])

    // Recorded once: one manifest per node, first attempt, no second execution merged into it.
    const final = remote.runs()
    expect(final).toHaveLength(RUNS)
    expect(new Set(final.map((run) => run.node))).toEqual(new Set(nodeIds))
    expect(final.filter((run) => run.status !== 'success' || run.attempt !== 1 || run.otherExecutions)).toEqual([])
    expect(runs.map((run) => run.id).sort()).toEqual(final.map((run) => run.id).sort())
    // Executed once: each node's command wrote its line once, on the host whose manifest records it.
    const done = executions(log)
    expect(done).toHaveLength(RUNS)
    expect(new Set(done.map((e) => e.marker)).size).toBe(RUNS)
    const perHost = (hosts: string[]) => Object.fromEntries([...new Set(hosts)].sort().map((host) => [host, hosts.filter((h) => h === host).length]))
    expect(perHost(final.map((run) => run.machine.hostname))).toEqual(perHost(done.map((e) => e.host)))
    // Every record reached the remote in one of the pushes the workers reported, once.
    expect(eventsOf(workers, 'remote-pushed').reduce((sum, event) => sum + Number(event.runs), 0)).toBe(RUNS)

    // The observation every run read is on the remote; claims are all released; stopped workers left no heartbeat.
    const observed = remote.read(['versions/app.jsonl']).get('versions/app.jsonl') ?? ''
    const versions = new Set(observed.trim().split('\n').map((line) => JSON.parse(line).version as string))
    expect([...versions]).toEqual([...new Set(final.map((run) => run.inputs.app))])
    expect(remote.sharedRefs('claims').size).toBe(0)
    expect(remote.sharedRefs('workers').size).toBe(0)
    expect(() => remote.fsck()).not.toThrow()
  }, 600_000)
})
