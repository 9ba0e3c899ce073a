import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktOk} from '../helpers/cli.js'
import {git} from '../helpers/git.js'
import {newProject, writeFiles} from '../helpers/project.js'
import {startScheduler} from '../helpers/scheduler.js'

const TRIES = 20

function manifests(dir: string): Map<string, {status: string; reason: string | null}> {
  const runs = new Map<string, {status: string; reason: string | null}>()
  const root = path.join(dir, '.dkt', 'runs')
  if (!existsSync(root)) return runs
  for (const node of readdirSync(root)) {
    for (const file of readdirSync(path.join(root, node)).filter((f) => f.endsWith('.json'))) {
      runs.set(file.slice(0, -5), JSON.parse(readFileSync(path.join(root, node, file), 'utf8')))
    }
  }
  return runs
}

describe('crash safety', () => {
  it(`survives kill -9 at random moments (${TRIES} tries): fsck clean, every started run accounted for`, async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/x': '0', 'out1/.keep': '', 'out2/.keep': ''})
    for (const s of ['data', 'out1', 'out2']) await dktOk(['source', 'add', s, s], {cwd: dir})
    await dktOk(['node', 'run', '--detach', '--input', 'data', '--output', 'out1', '--', 'sh', '-c', 'sleep 0.1; cat "$data_ROOT/x" > "$out1_ROOT/y"'], {cwd: dir})
    await dktOk(['node', 'run', '--detach', '--input', 'out1', '--output', 'out2', '--', 'sh', '-c', 'cat "$out1_ROOT/y" > "$out2_ROOT/z"'], {cwd: dir})
    for (let i = 0; i < 4; i++) await dktOk(['node', 'run', '--detach', '--input', 'data', '--', 'sh', '-c', `sleep 0.0${i + 1}`], {cwd: dir})

    const started = new Set<string>()
    const dktDir = path.join(dir, '.dkt')
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      writeFileSync(path.join(dir, 'data/x'), String(attempt))
      await dktOk(['source', 'update', 'data'], {cwd: dir})
      const scheduler = startScheduler(dir, ['--once', '--concurrency', '2'])
      // Random moments across the whole life of the scheduler: startup, runs, commits.
      await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(Math.random() * 1500)))
      scheduler.child.kill('SIGKILL')
      await scheduler.exited
      for (const event of scheduler.events) if (event.type === 'run-started') started.add((event.run as {id: string}).id)
      git(dktDir, ['fsck', '--strict', '--no-progress'])
      git(dktDir, ['status', '--porcelain'])
    }
    // The next start recovers whatever was interrupted and finishes the work.
    const last = await dkt(['scheduler', '--once', '--json'], {cwd: dir})
    expect(last.exitCode, last.stdout + last.stderr).toBe(0)
    git(dktDir, ['fsck', '--strict', '--no-progress'])
    expect(git(dktDir, ['status', '--porcelain'])).toBe('')
    const recorded = manifests(dir)
    for (const id of started) expect(recorded.has(id), `run ${id} started but has no manifest`).toBe(true)
    expect([...recorded.values()].filter((r) => r.status === 'running')).toEqual([])
    expect(readdirSync(path.join(dktDir, 'cache', 'claims'))).toEqual([])
    const liveLogs = path.join(dktDir, 'cache', 'live')
    expect(existsSync(liveLogs) ? readdirSync(liveLogs) : [], 'live logs left by killed runners').toEqual([])
    expect(await dktOk(['status'], {cwd: dir})).toMatch(/^nothing to run/)
    expect(readFileSync(path.join(dir, 'out2/z'), 'utf8')).toBe(String(TRIES))
  }, 300_000)
})
