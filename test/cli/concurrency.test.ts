import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt} from '../helpers/cli.js'
import {git} from '../helpers/git.js'
import {newProject} from '../helpers/project.js'

describe('concurrent writers', () => {
  it('8 `source add` started at once all land, one commit each, nothing lost, no corrupted index', async () => {
    const dir = await newProject()
    const names = Array.from({length: 8}, (_, i) => `s${i}`)
    const results = await Promise.all(names.map((name) => dkt(['source', 'add', name], {cwd: dir})))
    for (const result of results) {
      // Each either succeeds or says the project is busy (after a bounded wait); here the wait is long enough.
      expect(result.stderr).toBe('')
      expect(result.exitCode).toBe(0)
    }
    const dktDir = path.join(dir, '.dkt')
    const subjects = git(dktDir, ['log', '--format=%s']).split('\n')
    expect(subjects).toHaveLength(9)
    for (const name of names) expect(subjects.filter((s) => s.startsWith(`source add ${name} (`))).toHaveLength(1)
    expect(git(dktDir, ['ls-files', 'sources']).split('\n')).toEqual(names.map((n) => `sources/${n}.json`))
    expect(git(dktDir, ['status', '--porcelain'])).toBe('')
    git(dktDir, ['fsck', '--strict', '--no-progress'])
  })

  it('a writer that cannot get the lock in time says busy, retry (exit 1), and changes nothing', async () => {
    const dir = await newProject()
    const {writeFileSync} = await import('node:fs')
    // A lock held by a live process (this test runner) that never lets go.
    writeFileSync(path.join(dir, '.dkt', 'lock'), JSON.stringify({pid: process.pid, host: (await import('node:os')).hostname(), token: 't', since: 'now'}))
    const result = await dkt(['source', 'add', 'late'], {cwd: dir, env: {DKT_LOCK_TIMEOUT_MS: '300'}})
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/^Error: the project is busy: another dkt command is writing to it \(held by pid \d+ .*\); retry in a moment\n$/)
    expect(git(path.join(dir, '.dkt'), ['rev-list', '--count', 'HEAD'])).toBe('1')
  })

  it('a lock left by a writer killed mid-way (kill -9) is taken over and its half-done work rolled back', async () => {
    const dir = await newProject()
    const {writeFileSync, mkdirSync, existsSync} = await import('node:fs')
    const dktDir = path.join(dir, '.dkt')
    // What a writer killed between writing its files and committing leaves behind.
    mkdirSync(path.join(dktDir, 'sources'), {recursive: true})
    writeFileSync(path.join(dktDir, 'sources', 'ghost.json'), '{"half": "written"}\n')
    writeFileSync(path.join(dktDir, 'lock'), JSON.stringify({pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), token: 'dead', since: 'then'}))
    const result = await dkt(['source', 'add', 'alive'], {cwd: dir})
    expect(result.exitCode).toBe(0)
    expect(existsSync(path.join(dktDir, 'sources', 'ghost.json'))).toBe(false)
    expect(existsSync(path.join(dktDir, 'lock'))).toBe(false)
    expect(git(dktDir, ['status', '--porcelain'])).toBe('')
  })
})
