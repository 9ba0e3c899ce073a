// Recorded-but-uncommitted changes (MetaRepo.record, the journal) with real git: readable at once, committed in one
// group, never taken along by another writer's commit nor discarded, and recovered from a dead process.
import {appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {MetaRepo} from '../../src/core/meta-repo.js'
import {findProject} from '../../src/core/project.js'
import {git} from '../helpers/git.js'
import {newProject} from '../helpers/project.js'

/** A MetaRepo on a new project, with the warnings it gives. */
async function repoWithWarnings(dir?: string): Promise<{repo: MetaRepo; warnings: string[]; dktDir: string}> {
  const root = dir ?? (await newProject())
  const repo = new MetaRepo(findProject(root))
  const warnings: string[] = []
  repo.onWarning = (message) => warnings.push(message)
  return {repo, warnings, dktDir: repo.dir}
}

const subjects = (dktDir: string) => git(dktDir, ['log', '--format=%s'])
const filesOf = (dktDir: string, commit = 'HEAD') => git(dktDir, ['show', '--name-only', '--format=', commit]).split('\n').sort()
const journalDir = (dktDir: string) => path.join(dktDir, '.git', 'dkt-journal')

describe('recorded changes', () => {
  it('are in place (fsynced) at once, uncommitted, and committed together in one commit that lists each', async () => {
    const {repo, dktDir} = await repoWithWarnings()
    const commits = subjects(dktDir).split('\n').length
    await repo.record('node run aaaa: run 1111 success', (tx) => {
      tx.writeJson('runs/n1/r1.json', {status: 'success'})
      tx.appendLine('versions/out.jsonl', '{"version":"md5:1"}')
    })
    await repo.record('node run bbbb: run 2222 success', (tx) => tx.appendLine('versions/out.jsonl', '{"version":"md5:2"}'))
    expect(await repo.readJsonLines('versions/out.jsonl')).toEqual([{version: 'md5:1'}, {version: 'md5:2'}])
    expect(subjects(dktDir).split('\n')).toHaveLength(commits)
    expect(repo.hasRecorded).toBe(true)
    expect(readdirSync(journalDir(dktDir))).toHaveLength(1)

    await repo.commitRecorded()
    expect(git(dktDir, ['log', '-1', '--format=%B'])).toBe('scheduler: 2 runs\n\nnode run aaaa: run 1111 success\nnode run bbbb: run 2222 success')
    expect(filesOf(dktDir)).toEqual(['runs/n1/r1.json', 'versions/out.jsonl'])
    expect(git(dktDir, ['status', '--porcelain'])).toBe('')
    expect(readdirSync(journalDir(dktDir))).toEqual([])
    expect(repo.hasRecorded).toBe(false)
  })

  it("of a live process are neither taken along by another writer's commit nor committed twice", async () => {
    const {repo: scheduler, dktDir} = await repoWithWarnings()
    const {repo: command} = await repoWithWarnings(path.dirname(dktDir))
    await scheduler.record('node run aaaa: run 1111 success', (tx) => {
      tx.writeJson('runs/n1/r1.json', {status: 'success'})
      tx.appendLine('versions/out.jsonl', '{"version":"md5:1"}')
    })
    // Another writer that changes none of those files commits only its own.
    await command.transaction('source pause a', (tx) => tx.writeJson('sources/a.json', {paused: true}))
    expect(filesOf(dktDir)).toEqual(['sources/a.json'])
    expect(git(dktDir, ['status', '--porcelain'])).toBe('?? runs/\n?? versions/')
    // One that changes a recorded file commits the records first, under their own message, then its own change.
    await command.transaction('source update out', (tx) => tx.appendLine('versions/out.jsonl', '{"version":"md5:3"}'))
    expect(subjects(dktDir).split('\n').slice(0, 3)).toEqual(['source update out', 'node run aaaa: run 1111 success', 'source pause a'])
    expect(filesOf(dktDir, 'HEAD~1')).toEqual(['runs/n1/r1.json', 'versions/out.jsonl'])
    expect(git(dktDir, ['show', 'HEAD~1:versions/out.jsonl'])).toBe('{"version":"md5:1"}')
    // The recorder's own group commit then finds nothing left: no empty commit.
    const head = git(dktDir, ['rev-parse', 'HEAD'])
    await scheduler.commitRecorded()
    expect(git(dktDir, ['rev-parse', 'HEAD'])).toBe(head)
    expect(readdirSync(journalDir(dktDir))).toEqual([])
  })

  it('of a live process survive a writer that took over the lock of a dead one, whose unfinished change is discarded', async () => {
    const {repo: scheduler, dktDir} = await repoWithWarnings()
    const {repo: command, warnings} = await repoWithWarnings(path.dirname(dktDir))
    await scheduler.record('node run aaaa: run 1111 success', (tx) => tx.appendLine('versions/out.jsonl', '{"version":"md5:1"}'))
    // A command died holding the lock, mid-way: a new source written, a torn line appended to a recorded file.
    writeFileSync(path.join(dktDir, 'lock'), JSON.stringify({pid: 999_999_999, host: hostname(), token: 'dead', since: ''}))
    mkdirSync(path.join(dktDir, 'sources'), {recursive: true})
    writeFileSync(path.join(dktDir, 'sources/half.json'), '{}')
    writeFileSync(path.join(dktDir, 'sources/half.json.tmp-999999999-abcd'), '{')
    appendFileSync(path.join(dktDir, 'versions/out.jsonl'), '{"version":"md5:')
    await command.transaction('source add b', (tx) => tx.writeJson('sources/b.json', {name: 'b'}))
    expect(filesOf(dktDir)).toEqual(['sources/b.json'])
    expect(existsSync(path.join(dktDir, 'sources/half.json'))).toBe(false)
    expect(readFileSync(path.join(dktDir, 'versions/out.jsonl'), 'utf8')).toBe('{"version":"md5:1"}\n')
    expect(warnings).toEqual([
      '`.dkt/versions/out.jsonl` ended with a torn line (a writer was interrupted); it is discarded',
      'a dkt process stopped before committing its change; what it left unfinished is discarded: `.dkt/sources/half.json`, `.dkt/sources/half.json.tmp-999999999-abcd`',
    ])
    await scheduler.commitRecorded()
    expect(subjects(dktDir).split('\n')[0]).toBe('node run aaaa: run 1111 success')
    expect(git(dktDir, ['status', '--porcelain'])).toBe('')
  })

  it('of a dead process are committed as "recovered" by the next writer, before its own change', async () => {
    const {repo: dead, dktDir} = await repoWithWarnings()
    await dead.record('node run aaaa: run 1111 success', (tx) => {
      tx.writeJson('runs/n1/r1.json', {status: 'success'})
      tx.appendLine('versions/out.jsonl', '{"version":"md5:1"}')
    })
    await dead.record('node run bbbb: run 2222 failure', (tx) => tx.writeJson('runs/n2/r2.json', {status: 'failure'}))
    // Its process is gone: its journal, renamed to a pid that cannot be alive.
    const [own] = readdirSync(journalDir(dktDir))
    const deadName = own.replace(/\.\d+\.([0-9a-f]+)\.jsonl$/, '.999999999.$1.jsonl')
    writeFileSync(path.join(journalDir(dktDir), deadName), readFileSync(path.join(journalDir(dktDir), own)))
    const {repo: next, warnings} = await repoWithWarnings(path.dirname(dktDir))
    writeFileSync(path.join(journalDir(dktDir), own), '')
    appendFileSync(path.join(dktDir, 'versions/out.jsonl'), '{"vers')
    await next.transaction('source add b', (tx) => tx.writeJson('sources/b.json', {name: 'b'}))
    expect(subjects(dktDir).split('\n').slice(0, 2)).toEqual(['source add b', 'recovered: 2 runs'])
    expect(git(dktDir, ['log', '-1', '--format=%b', 'HEAD~1'])).toBe('node run aaaa: run 1111 success\nnode run bbbb: run 2222 failure')
    expect(filesOf(dktDir, 'HEAD~1')).toEqual(['runs/n1/r1.json', 'runs/n2/r2.json', 'versions/out.jsonl'])
    expect(git(dktDir, ['show', 'HEAD~1:versions/out.jsonl'])).toBe('{"version":"md5:1"}')
    expect(warnings).toEqual(['`.dkt/versions/out.jsonl` ended with a torn line (a writer was interrupted); it is discarded'])
    expect(readdirSync(journalDir(dktDir))).toEqual([own])
    expect(git(dktDir, ['status', '--porcelain'])).toBe('')
  })

  it('made while a group commit runs are written at once (but for a file it commits) and stay journaled for the next', async () => {
    const {repo, dktDir} = await repoWithWarnings()
    await repo.record('node run aaaa: run 1111 success', (tx) => {
      tx.writeJson('runs/n1/r1.json', {status: 'success'})
      tx.appendLine('versions/out.jsonl', '{"version":"md5:1"}')
    })
    const committing = repo.commitRecorded()
    // Recorded while git commits the first: one touches another file, one appends to the file being committed.
    const other = repo.record('node run bbbb: run 2222 success', (tx) => tx.writeJson('runs/n2/r2.json', {status: 'success'}))
    const same = repo.record('node run cccc: run 3333 success', (tx) => tx.appendLine('versions/out.jsonl', '{"version":"md5:3"}'))
    await Promise.all([committing, other, same])
    expect(subjects(dktDir).split('\n')[0]).toBe('node run aaaa: run 1111 success')
    expect(filesOf(dktDir)).toEqual(['runs/n1/r1.json', 'versions/out.jsonl'])
    expect(git(dktDir, ['show', 'HEAD:versions/out.jsonl'])).toBe('{"version":"md5:1"}')
    expect(await repo.readJsonLines('versions/out.jsonl')).toEqual([{version: 'md5:1'}, {version: 'md5:3'}])
    // The journal keeps exactly the two records made meanwhile, for the next group commit.
    const [journal] = readdirSync(journalDir(dktDir))
    const journaled = readFileSync(path.join(journalDir(dktDir), journal), 'utf8').trim().split('\n').map((line) => JSON.parse(line).message)
    expect(journaled.sort()).toEqual(['node run bbbb: run 2222 success', 'node run cccc: run 3333 success'])
    await repo.commitRecorded()
    expect(filesOf(dktDir)).toEqual(['runs/n2/r2.json', 'versions/out.jsonl'])
    expect(git(dktDir, ['status', '--porcelain'])).toBe('')
    expect(readdirSync(journalDir(dktDir))).toEqual([])
  })
})
