// The remote-worker protocol through the core API, against a real git daemon on 127.0.0.1 and two clones: claims
// by compare-and-swap, records pushed with the atomic release of their claims, fencing of a taken-over claim.
import {existsSync, readFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {MetaRepo} from '../../../src/core/meta-repo.js'
import {RUN_FORMAT, type RunRecord, runFile} from '../../../src/core/model/run.js'
import {findProject} from '../../../src/core/project.js'
import {pushRefs} from '../../../src/core/remote/push.js'
import {pushRecords} from '../../../src/core/remote/record-push.js'
import {RemoteSession, type WorkerIdentity} from '../../../src/core/remote/remote-session.js'
import {dktOk} from '../../helpers/cli.js'
import {git} from '../../helpers/git.js'
import {gitDaemonForSuite} from '../../helpers/git-daemon.js'
import {newProject} from '../../helpers/project.js'
import {tempDir} from '../../helpers/tmp.js'

const daemon = gitDaemonForSuite()
let served = 0

/** A project published on the daemon, and two clones of it (`a`, `b`); returns their folders and the bare repo. */
async function twoClones(): Promise<{a: string; b: string; bare: string}> {
  const origin = await newProject()
  const name = `meta-${++served}.git`
  const bare = path.join(daemon.served, name)
  git(daemon.served, ['clone', '-q', '--bare', path.join(origin, '.dkt'), bare])
  const parent = tempDir()
  await dktOk(['clone', `${daemon.url}/${name}`, 'a'], {cwd: parent})
  await dktOk(['clone', `${daemon.url}/${name}`, 'b'], {cwd: parent})
  return {a: path.join(parent, 'a'), b: path.join(parent, 'b'), bare}
}

const worker = (name: string): WorkerIdentity => ({name, host: `host-${name}`, labels: [], concurrency: 1, observe: false, leaseSeconds: 180, dktVersion: 'test'})

async function session(dir: string, name: string): Promise<RemoteSession> {
  const opened = await RemoteSession.open(new MetaRepo(findProject(dir)), undefined, worker(name))
  await opened.fetchAndMerge()
  return opened
}

const run = (id: string, node = 'node1'): RunRecord =>
  ({format: RUN_FORMAT, id, key: id, attempt: 1, node, command: ['true'], inputs: {}, outputs: {}, status: 'running', startedAt: new Date().toISOString(), endedAt: null}) as unknown as RunRecord

/** Records a run's final state in a clone, as the scheduler's recorder does, and commits it. */
async function record(s: RemoteSession, started: RunRecord): Promise<void> {
  const final = {...started, status: 'success' as const, endedAt: new Date().toISOString()}
  await s.repo.record(`node run ${final.node}: run ${final.id} success`, (tx) => tx.writeJson(runFile(final.node, final.id), final))
  await s.repo.commitRecorded()
}

const remoteRefs = (bare: string) => git(bare, ['for-each-ref', '--format=%(refname)']).split('\n').filter(Boolean)

describe('remote workers: the protocol', () => {
  it('two workers claim one node at once: exactly one wins', async () => {
    const {a, b, bare} = await twoClones()
    const [sa, sb] = await Promise.all([session(a, 'wa'), session(b, 'wb')])
    const [wonA, wonB] = await Promise.all([sa.claim([run('r1')]), sb.claim([run('r1')])])
    expect(wonA.size + wonB.size).toBe(1)
    expect(remoteRefs(bare)).toContain('refs/dkt/claims/node1')
    // The loser sees the winner's claim after its next fetch.
    const loser = wonA.size === 1 ? sb : sa
    await loser.fetchAndMerge()
    expect(loser.claimedByOther('node1')).toBe(true)
    // A batch claims each node on its own: the free ones are won, the held one is not.
    const batch = await loser.claim([run('r1'), run('r2', 'node2'), run('r3', 'node3')])
    expect([...batch].sort()).toEqual(['r2', 'r3'])
  })

  it('a record push carries the run to the branch and releases its claim in the same atomic push', async () => {
    const {a, b, bare} = await twoClones()
    const sa = await session(a, 'wa')
    const started = run('r1')
    expect(await sa.claim([started])).toEqual(new Set(['r1']))
    await record(sa, started)
    const pushed = await pushRecords(sa)
    expect(pushed).toMatchObject({pushed: 1, attempts: 1, fenced: [], done: true})
    expect(remoteRefs(bare)).not.toContain('refs/dkt/claims/node1')
    expect(git(bare, ['show', `main:${runFile('node1', 'r1')}`])).toContain('"success"')
    expect(sa.held.size).toBe(0)
    // A push of a branch that misses that record is refused, never forced over it.
    const stale = git(path.join(b, '.dkt'), ['rev-parse', 'HEAD'])
    const refused = await pushRefs(path.join(b, '.dkt'), 'origin', [{ref: 'refs/heads/main', source: stale}], {atomic: true})
    expect(refused.refs.get('refs/heads/main')?.ok).toBe(false)
    expect(git(bare, ['show', `main:${runFile('node1', 'r1')}`])).toContain('"success"')
    // The other clone gets it with its next fetch.
    const sb = await session(b, 'wb')
    expect(sb.claimedByOther('node1')).toBe(false)
    expect(existsSync(path.join(b, '.dkt', runFile('node1', 'r1')))).toBe(true)
  })

  it('a record whose claim was taken over is fenced: refused, the branch unchanged, a copy kept', async () => {
    const {a, b, bare} = await twoClones()
    const sa = await session(a, 'wa')
    const started = run('r1')
    await sa.claim([started])
    // b judges wa lost (as an observer does once wa's lease has passed) and takes its claim over.
    const sb = await session(b, 'wb')
    const lost = [...sb.mirror.claims.values()]
    expect(lost.map((claim) => claim.value.worker)).toEqual(['wa'])
    expect((await sb.takeOver(lost)).map((hold) => hold.claim.takenOverFrom?.worker)).toEqual(['wa'])
    // A second taker expecting the same old value loses.
    const sc = await session(b, 'wc')
    expect(await sc.takeOver(lost)).toEqual([])
    // The taker records the lost run `error` (worker lost) and releases its claim.
    const lostRun = {...started, status: 'error' as const, reason: 'worker lost: wa on host-wa', endedAt: new Date().toISOString()}
    await sb.repo.record('worker lost', (tx) => tx.writeJson(runFile('node1', 'r1'), lostRun))
    await sb.repo.commitRecorded()
    expect((await pushRecords(sb)).pushed).toBe(1)
    const branchBefore = git(bare, ['rev-parse', 'main'])
    await record(sa, started)
    const pushed = await pushRecords(sa)
    expect(pushed.fenced).toEqual([{node: 'node1', run: 'r1'}])
    expect(pushed.pushed).toBe(0)
    expect(git(bare, ['rev-parse', 'main'])).toBe(branchBefore)
    // Dropped from the unpushed history here, with a copy in the cache; the taker's record is what is left.
    expect(git(path.join(a, '.dkt'), ['rev-parse', 'HEAD'])).toBe(branchBefore)
    expect(JSON.parse(readFileSync(path.join(a, '.dkt', runFile('node1', 'r1')), 'utf8'))).toMatchObject({status: 'error', reason: 'worker lost: wa on host-wa'})
    expect(JSON.parse(readFileSync(path.join(a, '.dkt', 'cache', 'fenced', 'r1.json'), 'utf8'))).toMatchObject({id: 'r1', status: 'success'})
    expect(git(path.join(a, '.dkt'), ['status', '--porcelain'])).toBe('')
    expect(git(bare, ['for-each-ref', 'refs/dkt/claims'])).toBe('')
  })
})
