// `dkt scheduler --remote` through the real CLI: two clones of one project served by a git daemon on 127.0.0.1 work
// one DAG together (each run executed and recorded once), and a killed worker's claim is taken over.
import {existsSync, readFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk} from '../../helpers/cli.js'
import {bareRepo, git} from '../../helpers/git.js'
import {gitDaemonForSuite, waitFor} from '../../helpers/git-daemon.js'
import {newProject} from '../../helpers/project.js'
import {schemaErrors} from '../../helpers/schemas.js'
import {startScheduler} from '../../helpers/scheduler.js'
import {tempDir} from '../../helpers/tmp.js'

const daemon = gitDaemonForSuite()
let served = 0

/** Publishes a project's metadata on the daemon and clones it `count` times; returns the clones and the bare repo. */
async function clones(origin: string, count: number): Promise<{dirs: string[]; bare: string}> {
  const name = `meta-${++served}.git`
  const bare = path.join(daemon.served, name)
  git(daemon.served, ['clone', '-q', '--bare', path.join(origin, '.dkt'), bare])
  const parent = tempDir()
  const dirs: string[] = []
  for (let i = 0; i < count; i++) {
    await dktOk(['clone', `${daemon.url}/${name}`, `w${i}`], {cwd: parent})
    dirs.push(path.join(parent, `w${i}`))
  }
  return {dirs, bare}
}

const define = (dir: string, args: string[]) => dktJson<{node: string}>(['node', 'run', '--detach', ...args], {cwd: dir}).then((r) => r.node)

/** The run manifests on the remote's branch, by node. */
function remoteRuns(bare: string): Map<string, {id: string; status: string; reason: string | null}[]> {
  const runs = new Map<string, {id: string; status: string; reason: string | null}[]>()
  for (const file of git(bare, ['ls-tree', '-r', '--name-only', 'main', 'runs']).split('\n').filter((f) => f.endsWith('.json'))) {
    const run = JSON.parse(git(bare, ['show', `main:${file}`]))
    runs.set(run.node, [...(runs.get(run.node) ?? []), run])
  }
  return runs
}

const remoteRefs = (bare: string) => git(bare, ['for-each-ref', '--format=%(refname)', 'refs/dkt']).split('\n').filter(Boolean)

describe('dkt scheduler --remote', () => {
  it('two workers run a small DAG with --once: every run executed once and recorded once, in dependency order', async () => {
    const origin = await newProject()
    const trace = path.join(tempDir(), 'trace')
    const out = bareRepo(tempDir(), 'out.git')
    await dktOk(['source', 'add', 'out', out.dir, '-k', 'git'], {cwd: origin})
    const roots = []
    for (const name of ['r1', 'r2', 'r3', 'r4']) roots.push(await define(origin, ['--', 'sh', '-c', `echo ${name} >> ${trace}`]))
    const x = await define(origin, ['--output', 'out', '--', 'sh', '-c', `echo x >> ${trace}; echo from-x > "$out_ROOT/x.txt"`])
    const y = await define(origin, ['--input', 'out', '--', 'sh', '-c', `echo "y read $(cat "$out_ROOT/x.txt")" >> ${trace}`])
    const {dirs, bare} = await clones(origin, 2)
    const results = await Promise.all(
      dirs.map((dir, i) => dkt(['scheduler', '--remote', '--once', '--json', '--name', `w${i}`, '--concurrency', '2'], {cwd: dir, env: {DKT_HOST: `host-${i}`}})),
    )
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0)
    expect(readFileSync(trace, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'x', 'y read from-x'])
    const runs = remoteRuns(bare)
    for (const node of [...roots, x, y]) expect(runs.get(node)?.map((run) => run.status)).toEqual(['success'])
    // Every claim released, every beat removed at the clean stop.
    expect(remoteRefs(bare)).toEqual([])
    const started = results.flatMap((result) => result.stdout.split('\n').filter((line) => line.includes('"run-started"')))
    expect(started).toHaveLength(6)
    const pushed = results.flatMap((result) => result.stdout.split('\n').filter((line) => line.includes('"remote-pushed"')).map((line) => JSON.parse(line)))
    expect(pushed.reduce((sum, event) => sum + event.runs, 0)).toBeGreaterThanOrEqual(6)
    const events = results.flatMap((result) => result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line)))
    for (const event of events) expect(schemaErrors('scheduler-event', event)).toBe('')
    git(bare, ['fsck', '--strict', '--no-progress'])
  }, 180_000)

  it('takes over the claim of a killed worker after its lease: the run is recorded `error` (worker lost) and run again', async () => {
    const origin = await newProject()
    const mark = path.join(tempDir(), 'mark')
    const trace = path.join(tempDir(), 'trace')
    const node = await define(origin, ['--', 'sh', '-c', `if [ -e ${mark} ]; then echo rerun >> ${trace}; else touch ${mark}; exec sleep 60; fi`])
    const {dirs, bare} = await clones(origin, 2)
    const lost = startScheduler(dirs[0], ['--remote', '--name', 'lost', '--lease', '2', '--heartbeat', '1'], {DKT_HOST: 'host-lost'})
    await lost.until((event) => event.type === 'run-started', 'the first worker starts the run', 60_000)
    // `run-started` comes before the command runs: on a loaded machine a kill right then can stop it before its mark.
    await waitFor(() => existsSync(mark), 'the first execution to leave its mark', 60_000)
    lost.child.kill('SIGKILL')
    await lost.exited
    const taker = startScheduler(dirs[1], ['--remote', '--once', '--name', 'taker', '--lease', '2', '--heartbeat', '1'], {DKT_HOST: 'host-taker'})
    const takenOver = await taker.until((event) => event.type === 'claim-taken-over', 'the claim taken over', 60_000)
    expect(takenOver).toMatchObject({node, worker: 'lost'})
    expect(schemaErrors('scheduler-event', takenOver)).toBe('')
    expect(await taker.exited).toBe(0)
    expect(readFileSync(trace, 'utf8')).toBe('rerun\n')
    const runs = remoteRuns(bare).get(node) ?? []
    expect(runs.map((run) => run.status).sort()).toEqual(['error', 'success'])
    expect(runs.find((run) => run.status === 'error')).toMatchObject({id: takenOver.run, reason: 'worker lost: lost on host-lost'})
    // The dead worker's beat stays (it never stopped cleanly); no claim is left.
    expect(remoteRefs(bare)).toEqual(['refs/dkt/workers/lost'])
  }, 180_000)

  it('while the remote cannot be reached: the running run finishes and stays a local commit, nothing new starts; all goes out when it is back', async () => {
    const origin = await newProject()
    const nodes = []
    for (const name of ['n1', 'n2', 'n3']) nodes.push(await define(origin, ['--', 'sh', '-c', `sleep 2; echo ${name}`]))
    const {dirs, bare} = await clones(origin, 1)
    const meta = path.join(dirs[0], '.dkt')
    const url = git(meta, ['remote', 'get-url', 'origin'])
    const worker = startScheduler(dirs[0], ['--remote', '--once', '--name', 'w', '--concurrency', '1'])
    await worker.until((event) => event.type === 'run-started', 'the first run', 60_000)
    // A port nothing listens on: every fetch and push fails from now on, as when the network is gone.
    git(meta, ['remote', 'set-url', 'origin', 'git://127.0.0.1:1/gone.git'])
    await worker.until((event) => event.type === 'remote-unreachable', 'the remote reported unreachable', 60_000)
    await worker.until((event) => event.type === 'run-finished', 'the running run finished', 60_000)
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect(worker.events.filter((event) => event.type === 'run-started')).toHaveLength(1)
    expect(remoteRuns(bare).size).toBe(0)
    git(meta, ['remote', 'set-url', 'origin', url])
    await worker.until((event) => event.type === 'remote-back', 'the remote back', 60_000)
    expect(await worker.exited).toBe(0)
    const runs = remoteRuns(bare)
    for (const node of nodes) expect(runs.get(node)?.map((run) => run.status)).toEqual(['success'])
    expect(remoteRefs(bare)).toEqual([])
  }, 180_000)

  it('rejects a bad worker name, and remote-only flags without --remote: one sentence, exit 2', async () => {
    const dir = await newProject()
    const bad = await dkt(['scheduler', '--remote', '--once', '--name', '-x!'], {cwd: dir})
    expect(bad.exitCode).toBe(2)
    const badName = await dkt(['scheduler', '--once', '--remote', 'origin', '--name', 'a/b'], {cwd: dir})
    expect(badName.stderr).toMatch(/^Error: `a\/b` is not a valid worker name: .*\n$/)
    expect(badName.exitCode).toBe(2)
    const noRemote = await dkt(['scheduler', '--once', '--lease', '10'], {cwd: dir})
    expect(noRemote.stderr).toBe('Error: --lease is for remote workers: add --remote\n')
    expect(noRemote.exitCode).toBe(2)
    const missing = await dkt(['scheduler', '--once', '--remote'], {cwd: dir})
    expect(missing.stderr).toMatch(/^Error: the metadata repository has no remote `origin`; .*\n$/)
    expect(missing.exitCode).toBe(2)
    const beats = await dkt(['scheduler', '--once', '--remote', '--lease', '5', '--heartbeat', '5'], {cwd: dir})
    expect(beats.stderr).toMatch(/^Error: --heartbeat \(5 s\) must be shorter than --lease \(5 s\).*\n$/)
    expect(beats.exitCode).toBe(2)
  })
})
