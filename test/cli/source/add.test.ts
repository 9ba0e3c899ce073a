import {existsSync, readFileSync, statSync} from 'node:fs'
import * as path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk} from '../../helpers/cli.js'
import {git, gitRepo} from '../../helpers/git.js'
import {type GitDaemon, startGitDaemon} from '../../helpers/git-daemon.js'
import {newProject, writeFiles} from '../../helpers/project.js'
import {tempDir} from '../../helpers/tmp.js'

let daemon: GitDaemon
let served: string
let upstream: {dir: string; commits: string[]}

beforeAll(async () => {
  served = tempDir('dkt-served-')
  upstream = gitRepo(
    [
      {'README': 'one\n', 'v1/pitfall/test.sh': 'echo 1\n'},
      {'README': 'two\n'},
      {'v1/pitfall/test.sh': 'echo 3\n'},
      {'README': 'four\n'},
    ],
    {dir: path.join(served, 'docker', 'pinata'), branch: 'master'},
  )
  git(upstream.dir, ['branch', 'beta12', upstream.commits[1]])
  daemon = await startGitDaemon(served)
})

afterAll(async () => {
  await daemon?.stop()
})

describe('source add: github and git remotes', () => {
  it('adds user/repo -k github with the seed table, the default branch and its latest commit', async () => {
    const dir = await newProject()
    await dktOk(['config', 'set', 'github.url', daemon.url], {cwd: dir})
    const out = await dktOk(['source', 'add', 'pinata', 'docker/pinata', '-k', 'github'], {cwd: dir})
    expect(out.split('\n')[0]).toMatch(/^NAME\s+KIND\s+LOCATION\s+TAG\s+PATH$/)
    expect(out.split('\n')[1].split(/\s+/)).toEqual(['pinata', 'git', `${daemon.url}/docker/pinata`, 'master', '-'])
    const list = await dktJson<{name: string; latest: string}[]>(['source', 'list'], {cwd: dir})
    expect(list).toEqual([expect.objectContaining({name: 'pinata', latest: `sha1:${upstream.commits[3]}`, pinned: false})])
    expect(git(path.join(dir, '.dkt'), ['log', '-1', '--format=%s'])).toBe(`source add pinata (git ${daemon.url}/docker/pinata)`)
    // the mirror lives in the cache, never in the metadata repository
    expect(git(path.join(dir, '.dkt'), ['ls-files']).split('\n')).toEqual(expect.arrayContaining(['sources/pinata.json', 'versions/pinata.jsonl']))
    expect(git(path.join(dir, '.dkt'), ['ls-files', 'cache'])).toBe('')
  })

  it('derives a sub-path source from a parent: newest commit touching PATH', async () => {
    const dir = await newProject()
    await dktOk(['source', 'add', 'pinata', `${daemon.url}/docker/pinata`], {cwd: dir})
    const child = await dktJson<Record<string, unknown>>(['source', 'add', 'pitfall', 'pinata', '--path', '/v1/pitfall'], {cwd: dir})
    expect(child).toMatchObject({name: 'pitfall', kind: 'git', location: `${daemon.url}/docker/pinata`, tag: 'master', path: '/v1/pitfall', parent: 'pinata', latest: `sha1:${upstream.commits[2]}`})
    // -p of a derived source is relative to the parent's path
    await dktOk(['source', 'add', 'v1', 'pinata', '-p', 'v1'], {cwd: dir})
    const grandchild = await dktJson<Record<string, unknown>>(['source', 'add', 'pit2', 'v1', '-p', 'pitfall'], {cwd: dir})
    expect(grandchild).toMatchObject({path: '/v1/pitfall', parent: 'v1'})
    const log = await dktOk(['source', 'log', 'pitfall'], {cwd: dir})
    expect(log).toBe(`ID        FULL\n${upstream.commits[2].slice(0, 8)}  sha1:${upstream.commits[2]}\n${upstream.commits[0].slice(0, 8)}  sha1:${upstream.commits[0]}\n`)
  })

  it('takes a TAG after the location, and a derived source may override it', async () => {
    const dir = await newProject()
    const beta = await dktJson<Record<string, unknown>>(['source', 'add', 'beta12', `${daemon.url}/docker/pinata:beta12`], {cwd: dir})
    expect(beta).toMatchObject({tag: 'beta12', latest: `sha1:${upstream.commits[1]}`})
    const derived = await dktJson<Record<string, unknown>>(['source', 'add', 'main', 'beta12:master'], {cwd: dir})
    expect(derived).toMatchObject({tag: 'master', latest: `sha1:${upstream.commits[3]}`, parent: 'beta12'})
  })

  it('follows new commits on update, with git history as the version log', async () => {
    const repo = gitRepo([{'a': '1'}, {'a': '2'}], {dir: path.join(served, 'team', 'moving')})
    const dir = await newProject()
    await dktOk(['source', 'add', 'moving', `${daemon.url}/team/moving`], {cwd: dir})
    const unchanged = await dktJson<Record<string, unknown>>(['source', 'update', 'moving'], {cwd: dir})
    expect(unchanged).toMatchObject({changed: false, version: `sha1:${repo.commits[1]}`})
    const head = git(path.join(dir, '.dkt'), ['rev-parse', 'HEAD'])
    const third = git(repo.dir, ['commit', '-q', '--allow-empty', '-m', 'three']) || git(repo.dir, ['rev-parse', 'HEAD'])
    expect(git(path.join(dir, '.dkt'), ['rev-parse', 'HEAD'])).toBe(head)
    const updated = await dktJson<Record<string, unknown>>(['source', 'update', 'moving'], {cwd: dir})
    expect(updated).toMatchObject({changed: true, previous: `sha1:${repo.commits[1]}`, version: `sha1:${third}`})
    expect(git(path.join(dir, '.dkt'), ['log', '-1', '--format=%s'])).toBe(`source update moving sha1:${third.slice(0, 8)}`)
    const log = await dktJson<{version: string}[]>(['source', 'log', 'moving'], {cwd: dir})
    expect(log.map((e) => e.version)).toEqual([third, ...repo.commits.reverse()].map((c) => `sha1:${c}`))
  })

  it('adds a local git repository with -k git and stores it relative to the project when inside it', async () => {
    const dir = await newProject()
    const local = gitRepo([{'x': '1'}], {dir: path.join(dir, 'vendor', 'lib'), branch: 'trunk'})
    const added = await dktJson<Record<string, unknown>>(['source', 'add', 'lib', './vendor/lib', '-k', 'git'], {cwd: dir})
    expect(added).toMatchObject({kind: 'git', location: 'vendor/lib', tag: 'trunk', latest: `sha1:${local.commits[0]}`})
  })
})

describe('source add: path sources', () => {
  it('an existing folder: md5 of its tree; no location: a new temporary folder', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/a.txt': 'hello\n', 'data/bin/run.sh': '#!/bin/sh\n'})
    const data = await dktJson<Record<string, unknown>>(['source', 'add', 'data', 'data'], {cwd: dir})
    expect(data).toMatchObject({kind: 'path', location: 'data', tag: null, path: null})
    const tmp = await dktJson<{location: string; latest: string}>(['source', 'add', 'tests'], {cwd: dir})
    expect(tmp.latest).toBe('md5:d41d8cd98f00b204e9800998ecf8427e')
    expect(statSync(tmp.location).isDirectory()).toBe(true)
    const table = await dktOk(['source', 'add', 'sub', 'data', '-k', 'path', '-p', 'bin'], {cwd: dir})
    expect(table).toMatch(/^sub\s+path\s+data\s+-\s+\/bin$/m)
  })

  it('a rejected temporary source leaves no folder behind', async () => {
    const dir = await newProject()
    await dktOk(['source', 'add', 'tests'], {cwd: dir})
    const before = readFileSync(path.join(dir, '.dkt/sources/tests.json'), 'utf8')
    const result = await dkt(['source', 'add', 'tests'], {cwd: dir})
    expect(result).toMatchObject({exitCode: 2, stderr: 'Error: source `tests` already exists\n'})
    expect(readFileSync(path.join(dir, '.dkt/sources/tests.json'), 'utf8')).toBe(before)
    expect(existsSync(JSON.parse(before).location)).toBe(true)
  })
})
