// Seeing the fleet: `dkt workers` and `dkt status` read the heartbeats and claims that workers push to the project's
// remote (served by a real git daemon on 127.0.0.1), written here as workers write them (see core/remote/shared-refs.ts).
import {existsSync} from 'node:fs'
import * as path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {claimKey, type RemoteClaim, type WorkerBeat, writeSharedValue} from '../../src/core/remote/shared-refs.js'
import {dkt, dktJson, dktOk} from '../helpers/cli.js'
import {git, gitRepo, metaState} from '../helpers/git.js'
import {freePort, gitDaemonForSuite} from '../helpers/git-daemon.js'
import {newProject} from '../helpers/project.js'
import {schemaErrors} from '../helpers/schemas.js'
import {tempDir} from '../helpers/tmp.js'

const daemon = gitDaemonForSuite()
let served = 0
/** A repository to make beat and claim objects in before pushing them. */
let scratch: string

beforeAll(() => {
  scratch = tempDir('dkt-scratch-')
  git(scratch, ['init', '-q', '--bare'])
})

const NODE = 'a'.repeat(64)
const RUN = 'b'.repeat(64)

/** A project with a git source and a node labelled osx on it, published on the daemon; a clone of it. */
async function published(): Promise<{clone: string; url: string; node: string}> {
  const origin = await newProject()
  // A git source, not a path source: a path source would tie the node to this machine (see path-host.test.ts).
  await dktOk(['source', 'add', 'app', gitRepo().dir, '-k', 'git'], {cwd: origin})
  const node = (await dktOk(['node', 'run', '--detach', '--labels', 'osx', '--input', 'app', 'true'], {cwd: origin})).trim()
  const name = `fleet-${++served}.git`
  git(daemon.served, ['clone', '-q', '--bare', path.join(origin, '.dkt'), path.join(daemon.served, name)])
  const url = `${daemon.url}/${name}`
  const parent = tempDir()
  await dktOk(['clone', url, 'clone'], {cwd: parent})
  return {clone: path.join(parent, 'clone'), url, node}
}

const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString()

/** Pushes a heartbeat of worker `name` to the remote, as a worker does every --heartbeat seconds. */
async function pushBeat(url: string, beat: Partial<WorkerBeat> & {name: string}): Promise<void> {
  const value: WorkerBeat = {host: `${beat.name}-host`, labels: [], observe: false, concurrency: 2, running: [], beatAt: secondsAgo(0), startedAt: secondsAgo(60), pid: 4242, dktVersion: '0.1.0', leaseSeconds: 180, ...beat}
  const object = await writeSharedValue(scratch, value)
  git(scratch, ['push', '-q', url, `+${object}:refs/dkt/workers/${beat.name}`])
}

async function pushClaim(url: string, worker: string, node: string, run: string): Promise<void> {
  const claim = {worker, host: `${worker}-host`, node, run: {id: run, node}, claimedAt: secondsAgo(5)} as unknown as RemoteClaim
  git(scratch, ['push', '-q', url, `+${await writeSharedValue(scratch, claim)}:refs/dkt/claims/${claimKey(node)}`])
}

interface Listing {
  remote: string
  fetched: boolean
  warning?: string
  workers: {name: string; live: boolean; ageSeconds: number; labels: string[]; claims: {node: string; run: string}[]}[]
}

describe('dkt workers', () => {
  it('lists each worker with its labels, host, runs, heartbeat age and whether it is live', async () => {
    const {clone, url} = await published()
    expect((await dktOk(['workers'], {cwd: clone})).trim()).toBe('no workers on origin')
    await pushBeat(url, {name: 'linux-1', labels: ['linux', 'x64'], observe: true, running: [{node: NODE, run: RUN, since: secondsAgo(5)}]})
    await pushClaim(url, 'linux-1', NODE, RUN)
    await pushBeat(url, {name: 'osx-1', labels: ['osx'], beatAt: secondsAgo(600), leaseSeconds: 180})
    const lines = (await dktOk(['workers'], {cwd: clone})).trimEnd().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+LABELS\s+HOST\s+RUNS\s+BEAT\s+STATE\s+OBSERVE$/)
    expect(lines[1]).toMatch(/^linux-1\s+linux,x64\s+linux-1-host\s+aaaaaaaa\/bbbbbbbb\s+\d s ago\s+live\s+yes$/)
    expect(lines[2]).toMatch(/^osx-1\s+osx\s+osx-1-host\s+-\s+10 min ago\s+lost\s+no$/)

    const listing = await dktJson<Listing>(['workers'], {cwd: clone})
    expect(schemaErrors('workers', listing)).toBe('')
    expect(listing).toMatchObject({remote: 'origin', fetched: true})
    expect(listing.workers.map((w) => [w.name, w.live])).toEqual([['linux-1', true], ['osx-1', false]])
    expect(listing.workers[0].claims).toEqual([expect.objectContaining({node: NODE, run: RUN})])
    expect(listing.workers[1].ageSeconds).toBeGreaterThanOrEqual(600)
  })

  it('forgets a worker whose heartbeat was deleted (a clean stop) at the next fetch, not before with --no-fetch', async () => {
    const {clone, url} = await published()
    await pushBeat(url, {name: 'w1', labels: ['linux']})
    await dktOk(['workers'], {cwd: clone})
    git(scratch, ['push', '-q', url, ':refs/dkt/workers/w1'])
    expect((await dktJson<Listing>(['workers', '--no-fetch'], {cwd: clone})).workers.map((w) => w.name)).toEqual(['w1'])
    expect((await dktJson<Listing>(['workers'], {cwd: clone})).workers).toEqual([])
  })

  it('shows the last fetched state with a warning when the remote cannot be reached', async () => {
    const {clone, url} = await published()
    await pushBeat(url, {name: 'w1', labels: ['linux']})
    await dktOk(['workers'], {cwd: clone})
    git(path.join(clone, '.dkt'), ['remote', 'set-url', 'origin', `git://127.0.0.1:${await freePort()}/gone.git`])
    const result = await dkt(['workers', '--json'], {cwd: clone})
    expect(result.exitCode).toBe(0)
    expect(result.stderr).toMatch(/^Warning: cannot reach `origin` \(git:\/\/127\.0\.0\.1:\d+\/gone\.git\): .+; showing the workers as last fetched\n$/)
    const listing = JSON.parse(result.stdout) as Listing
    expect(schemaErrors('workers', listing)).toBe('')
    expect(listing).toMatchObject({fetched: false, workers: [expect.objectContaining({name: 'w1'})]})
  })

  it('refuses in one sentence when nothing was ever fetched, or the remote does not exist; nothing changes', async () => {
    const {clone} = await published()
    const before = metaState(clone)
    const never = await dkt(['workers', '--no-fetch'], {cwd: clone})
    expect([never.exitCode, never.stderr]).toEqual([1, 'Error: no list of the workers of `origin` was fetched yet; run `dkt workers` without --no-fetch\n'])
    git(path.join(clone, '.dkt'), ['remote', 'set-url', 'origin', `git://127.0.0.1:${await freePort()}/gone.git`])
    const unreachable = await dkt(['workers'], {cwd: clone})
    expect(unreachable.exitCode).toBe(1)
    expect(unreachable.stderr).toMatch(/^Error: cannot reach `origin` \(.+\): .+, and no list of its workers was fetched before\n$/)
    const unknown = await dkt(['workers', '--remote', 'backup'], {cwd: clone})
    expect([unknown.exitCode, unknown.stderr]).toEqual([2, 'Error: the metadata repository has no remote `backup`; its remotes: origin\n'])
    expect(metaState(clone)).toEqual(before)
    expect(existsSync(path.join(clone, '.dkt', '.git', 'dkt-mirror', 'origin.fetched'))).toBe(false)
  })
})

describe('dkt status and the fleet', () => {
  interface Status {
    node: string
    reasons: string[]
    waitsFor?: {labels: string[]; fleet: {able: {name: string}[]; live: {name: string}[]} | null}
  }
  const statusOf = async (cwd: string, node: string) => (await dktJson<Status[]>(['status'], {cwd})).find((s) => s.node.startsWith(node)) as Status

  it('names the labels a due node waits for and whether a live worker has them, from the last fetch only', async () => {
    const {clone, url, node} = await published()
    // No mirror yet: today's sentence.
    expect((await statusOf(clone, node)).reasons).toEqual(['never run', 'waits for a worker labelled osx'])

    await pushBeat(url, {name: 'linux-1', labels: ['linux', 'x64']})
    await pushBeat(url, {name: 'osx-old', labels: ['osx'], beatAt: secondsAgo(900), leaseSeconds: 180})
    // status never touches the network: the beats count once fetched.
    expect((await statusOf(clone, node)).reasons).toEqual(['never run', 'waits for a worker labelled osx'])
    await dktOk(['workers'], {cwd: clone})
    const waiting = await statusOf(clone, node)
    expect(waiting.reasons).toEqual(['never run', expect.stringMatching(/^waiting for \{osx\}: no live worker has it; live: linux-1 \{linux,x64\} \d s ago$/)])
    expect(waiting.waitsFor).toMatchObject({labels: ['osx'], fleet: {able: [], live: [{name: 'linux-1'}]}})
    expect(await dktOk(['status'], {cwd: clone})).toMatch(/never run; waiting for \{osx\}: no live worker has it; live: linux-1 \{linux,x64\} \d s ago/)

    await pushBeat(url, {name: 'osx-1', labels: ['osx', 'arm64']})
    await dktOk(['workers'], {cwd: clone})
    const able = await statusOf(clone, node)
    expect(able.reasons).toEqual(['never run', expect.stringMatching(/^waiting for \{osx\}: osx-1 has it \(\d s ago\)$/)])
    const all = await dktJson<unknown>(['status'], {cwd: clone})
    expect(schemaErrors('status', all)).toBe('')
  })
})
