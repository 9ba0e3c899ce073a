import {existsSync, readFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk} from '../helpers/cli.js'
import {git, gitRepo, metaState} from '../helpers/git.js'
import {gitDaemonForSuite} from '../helpers/git-daemon.js'
import {newProject, writeFiles} from '../helpers/project.js'
import {tempDir} from '../helpers/tmp.js'

const TOKEN = 'ghp_CLONE_SECRET_987654321'
const daemon = gitDaemonForSuite()

describe('dkt clone', () => {
  it('clones a project from its folder; secrets and config never travel', async () => {
    const upstream = gitRepo([{'a': '1'}])
    const origin = await newProject(['--github-token', TOKEN])
    await dktOk(['config', 'set', 'ESX_USER', 'alice'], {cwd: origin})
    writeFiles(origin, {'data/x': '1'})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: origin})
    await dktOk(['source', 'add', 'app', upstream.dir, '-k', 'git'], {cwd: origin})

    const parent = tempDir()
    const out = await dktOk(['clone', origin, 'copy'], {cwd: parent})
    const copy = path.join(parent, 'copy')
    expect(out).toBe(`Cloned Datakit repository into ${copy}/.dkt/\n`)
    expect(existsSync(path.join(copy, '.dkt', 'secrets', 'github-token'))).toBe(false)
    expect(existsSync(path.join(copy, '.dkt', 'config'))).toBe(false)
    const list = await dktJson<{name: string; latest: string}[]>(['source', 'list'], {cwd: copy})
    expect(list.map((s) => s.name)).toEqual(['app', 'data'])
    // the git source's mirror is rebuilt on demand in the clone's own cache
    expect((await dktJson<unknown[]>(['source', 'log', 'app'], {cwd: copy})).length).toBe(1)
  })

  it('clones from a git URL (git daemon), with tokens given again', async () => {
    const origin = await newProject()
    await dktOk(['source', 'add', 'tmp'], {cwd: origin})
    git(daemon.served, ['clone', '-q', '--bare', path.join(origin, '.dkt'), path.join(daemon.served, 'meta.git')])
    const parent = tempDir()
    await dktOk(['clone', `${daemon.url}/meta.git`, '--github-token', TOKEN], {cwd: parent})
    const copy = path.join(parent, 'meta')
    expect(readFileSync(path.join(copy, '.dkt', 'secrets', 'github-token'), 'utf8').trim()).toBe(TOKEN)
    expect(git(path.join(copy, '.dkt'), ['log', '--format=%s'])).toBe('source add tmp (path ' + JSON.parse(readFileSync(path.join(origin, '.dkt/sources/tmp.json'), 'utf8')).location + ')\ninit')
    expect(git(path.join(copy, '.dkt'), ['ls-files'])).not.toContain('secrets')
  })

  it('refuses a repository that is not a dkt project, an unreachable URL, and an existing project; leaves nothing', async () => {
    const plain = gitRepo([{'a': '1'}])
    const parent = tempDir()
    const notDkt = await dkt(['clone', plain.dir, 'x'], {cwd: parent})
    expect(notDkt.exitCode).toBe(2)
    expect(notDkt.stderr).toMatch(/^Error: `.*` is not a dkt metadata repository \(it has no `format` file\)\n$/)
    expect(existsSync(path.join(parent, 'x'))).toBe(false)

    const unreachable = await dkt(['clone', 'git://127.0.0.1:9/none.git', 'y'], {cwd: parent})
    expect(unreachable.exitCode).toBe(1)
    expect(unreachable.stderr).toMatch(/^Error: cannot clone `git:\/\/127\.0\.0\.1:9\/none\.git`: .+\n$/)
    expect(existsSync(path.join(parent, 'y'))).toBe(false)

    const existing = await newProject()
    const before = metaState(existing)
    const origin = await newProject()
    const again = await dkt(['clone', origin, existing], {cwd: parent})
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toMatch(/already exists/)
    expect(metaState(existing)).toEqual(before)
  })

  it('two clones exchange changes with git pull; observation logs merge by union', async () => {
    const origin = await newProject()
    writeFiles(origin, {'data/x': '1'})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: origin})
    const parent = tempDir()
    await dktOk(['clone', origin, 'b'], {cwd: parent})
    const b = path.join(parent, 'b')
    writeFiles(b, {'data/x': '2'})
    writeFiles(origin, {'data/x': '3'})
    await dktOk(['source', 'update', 'data'], {cwd: origin})
    await dktOk(['source', 'update', 'data'], {cwd: b})
    git(path.join(b, '.dkt'), ['pull', '-q', '--no-rebase', '--no-edit'])
    const log = await dktJson<{version: string}[]>(['source', 'log', 'data'], {cwd: b})
    expect(log).toHaveLength(3)
  })
})
