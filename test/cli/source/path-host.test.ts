// Path sources live on one machine: `source add` records its name (DKT_HOST plays other machines here), only there
// is the source followed and do its readers and writers run, and `dkt status` says so elsewhere.
import {readFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk} from '../../helpers/cli.js'
import {git, metaState} from '../../helpers/git.js'
import {newProject, writeFiles} from '../../helpers/project.js'
import {schemaErrors} from '../../helpers/schemas.js'
import {tempDir} from '../../helpers/tmp.js'

const on = (host: string) => ({env: {DKT_HOST: host}})
const defOf = (dir: string, name: string) => JSON.parse(readFileSync(path.join(dir, '.dkt', 'sources', `${name}.json`), 'utf8')) as {host?: string}

interface Status {
  node: string
  reasons: string[]
  waitsFor?: {labels: string[]; hosts: {host: string; source: string; access: string}[]; fleet: unknown}
}

describe('path sources live on one machine', () => {
  it('records the host of a path source, of a source derived from it and of a re-pointed one', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/sub/f': '1', 'other/f': '2'})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir, ...on('mac-1')})
    await dktOk(['source', 'add', 'sub', 'data', '-p', 'sub'], {cwd: dir, ...on('linux-9')})
    await dktOk(['source', 'add', 'scratch'], {cwd: dir, ...on('mac-1')})
    expect([defOf(dir, 'data').host, defOf(dir, 'sub').host, defOf(dir, 'scratch').host]).toEqual(['mac-1', 'mac-1', 'mac-1'])
    await dktOk(['source', 'pin', 'data', 'other', '-k', 'path'], {cwd: dir, ...on('linux-9')})
    expect(defOf(dir, 'data').host).toBe('linux-9')
    const upstream = tempDir()
    git(upstream, ['init', '-q'])
    git(upstream, ['commit', '-q', '--allow-empty', '-m', 'one'])
    await dktOk(['source', 'pin', 'data', upstream, '-k', 'git'], {cwd: dir, ...on('linux-9')})
    expect(defOf(dir, 'data').host).toBeUndefined()
    await dktOk(['source', 'add', 'app', upstream, '-k', 'git'], {cwd: dir, ...on('mac-1')})
    expect(defOf(dir, 'app').host).toBeUndefined()
  })

  it('runs a node that reads or writes one only on its host; status says so elsewhere', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/f': '1', 'out/.keep': ''})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir, ...on('mac-1')})
    await dktOk(['source', 'add', 'out', 'out'], {cwd: dir, ...on('mac-1')})
    const node = (await dktOk(['node', 'run', '--detach', '--input', 'data', '--output', 'out', 'true'], {cwd: dir, ...on('mac-1')})).trim()
    const statusOn = async (host: string) => (await dktJson<Status[]>(['status'], {cwd: dir, ...on(host)})).find((s) => s.node.startsWith(node)) as Status

    const elsewhere = await statusOn('linux-9')
    expect(elsewhere.reasons).toEqual(['never run', 'runs only on mac-1 (reads path source data, writes path source out)'])
    expect(elsewhere.waitsFor).toEqual({
      labels: ['host:mac-1'],
      hosts: [{host: 'mac-1', source: 'data', access: 'reads'}, {host: 'mac-1', source: 'out', access: 'writes'}],
      fleet: null,
    })
    expect(schemaErrors('status', await dktJson(['status'], {cwd: dir, ...on('linux-9')}))).toBe('')
    expect((await statusOn('mac-1')).reasons).toEqual(['never run'])

    // Another machine neither follows the source nor runs the node.
    writeFiles(dir, {'data/f': '2'})
    const there = await dktOk(['scheduler', '--once', '--json'], {cwd: dir, ...on('linux-9')})
    const events = there.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as {type: string; source?: string})
    expect(events.filter((event) => event.type === 'version-found' || event.type === 'run-started')).toEqual([])
    expect((await statusOn('linux-9')).reasons).toEqual(['never run', 'runs only on mac-1 (reads path source data, writes path source out)'])
    const here = await dktOk(['scheduler', '--once', '--json'], {cwd: dir, ...on('mac-1')})
    const types = here.trim().split('\n').map((line) => (JSON.parse(line) as {type: string}).type)
    expect(types).toEqual(expect.arrayContaining(['version-found', 'run-started', 'run-finished']))
    expect((await statusOn('linux-9')).reasons).toEqual(['up to date'])
  })

  it('keeps an older definition without a host runnable anywhere', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/f': '1'})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir, ...on('mac-1')})
    const file = path.join(dir, '.dkt', 'sources', 'data.json')
    const {host: _host, ...older} = defOf(dir, 'data')
    writeFiles(dir, {'.dkt/sources/data.json': `${JSON.stringify(older, null, 2)}\n`})
    git(path.join(dir, '.dkt'), ['commit', '-qam', 'an older definition'])
    expect(readFileSync(file, 'utf8')).not.toContain('host')
    const node = (await dktOk(['node', 'run', '--detach', '--input', 'data', 'true'], {cwd: dir, ...on('mac-1')})).trim()
    const status = await dktJson<Status[]>(['status'], {cwd: dir, ...on('linux-9')})
    expect(status.find((s) => s.node.startsWith(node))?.reasons).toEqual(['never run'])
  })

  it('dkt export writes the host of a path source of another machine, and dkt apply keeps it', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/f': '1'})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir, ...on('mac-1')})
    expect(await dktOk(['export'], {cwd: dir, ...on('mac-1')})).not.toContain('host:')
    const exported = await dktOk(['export'], {cwd: dir, ...on('linux-9')})
    expect(exported).toContain('  data:\n    kind: path\n    location: data\n    host: mac-1\n')
    const fresh = await newProject()
    writeFiles(fresh, {'data/f': '1', 'dkt.yml': exported})
    await dktOk(['apply', '--yes'], {cwd: fresh, ...on('linux-9')})
    expect(defOf(fresh, 'data').host).toBe('mac-1')
    expect(await dktOk(['apply'], {cwd: fresh, ...on('linux-9')})).toBe('nothing to change: the project matches dkt.yml\n')
    writeFiles(fresh, {'dkt.yml': exported.replace('host: mac-1', 'host: linux-9')})
    expect(await dktOk(['apply', '--dry-run'], {cwd: fresh, ...on('linux-9')})).toMatch(/^~ source data {2}host: mac-1 → linux-9$/m)
  })

  it('is checked only on its host: update refuses elsewhere, a refresh skips it', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/f': '1'})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir, ...on('mac-1')})
    writeFiles(dir, {'data/f': '2'})
    const before = metaState(dir)
    const refused = await dkt(['source', 'update', 'data'], {cwd: dir, ...on('linux-9')})
    expect([refused.exitCode, refused.stderr]).toEqual([2, 'Error: path source `data` lives on mac-1, not on this machine (linux-9); update it there\n'])
    expect(await dktOk(['source', 'list', '--refresh'], {cwd: dir, ...on('linux-9')})).toBeTruthy()
    expect(metaState(dir)).toEqual(before)
    await dktOk(['source', 'update', 'data'], {cwd: dir, ...on('mac-1')})
    expect(metaState(dir).commits).toBe(before.commits + 1)
  })
})
