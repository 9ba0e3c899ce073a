// Sharing a project: `dkt sync` between clones of one metadata repository served by a git daemon on 127.0.0.1.
import {readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk} from '../helpers/cli.js'
import {git, metaState} from '../helpers/git.js'
import {gitDaemonForSuite} from '../helpers/git-daemon.js'
import {newProject, writeFiles} from '../helpers/project.js'
import {schemaErrors} from '../helpers/schemas.js'
import {tempDir} from '../helpers/tmp.js'

const daemon = gitDaemonForSuite()
let served = 0

/** A project with a path source `data`, published on the daemon, and two clones of it (each with its own data/). */
async function twoClones(): Promise<{a: string; b: string; url: string}> {
  const origin = await newProject()
  writeFiles(origin, {'data/f': 'same'})
  await dktOk(['source', 'add', 'data', 'data'], {cwd: origin})
  const name = `meta-${++served}.git`
  git(daemon.served, ['clone', '-q', '--bare', path.join(origin, '.dkt'), path.join(daemon.served, name)])
  const url = `${daemon.url}/${name}`
  const parent = tempDir()
  await dktOk(['clone', url, 'a'], {cwd: parent})
  await dktOk(['clone', url, 'b'], {cwd: parent})
  const [a, b] = [path.join(parent, 'a'), path.join(parent, 'b')]
  writeFiles(a, {'data/f': 'same'})
  writeFiles(b, {'data/f': 'same'})
  return {a, b, url}
}

const latestOf = async (cwd: string) => (await dktJson<{name: string; latest: string}[]>(['source', 'list'], {cwd})).find((s) => s.name === 'data')?.latest

describe('dkt sync', () => {
  it('merges concurrent observations: the latest is the newest by time in both clones', async () => {
    const {a, b} = await twoClones()
    writeFiles(a, {'data/f': 'from a'})
    await dktOk(['source', 'update', 'data'], {cwd: a})
    const fromA = await latestOf(a)
    writeFiles(b, {'data/f': 'from b'})
    await dktOk(['source', 'update', 'data'], {cwd: b})
    const fromB = await latestOf(b)
    expect(fromA).not.toBe(fromB)

    const synced = await dktJson<Record<string, unknown>>(['sync'], {cwd: a})
    expect(schemaErrors('sync', synced)).toBe('')
    expect(synced).toMatchObject({remote: 'origin', branch: 'main', received: 0, sent: 1})
    expect(await dktOk(['sync'], {cwd: b})).toMatch(/^synced with origin\/main: 1 commit received, 2 commits sent; now at [0-9a-f]{8}\n$/)
    await dktOk(['sync'], {cwd: a})
    // b observed last: its version is the latest in both clones, whatever line order the union merge gave.
    expect(await latestOf(a)).toBe(fromB)
    expect(await latestOf(b)).toBe(fromB)
    expect(metaState(a).head).toBe(metaState(b).head)
    const lines = readFileSync(path.join(a, '.dkt', 'versions', 'data.jsonl'), 'utf8').trim().split('\n')
    expect(lines.map((line) => JSON.parse(line).version)).toEqual(expect.arrayContaining([fromA, fromB]))
    expect(metaState(a).status).toBe('')
  })

  it('the same run executed in two clones merges with plain git pull; both executions are kept', async () => {
    const {a, b} = await twoClones()
    const command = ['node', 'run', '--input', 'data', '--', 'sh', '-c', 'date +%s%N']
    const ranA = await dktJson<{node: string; run: {id: string}}>(command, {cwd: a})
    const ranB = await dktJson<{node: string; run: {id: string}}>(command, {cwd: b})
    expect(ranB.run.id).toBe(ranA.run.id)
    const manifest = path.join('runs', ranA.node, `${ranA.run.id}.json`)

    // Plain git: a push from one clone, a pull in the other; no add/add conflict on runs/NODE/RUN.json.
    git(path.join(a, '.dkt'), ['push', '-q', 'origin', 'main'])
    git(path.join(b, '.dkt'), ['pull', '-q', '--no-rebase', '--no-edit', 'origin', 'main'])
    expect(metaState(b).status).toBe('')
    const merged = JSON.parse(readFileSync(path.join(b, '.dkt', manifest), 'utf8'))
    expect(merged).toMatchObject({id: ranA.run.id, status: 'success'})
    expect(merged.otherExecutions).toHaveLength(1)
    expect(merged.otherExecutions[0].startedAt).not.toBe(merged.startedAt)
    const log = readFileSync(path.join(b, '.dkt', 'runs', ranA.node, `${ranA.run.id}.log`), 'utf8')
    expect(log).toContain('another execution of this run')

    // One run in the log, memoized (nothing due), and the clones converge on one history.
    const nodeLog = await dktJson<{runs: {id: string; status: string}[]}>(['node', 'log', ranA.node.slice(0, 8)], {cwd: b})
    expect(schemaErrors('node-log', nodeLog)).toBe('')
    const {runs} = nodeLog
    expect(runs.map((run) => [run.id, run.status])).toEqual([[ranA.run.id, 'success']])
    expect(await dktOk(['status'], {cwd: b})).toMatch(/^nothing to run/)
    await dktOk(['sync'], {cwd: b})
    await dktOk(['sync'], {cwd: a})
    expect(metaState(a).head).toBe(metaState(b).head)
    expect(readFileSync(path.join(a, '.dkt', manifest), 'utf8')).toBe(readFileSync(path.join(b, '.dkt', manifest), 'utf8'))
    expect(await dktOk(['status'], {cwd: a})).toMatch(/^nothing to run/)
  })

  it('two different pins of one source: one sentence naming both, exit 1, nothing changed', async () => {
    const {a, b} = await twoClones()
    const first = await latestOf(a)
    writeFiles(a, {'data/f': 'newer'})
    await dktOk(['source', 'update', 'data'], {cwd: a})
    await dktOk(['sync'], {cwd: a})
    await dktOk(['sync'], {cwd: b})
    const second = await latestOf(a)
    await dktOk(['source', 'pin', 'data', (first as string).slice(4, 12)], {cwd: a})
    await dktOk(['source', 'pin', 'data', (second as string).slice(4, 12)], {cwd: b})
    await dktOk(['sync'], {cwd: a})
    const before = metaState(b)
    const result = await dkt(['sync'], {cwd: b})
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain(`source \`data\` was changed both here and on \`origin\`: pin ${second} here, ${first} there`)
    expect(metaState(b)).toEqual(before)
  })

  it('an unreachable or unknown remote: one sentence, nothing changed', async () => {
    const {a} = await twoClones()
    await dktOk(['source', 'add', 'more'], {cwd: a})
    git(path.join(a, '.dkt'), ['remote', 'set-url', 'origin', 'git://127.0.0.1:9/nothing.git'])
    const before = metaState(a)
    const unreachable = await dkt(['sync'], {cwd: a})
    expect(unreachable.exitCode).toBe(1)
    expect(unreachable.stderr).toMatch(/^Error: cannot reach `origin` \(git:\/\/127\.0\.0\.1:9\/nothing\.git\): .*nothing was changed\n$/)
    const unknown = await dkt(['sync', '--remote', 'backup'], {cwd: a})
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toBe('Error: the metadata repository has no remote `backup`; its remotes: origin\n')
    expect(metaState(a)).toEqual(before)
  })

  it('sync.push: every writing command pushes after its commit; a failed push is a warning and the commit stays', async () => {
    const {a, url} = await twoClones()
    await dktOk(['config', 'set', 'sync.push', 'true'], {cwd: a})
    await dktOk(['source', 'add', 'more'], {cwd: a})
    expect(git(a, ['ls-remote', url, 'refs/heads/main']).split('\t')[0]).toBe(metaState(a).head)

    git(path.join(a, '.dkt'), ['remote', 'set-url', 'origin', 'git://127.0.0.1:9/nothing.git'])
    const commits = metaState(a).commits
    const offline = await dkt(['source', 'pause', 'more'], {cwd: a})
    expect(offline.exitCode).toBe(0)
    expect(offline.stderr).toMatch(/^Warning: the change is committed here but not pushed to `origin` \(.*\); `dkt sync` sends it\n$/)
    expect(metaState(a).commits).toBe(commits + 1)
  })

  it('a project made before the run merge rules gets them at its next write', async () => {
    const dir = await newProject()
    const dkt = path.join(dir, '.dkt')
    writeFileSync(path.join(dkt, '.gitattributes'), 'versions/*.jsonl merge=union\n')
    git(dkt, ['commit', '-q', '-am', 'old rules'])
    git(dkt, ['config', '--unset', 'merge.dkt-run.driver'])
    await dktOk(['source', 'add', 'tmp'], {cwd: dir})
    expect(readFileSync(path.join(dkt, '.gitattributes'), 'utf8')).toBe('versions/*.jsonl merge=union\nruns/*/*.json merge=dkt-run\nruns/*/*.log merge=dkt-log\n')
    expect(git(dkt, ['config', 'merge.dkt-run.driver'])).toMatch(/merge-file run %A %B$/)
    expect(metaState(dir).status).toBe('')
  })
})
