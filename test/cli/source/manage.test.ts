import {readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk} from '../../helpers/cli.js'
import {git, gitRepo} from '../../helpers/git.js'
import {newProject, writeFiles} from '../../helpers/project.js'

let upstream: {dir: string; commits: string[]}
beforeAll(() => {
  upstream = gitRepo([{'a': '1'}, {'a': '2'}, {'a': '3'}])
})

const short = (sha: string) => sha.slice(0, 8)
const lastCommit = (dir: string) => git(path.join(dir, '.dkt'), ['log', '-1', '--format=%s'])

describe('pin, unpin and re-point', () => {
  it('pins by any unique prefix (with or without sha1:), marks NAME* and unpins', async () => {
    const dir = await newProject()
    await dktOk(['source', 'add', 'pinata', upstream.dir, '-k', 'git'], {cwd: dir})
    const old = upstream.commits[0]
    expect(await dktOk(['source', 'pin', 'pinata', old.slice(0, 6)], {cwd: dir})).toBe(`NAME     LATEST\npinata*  sha1:${old}\n`)
    expect(lastCommit(dir)).toBe(`source pin pinata sha1:${short(old)}`)
    expect(await dktOk(['source', 'list'], {cwd: dir})).toBe(`NAME     LATEST\npinata*  sha1:${old}\n`)
    expect(await dktOk(['source', 'log', 'pinata'], {cwd: dir})).toContain(`${short(old)}*  sha1:${old}`)
    await dktOk(['source', 'pin', 'pinata', `sha1:${upstream.commits[1]}`], {cwd: dir})
    expect(JSON.parse(readFileSync(path.join(dir, '.dkt/sources/pinata.json'), 'utf8')).pin).toBe(`sha1:${upstream.commits[1]}`)
    await dktOk(['source', 'unpin', 'pinata'], {cwd: dir})
    expect(lastCommit(dir)).toBe('source unpin pinata')
    expect(await dktOk(['source', 'list'], {cwd: dir})).toBe(`NAME    LATEST\npinata  sha1:${upstream.commits[2]}\n`)
  })

  it('re-points a source to another location (a local mirror), keeping its name, pin and derived sources', async () => {
    const dir = await newProject()
    const remote = `file://${upstream.dir}`
    await dktOk(['source', 'add', 'pinata', remote], {cwd: dir})
    await dktOk(['source', 'add', 'child', 'pinata'], {cwd: dir})
    await dktOk(['source', 'pin', 'pinata', upstream.commits[1]], {cwd: dir})
    const mirror = path.join(path.dirname(upstream.dir), `${path.basename(upstream.dir)}-mirror`)
    git(path.dirname(upstream.dir), ['clone', '-q', upstream.dir, mirror])
    const result = await dktJson<Record<string, unknown>>(['source', 'pin', 'pinata', mirror, '-k', 'git'], {cwd: dir})
    expect(result).toMatchObject({name: 'pinata', kind: 'git', location: mirror, pinned: true, latest: `sha1:${upstream.commits[1]}`})
    expect(lastCommit(dir)).toBe(`source pin pinata ${mirror} (git)`)
    const child = JSON.parse(readFileSync(path.join(dir, '.dkt/sources/child.json'), 'utf8'))
    expect(child.location).toBe(mirror)
  })
})

describe('pause and resume', () => {
  it('stops automatic updates: list --refresh skips a paused source; source update still works', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/x': '1'})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir})
    expect(await dktOk(['source', 'pause', 'data'], {cwd: dir})).toBe('source data paused\n')
    expect(lastCommit(dir)).toBe('source pause data')
    expect(await dktOk(['source', 'pause', 'data'], {cwd: dir})).toBe('source data was already paused\n')
    writeFileSync(path.join(dir, 'data/x'), '2')
    const before = await dktJson<{latest: string}[]>(['source', 'list'], {cwd: dir})
    expect(await dktJson<{latest: string; paused: boolean}[]>(['source', 'list', '--refresh'], {cwd: dir})).toEqual([
      expect.objectContaining({latest: before[0].latest, paused: true}),
    ])
    await dktOk(['source', 'resume', 'data'], {cwd: dir})
    const after = await dktJson<{latest: string; paused: boolean}[]>(['source', 'list', '--refresh'], {cwd: dir})
    expect(after[0].latest).not.toBe(before[0].latest)
    expect(after[0].paused).toBe(false)
  })
})

describe('path sources over time', () => {
  it('records observed versions append-only and logs them newest first', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/x': '1'})
    const first = (await dktJson<{latest: string}>(['source', 'add', 'data', 'data'], {cwd: dir})).latest
    writeFileSync(path.join(dir, 'data/x'), '2')
    const second = (await dktJson<{version: string; changed: boolean}>(['source', 'update', 'data'], {cwd: dir})).version
    const head = git(path.join(dir, '.dkt'), ['rev-parse', 'HEAD'])
    expect(await dktJson(['source', 'update', 'data'], {cwd: dir})).toMatchObject({changed: false})
    expect(git(path.join(dir, '.dkt'), ['rev-parse', 'HEAD'])).toBe(head)
    const log = await dktJson<{version: string}[]>(['source', 'log', 'data'], {cwd: dir})
    expect(log.map((e) => e.version)).toEqual([second, first])
    const lines = readFileSync(path.join(dir, '.dkt/versions/data.jsonl'), 'utf8').trim().split('\n')
    expect(lines.map((l) => JSON.parse(l).version)).toEqual([first, second])
  })

  it('re-checks without re-reading unchanged files: the hash cache keys on (device, inode, size, mtime)', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/x': 'aaa'})
    const old = new Date('2020-01-01T00:00:00Z')
    const {utimesSync} = await import('node:fs')
    utimesSync(path.join(dir, 'data/x'), old, old)
    const first = (await dktJson<{latest: string}>(['source', 'add', 'data', 'data'], {cwd: dir})).latest
    // Same inode, same size, same mtime, other bytes: only a cached digest can still say `aaa`.
    writeFileSync(path.join(dir, 'data/x'), 'bbb')
    utimesSync(path.join(dir, 'data/x'), old, old)
    expect(await dktJson(['source', 'update', 'data'], {cwd: dir})).toMatchObject({changed: false, version: first})
    // Once the mtime moves, the file is read again.
    utimesSync(path.join(dir, 'data/x'), old, new Date('2021-01-01T00:00:00Z'))
    expect(await dktJson(['source', 'update', 'data'], {cwd: dir})).toMatchObject({changed: true})
  })
})

describe('link and rm', () => {
  it('links two existing versions and refuses the same link twice', async () => {
    const dir = await newProject()
    writeFiles(dir, {'dmg/app.dmg': 'build 2246'})
    await dktOk(['source', 'add', 'pinata', upstream.dir, '-k', 'git'], {cwd: dir})
    const dmg = (await dktJson<{latest: string}>(['source', 'add', 'dmg', 'dmg'], {cwd: dir})).latest
    const dmgShort = dmg.slice(4, 12)
    const out = await dktOk(['source', 'link', `pinata:${short(upstream.commits[0])}`, `dmg:${dmgShort.toUpperCase()}`], {cwd: dir})
    expect(out).toBe(`pinata:${short(upstream.commits[0])} -> dmg:${dmgShort}\n`)
    expect(lastCommit(dir)).toBe(`source link pinata:${short(upstream.commits[0])} dmg:${dmgShort}`)
    const again = await dkt(['source', 'link', `pinata:${short(upstream.commits[0])}`, `dmg:${dmgShort}`], {cwd: dir})
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toMatch(/already linked/)
  })

  it('removes a source with its observations and links', async () => {
    const dir = await newProject()
    await dktOk(['source', 'add', 'tmp'], {cwd: dir})
    await dktOk(['source', 'add', 'other'], {cwd: dir})
    await dktOk(['source', 'link', 'tmp:d41d8cd9', 'other:d41d8cd9'], {cwd: dir})
    expect(await dktOk(['source', 'rm', 'tmp'], {cwd: dir})).toBe('source tmp removed\n')
    expect(lastCommit(dir)).toBe('source rm tmp')
    expect(git(path.join(dir, '.dkt'), ['ls-files', 'sources', 'versions', 'links'])).toBe('sources/other.json\nversions/other.jsonl')
  })

  it('refuses to remove a source used by a node or a derived source, unless --force', async () => {
    const dir = await newProject()
    await dktOk(['source', 'add', 'raw'], {cwd: dir})
    await dktOk(['source', 'add', 'child', 'raw'], {cwd: dir})
    // A node definition as the node commands write it (they come with the compute-node feature).
    writeFiles(dir, {'.dkt/nodes/3f2a91c0aa.json': JSON.stringify({format: 1, id: '3f2a91c0aa', command: ['x'], inputs: ['raw'], outputs: [], labels: []})})
    git(path.join(dir, '.dkt'), ['add', 'nodes'])
    git(path.join(dir, '.dkt'), ['commit', '-q', '-m', 'node'])
    const refused = await dkt(['source', 'rm', 'raw'], {cwd: dir})
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toBe('Error: source `raw` is used by node 3f2a91c0, source `child`; remove them first or pass --force\n')
    await dktOk(['source', 'rm', 'raw', '--force'], {cwd: dir})
    expect(git(path.join(dir, '.dkt'), ['ls-files', 'sources'])).toBe('sources/child.json')
  })
})
