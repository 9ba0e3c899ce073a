// Crashes of a scheduler (kill -9 of its whole process group) at random moments and at git's own crash points: no
// run it reported finished is lost, and the next command uses the project as it is, without repair.
import {type ChildProcess, spawn} from 'node:child_process'
import {chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktOk, RUN_JS, testEnv} from '../helpers/cli.js'
import {waitFor} from '../helpers/git-daemon.js'
import {git} from '../helpers/git.js'
import {newProject, writeFiles} from '../helpers/project.js'

const TRIES = 30

interface FinishedRun {
  id: string
  node: string
  status: string
}

/** A scheduler in a process group of its own (with the commands and the git it spawns), and what it reported. */
interface KillableScheduler {
  finished: FinishedRun[]
  /** Events saying something went wrong (a run that could not start), and its stderr. */
  troubles: () => string[]
  child: ChildProcess
  killGroup(): Promise<void>
}

function startGroup(dir: string): KillableScheduler {
  // Without the CA bundle this machine adds to every Node start (~60 ms): the kills are many.
  const env = testEnv({NODE_EXTRA_CA_CERTS: undefined})
  const child = spawn(process.execPath, [RUN_JS, 'scheduler', '--once', '--json', '--concurrency', '2'], {cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true})
  const exited = new Promise((resolve) => child.on('close', resolve))
  const finished: FinishedRun[] = []
  const troubles: string[] = []
  let buffered = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (buffered + chunk.toString()).split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) {
      const event = JSON.parse(line) as {type: string; run?: FinishedRun}
      if (event.type === 'run-finished' && event.run) finished.push(event.run)
      if (event.type === 'run-error') troubles.push(line)
    }
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return {
    finished,
    troubles: () => [...troubles, ...stderr.split('\n').filter((line) => line.startsWith('Error'))],
    child,
    async killGroup() {
      try {
        process.kill(-(child.pid as number), 'SIGKILL')
      } catch {
        // The group is gone already: --once ended by itself.
      }
      await exited
    },
  }
}

/** data → a → b (copies), and two nodes reading data only: a small DAG of trivial commands. */
async function smallDag(): Promise<string> {
  const dir = await newProject()
  writeFiles(dir, {'data/x': '0', 'a/.keep': '', 'b/.keep': ''})
  for (const s of ['data', 'a', 'b']) await dktOk(['source', 'add', s, s], {cwd: dir})
  const define = (args: string[]) => dktOk(['node', 'run', '--detach', ...args], {cwd: dir})
  await define(['--input', 'data', '--output', 'a', '--', 'sh', '-c', 'cp "$data_ROOT/x" "$a_ROOT/x"'])
  await define(['--input', 'a', '--output', 'b', '--', 'sh', '-c', 'cp "$a_ROOT/x" "$b_ROOT/x"'])
  await define(['--input', 'data', '--', 'sh', '-c', 'true'])
  await define(['--input', 'data', '--', 'sh', '-c', 'true; true'])
  return dir
}

/** The project is whole: git finds nothing wrong, nothing is left uncommitted, every finished run is committed as reported. */
function expectWhole(dktDir: string, finished: FinishedRun[], context: string): void {
  git(dktDir, ['fsck', '--strict', '--no-progress'])
  expect(git(dktDir, ['status', '--porcelain']), context).toBe('')
  const committed = new Set(git(dktDir, ['ls-tree', '-r', '--name-only', 'HEAD', 'runs']).trim().split('\n'))
  for (const run of finished) {
    const file = `runs/${run.node}/${run.id}.json`
    expect({context, file, committed: committed.has(file)}).toEqual({context, file, committed: true})
    // The work tree is HEAD's (status is clean): the committed manifest says how the run ended.
    expect({context, file, status: (JSON.parse(readFileSync(path.join(dktDir, file), 'utf8')) as FinishedRun).status}).toEqual({context, file, status: run.status})
  }
}

describe('crashes of the scheduler', () => {
  it(`kill -9 of its process group at ${TRIES} random moments loses no run reported finished; the next command needs no repair`, async () => {
    const dir = await smallDag()
    const dktDir = path.join(dir, '.dkt')
    const finished: FinishedRun[] = []
    const began = Date.now()
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      writeFileSync(path.join(dir, 'data/x'), String(attempt))
      // The next command after a crash is the next scheduler: it recovers what the last one left and goes on.
      const scheduler = startGroup(dir)
      // Half the kills fall anywhere (start-up, runs, commits), half just after a run is recorded, before its commit.
      if (attempt % 2 === 0) await waitFor(() => scheduler.finished.length > 0 || scheduler.child.exitCode !== null, 'a run to finish', 20_000)
      await new Promise((resolve) => setTimeout(resolve, attempt % 2 === 0 ? Math.random() * 300 : 50 + Math.random() * 900))
      await scheduler.killGroup()
      expect({attempt, troubles: scheduler.troubles()}).toEqual({attempt, troubles: []})
      finished.push(...scheduler.finished)
      git(dktDir, ['fsck', '--strict', '--no-progress'])
      // Now and then, and at the end, a command that only takes the lock: after it, everything is committed.
      if (attempt % 10 === 0) {
        const next = await dkt(['source', 'update', 'data'], {cwd: dir})
        expect({attempt, exitCode: next.exitCode, stderr: next.stderr}).toMatchObject({attempt, exitCode: 0})
        expectWhole(dktDir, finished, `after kill ${attempt}`)
      }
    }
    // Some kills fell between a run's record and its commit: what they left was committed as recovered.
    expect(git(dktDir, ['log', '--format=%s']).split('\n').filter((subject) => subject.startsWith('recovered: '))).not.toEqual([])
    // The work goes on from where it stopped.
    const last = await dkt(['scheduler', '--once'], {cwd: dir})
    expect(last.exitCode, last.stdout + last.stderr).toBe(0)
    expect(await dktOk(['status'], {cwd: dir})).toMatch(/^nothing to run/)
    expectWhole(dktDir, finished, 'at the end')
    console.log(`${TRIES} kills in ${Math.round((Date.now() - began) / 1000)} s; ${finished.length} runs reported finished, all committed`)
  }, 300_000)

  for (const point of ['prepared', 'committed'] as const) {
    it(`kill -9 while git's reference-transaction hook holds \`${point}\` during a group commit: the runs reported finished are kept`, async () => {
      const dir = await smallDag()
      const dktDir = path.join(dir, '.dkt')
      const hook = path.join(dktDir, '.git', 'hooks', 'reference-transaction')
      const reached = path.join(dir, 'reached')
      writeFileSync(hook, `#!/bin/sh\ncat >/dev/null\n[ "$1" = ${point} ] && touch ${reached} && sleep 60\nexit 0\n`)
      chmodSync(hook, 0o755)
      const commits = Number(git(dktDir, ['rev-list', '--count', 'HEAD']).trim())
      const scheduler = startGroup(dir)
      await waitFor(() => existsSync(reached), `the scheduler's commit to reach \`${point}\``, 30_000)
      await scheduler.killGroup()
      rmSync(hook)
      expect(scheduler.finished.length).toBeGreaterThan(0)

      await dktOk(['source', 'list'], {cwd: dir})
      const next = await dkt(['source', 'update', 'data'], {cwd: dir})
      expect(next.exitCode, next.stderr).toBe(0)
      expectWhole(dktDir, scheduler.finished, point)
      const added = Number(git(dktDir, ['rev-list', '--count', 'HEAD']).trim()) - commits
      const subjects = git(dktDir, ['log', '--format=%s', '-n', String(added)]).trim().split('\n')
      // Held at `prepared`, the commit never happened: the next command made it, as recovered. At `committed` it had.
      if (point === 'prepared') expect(subjects.some((s) => s.startsWith('recovered: '))).toBe(true)
      else expect(subjects.some((s) => s.startsWith('recovered: '))).toBe(false)
      const last = await dkt(['scheduler', '--once'], {cwd: dir})
      expect(last.exitCode, last.stdout + last.stderr).toBe(0)
      expect(await dktOk(['status'], {cwd: dir})).toMatch(/^nothing to run/)
    }, 120_000)
  }
})

describe('runs left running by a dead process', () => {
  it('a `dkt node run` killed mid-run is recorded as interrupted by the next command that takes the lock, not only by a scheduler', async () => {
    const dir = await newProject()
    writeFiles(dir, {'a/x': '1', 'b/x': '2'})
    await dktOk(['source', 'add', 'a', 'a'], {cwd: dir})
    const dktDir = path.join(dir, '.dkt')
    const started = path.join(dir, 'started')
    const child = spawn(process.execPath, [RUN_JS, 'node', 'run', '--input', 'a', '--', 'sh', '-c', `touch ${started}; sleep 60`], {cwd: dir, env: testEnv(), stdio: 'ignore', detached: true})
    const exited = new Promise((resolve) => child.on('close', resolve))
    await waitFor(() => existsSync(started), 'the command to start', 20_000)
    process.kill(-(child.pid as number), 'SIGKILL')
    await exited

    const next = await dkt(['source', 'add', 'b', 'b'], {cwd: dir})
    expect(next.exitCode).toBe(0)
    expect(next.stderr).toMatch(/^Warning: run [0-9a-f]{8} of node [0-9a-f]{8} was interrupted \(the dkt process running it stopped\); it is recorded as error and due again\n$/)
    expect(git(dktDir, ['log', '--format=%s', '-n', '2']).split('\n')).toEqual([expect.stringMatching(/^source add b /), expect.stringMatching(/^recover 1 interrupted run: [0-9a-f]{8}$/)])
    const [node] = git(dktDir, ['ls-tree', '--name-only', 'HEAD', 'runs/']).split('\n')
    const [manifest] = git(dktDir, ['ls-tree', '-r', '--name-only', 'HEAD', node]).split('\n').filter((f) => f.endsWith('.json'))
    expect(JSON.parse(readFileSync(path.join(dktDir, manifest), 'utf8'))).toMatchObject({status: 'error', reason: 'interrupted: the dkt process running it stopped before it ended'})
    expect(readdirSync(path.join(dktDir, 'cache', 'claims'))).toEqual([])
    expect(git(dktDir, ['status', '--porcelain'])).toBe('')
  })

  it("a claim of another machine is never judged dead here: its run is left alone", async () => {
    const dir = await newProject()
    writeFiles(dir, {'a/x': '1'})
    const dktDir = path.join(dir, '.dkt')
    const claims = path.join(dktDir, 'cache', 'claims')
    const id = 'f'.repeat(64)
    writeFiles(claims, {[`${id}.json`]: JSON.stringify({pid: 999_999_999, host: 'another-machine', run: {id, node: 'e'.repeat(64), status: 'running'}})})
    await dktOk(['source', 'add', 'a', 'a'], {cwd: dir})
    expect(readdirSync(claims)).toEqual([`${id}.json`])
    expect(git(dktDir, ['log', '--format=%s'])).not.toMatch(/interrupted/)
  })
})
