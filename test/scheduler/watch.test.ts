import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dktJson, dktOk} from '../helpers/cli.js'
import {commit, git, gitRepo} from '../helpers/git.js'
import {gitDaemonForSuite, waitFor} from '../helpers/git-daemon.js'
import {newProject, writeFiles} from '../helpers/project.js'
import {startScheduler} from '../helpers/scheduler.js'
import {tempDir} from '../helpers/tmp.js'

const daemon = gitDaemonForSuite()

const finishedOn = (source: string, version: string) => (e: {type: string; run?: unknown}) =>
  e.type === 'run-finished' && (e.run as {inputs: Record<string, string>}).inputs[source] === version

describe('dkt scheduler (long-running)', () => {
  it('watches a path source and a local git repository, polls a git daemon repository, and runs what becomes due', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/x': '1'})
    const local = gitRepo([{'a': '1'}])
    const remote = gitRepo([{'b': '1'}], {dir: path.join(daemon.served, 'remote')})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir})
    await dktOk(['source', 'add', 'local', local.dir, '-k', 'git'], {cwd: dir})
    await dktOk(['source', 'add', 'remote', `${daemon.url}/remote`], {cwd: dir})
    for (const s of ['data', 'local', 'remote']) await dktOk(['node', 'run', '--detach', '--input', s, 'true'], {cwd: dir})

    const scheduler = startScheduler(dir, ['--interval', '1', '--concurrency', '2'])
    try {
      await waitFor(() => scheduler.events.filter((e) => e.type === 'run-finished').length === 3, 'the three first runs', 30_000)
      // a burst of writes gives one new version (debounced)
      for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, 'data/x'), `burst ${i}`)
      const found = await scheduler.until((e) => e.type === 'version-found' && e.source === 'data', 'a new version of data')
      await scheduler.until(finishedOn('data', found.version as string), 'a run on the new data')
      expect(scheduler.events.filter((e) => e.type === 'version-found' && e.source === 'data')).toHaveLength(1)

      const head = commit(local.dir, {'a': '2'})
      await scheduler.until(finishedOn('local', `sha1:${head}`), 'a run on the local commit')

      const pushed = commit(remote.dir, {'b': '2'})
      await scheduler.until(finishedOn('remote', `sha1:${pushed}`), 'a run on the polled commit')
    } finally {
      scheduler.child.kill('SIGINT')
    }
    expect(await scheduler.exited).toBe(0)
    expect(git(path.join(dir, '.dkt'), ['status', '--porcelain'])).toBe('')
  })

  it('first Ctrl-C waits for the running run; a second one cancels it, recorded as cancelled', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/x': '1'})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir})
    const marker = path.join(tempDir(), 'started')
    const {node} = await dktJson<{node: string}>(['node', 'run', '--detach', '--input', 'data', '--', 'sh', '-c', `touch ${marker}; sleep 60`], {cwd: dir})
    const scheduler = startScheduler(dir)
    await scheduler.until((e) => e.type === 'run-started', 'the run to start')
    await waitFor(() => readdirSync(path.dirname(marker)).includes('started'), 'the command to start')
    // while it runs, node log and status say so (the run is committed only when it ends)
    expect((await dktJson<{runs: {status: string}[]}>(['node', 'log', node], {cwd: dir})).runs.map((r) => r.status)).toEqual(['running'])
    expect((await dktJson<{reasons: string[]}[]>(['status'], {cwd: dir}))[0].reasons[0]).toMatch(/^running \(run [0-9a-f]{8}\)$/)
    scheduler.child.kill('SIGINT')
    await scheduler.until((e) => e.type === 'stopping', 'the scheduler to say it is stopping')
    // still waiting for the run
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(scheduler.child.exitCode).toBeNull()
    scheduler.child.kill('SIGINT')
    const finished = await scheduler.until((e) => e.type === 'run-finished', 'the run to end')
    expect((finished.run as {status: string}).status).toBe('cancelled')
    expect(await scheduler.exited).toBe(1)
    const manifest = path.join(dir, '.dkt/runs', node)
    const [file] = readdirSync(manifest).filter((f) => f.endsWith('.json'))
    expect(JSON.parse(readFileSync(path.join(manifest, file), 'utf8')).status).toBe('cancelled')
    // a cancelled run is due again
    expect((await dktJson<{due: boolean}[]>(['status'], {cwd: dir}))[0].due).toBe(true)
  })
})
