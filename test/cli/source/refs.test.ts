// TAG patterns through the real CLI, against a git daemon serving branches, tags and `refs/pull/N/head` refs: each
// ref is followed on its own, and a node on such a source runs once per ref's version.
import {readFileSync, readdirSync} from 'node:fs'
import * as path from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk} from '../../helpers/cli.js'
import {commit, git, gitRepo} from '../../helpers/git.js'
import {gitDaemonForSuite} from '../../helpers/git-daemon.js'
import {newProject} from '../../helpers/project.js'
import {schemaErrors} from '../../helpers/schemas.js'
import {tempDir} from '../../helpers/tmp.js'

const daemon = gitDaemonForSuite()

interface RefView {
  ref: string
  latest: string
  pinned: boolean
}
interface SourceJson {
  name: string
  latest: string | null
  refs?: RefView[]
}
interface RunRow {
  id: string
  status: string
  inputs: Record<string, string>
  ref?: string
  refs?: string[]
}
interface StatusJson {
  node: string
  due: boolean
  reasons: string[]
  refs?: {ref: string; state: string; due: boolean}[]
}

/** JSON of a command, checked against its schema. */
async function json<T>(schema: string, args: string[], cwd: string): Promise<T> {
  const value = await dktJson<T>(args, {cwd})
  expect(schemaErrors(schema, value), args.join(' ')).toBe('')
  return value
}

const refsOf = (source: SourceJson) => Object.fromEntries((source.refs ?? []).map((r) => [r.ref, r.latest]))

/**
 * A served repository `app.git`: main and feature/a on commit 1, feature/b on commit 2 (with docs/), an annotated
 * tag v1.0 on commit 1, pull requests 1 (commit 2) and 2 (commit 1). `push` pushes the work clone's HEAD to a ref.
 */
function servedRepo(served: string, name: string) {
  const bare = path.join(served, name)
  git(served, ['init', '-q', '--bare', '--initial-branch=main', name])
  const github = name.replace(/\.git$/, '')
  const {dir: work, commits} = gitRepo([{'README': 'one\n'}, {'docs/index.md': 'docs\n'}])
  const [c1, c2] = commits
  const push = (refspec: string) => git(work, ['push', '-q', '--force', bare, refspec])
  push(`${c1}:refs/heads/main`)
  push(`${c1}:refs/heads/feature/a`)
  push(`${c2}:refs/heads/feature/b`)
  git(work, ['-c', 'user.name=t', '-c', 'user.email=t@l', 'tag', '-a', 'v1.0', '-m', 'v1.0', c1])
  push('refs/tags/v1.0')
  push(`${c2}:refs/pull/1/head`)
  push(`${c1}:refs/pull/2/head`)
  /** A new commit on top of `base` in the work clone, pushed (forced) to `ref`. */
  const pushNew = (ref: string, base: string, files: Record<string, string> = {[`f-${Math.random()}`]: 'x'}): string => {
    git(work, ['checkout', '-q', '--detach', base])
    const sha = commit(work, files)
    push(`${sha}:${ref}`)
    return sha
  }
  return {url: `${daemon.url}/${name}`, github, c1, c2, push, pushNew, remove: (ref: string) => push(`:${ref}`)}
}

let counter = 0
let repo: ReturnType<typeof servedRepo>
let dir: string
beforeEach(async () => {
  repo = servedRepo(daemon.served, `team-${++counter}/app.git`)
  dir = await newProject()
})

describe('TAG patterns', () => {
  it('follow every matching branch, tag or pull request; source list shows each ref', async () => {
    const app = await json<SourceJson>('source-add', ['source', 'add', 'app', `${repo.url}:*`], dir)
    expect(app.latest).toBeNull()
    expect(refsOf(app)).toEqual({'refs/heads/feature/a': `sha1:${repo.c1}`, 'refs/heads/feature/b': `sha1:${repo.c2}`, 'refs/heads/main': `sha1:${repo.c1}`})
    // Pull requests of a github source (the git daemon stands in for GitHub).
    const env = {DKT_GITHUB_URL: daemon.url}
    const prs = JSON.parse(await dktOk(['source', 'add', 'prs', `${repo.github}:pull/*`, '-k', 'github', '--json'], {cwd: dir, env})) as SourceJson
    expect(schemaErrors('source-add', prs)).toBe('')
    expect(refsOf(prs)).toEqual({'refs/pull/1/head': `sha1:${repo.c2}`, 'refs/pull/2/head': `sha1:${repo.c1}`})
    // An annotated tag is followed at the commit it points to.
    const tags = await json<SourceJson>('source-add', ['source', 'add', 'tags', `${repo.url}:v[0-9]*`], dir)
    expect(refsOf(tags)).toEqual({'refs/tags/v1.0': `sha1:${repo.c1}`})
    const features = await json<SourceJson>('source-add', ['source', 'add', 'features', `${repo.url}:feature/*`], dir)
    expect(Object.keys(refsOf(features))).toEqual(['refs/heads/feature/a', 'refs/heads/feature/b'])
    // A derived source follows the same refs, where its path exists.
    const docs = await json<SourceJson>('source-add', ['source', 'add', 'docs', 'app', '-p', '/docs'], dir)
    expect(Object.keys(refsOf(docs))).toEqual(['refs/heads/feature/b'])

    const list = await dktOk(['source', 'list'], {cwd: dir})
    expect(list).toMatch(/^app +-\n {2}refs\/heads\/feature\/a +sha1:/m)
    expect(list).toMatch(new RegExp(`^ {2}refs/pull/1/head +sha1:${repo.c2}$`, 'm'))
    expect(await dktOk(['source', 'list', '--refs'], {cwd: dir})).toMatch(/^app +- +3$/m)
    await json('source-list', ['source', 'list'], dir)
  })

  it('a check records new, moved and deleted refs; source log shows each ref, --ref one ref\'s history', async () => {
    await dktOk(['source', 'add', 'app', `${repo.url}:*`], {cwd: dir})
    // A new branch, a deleted one, a moved one: one check, one commit.
    const c3 = repo.pushNew('refs/heads/feature/c', repo.c1)
    repo.remove('refs/heads/feature/a')
    const c4 = repo.pushNew('refs/heads/main', repo.c1)
    const update = await json<{changed: boolean; refs: {ref: string; previous: string | null; version: string | null; changed: boolean}[]}>(
      'source-update',
      ['source', 'update', 'app'],
      dir,
    )
    expect(update.changed).toBe(true)
    expect(update.refs).toEqual([
      {ref: 'refs/heads/feature/a', previous: `sha1:${repo.c1}`, version: null, changed: true},
      {ref: 'refs/heads/feature/b', previous: `sha1:${repo.c2}`, version: `sha1:${repo.c2}`, changed: false},
      {ref: 'refs/heads/feature/c', previous: null, version: `sha1:${c3}`, changed: true},
      {ref: 'refs/heads/main', previous: `sha1:${repo.c1}`, version: `sha1:${c4}`, changed: true},
    ])
    const after = (await dktJson<SourceJson[]>(['source', 'list'], {cwd: dir})).find((s) => s.name === 'app') as SourceJson
    expect(Object.keys(refsOf(after))).toEqual(['refs/heads/feature/b', 'refs/heads/feature/c', 'refs/heads/main'])
    // source list shows the deleted ref as gone, with the version it had (--json: goneRefs).
    expect((after as SourceJson & {goneRefs?: unknown}).goneRefs).toEqual([{ref: 'refs/heads/feature/a', latest: `sha1:${repo.c1}`}])
    expect(await dktOk(['source', 'list'], {cwd: dir})).toMatch(/^ {2}refs\/heads\/feature\/a +gone$/m)
    await json('source-list', ['source', 'list'], dir)
    // The deleted ref is recorded as gone, with the version it had.
    const observations = readFileSync(path.join(dir, '.dkt/versions/app.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line))
    expect(observations.at(-3)).toMatchObject({ref: 'refs/heads/feature/a', gone: true, version: `sha1:${repo.c1}`})

    // source log: a REF column; --ref R gives that ref's history.
    const log = await dktOk(['source', 'log', 'app'], {cwd: dir})
    expect(log.split('\n')[0]).toMatch(/^ID +REF +FULL$/)
    expect(log).toContain(`${c4.slice(0, 8)}  refs/heads/main`)
    const mainLog = await json<{version: string; ref: string}[]>('source-log', ['source', 'log', 'app', '--ref', 'main'], dir)
    expect(mainLog.map((e) => e.version)).toEqual([`sha1:${c4}`, `sha1:${repo.c1}`])
    expect(mainLog.every((e) => e.ref === 'refs/heads/main')).toBe(true)
    const bad = await dkt(['source', 'log', 'app', '--ref', 'nope'], {cwd: dir})
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr.trim()).toBe('Error: source `app` has no ref `nope`; see `dkt source list`')
  })

  it('pins one ref at a time; a source following one ref takes no --ref', async () => {
    await dktOk(['source', 'add', 'app', `${repo.url}:*`], {cwd: dir})
    const pinned = await json<SourceJson>('source-pin', ['source', 'pin', 'app', '--ref', 'main'], dir)
    expect(pinned.refs?.find((r) => r.ref === 'refs/heads/main')).toEqual({ref: 'refs/heads/main', latest: `sha1:${repo.c1}`, pinned: true})
    repo.pushNew('refs/heads/main', repo.c1)
    await dktOk(['source', 'update', 'app'], {cwd: dir})
    // The pin holds; the list marks the pinned ref.
    expect(await dktOk(['source', 'list'], {cwd: dir})).toMatch(new RegExp(`^ {2}refs/heads/main\\* +sha1:${repo.c1}$`, 'm'))
    // A commit in the history of several refs needs --ref; in one's only, it names that ref.
    const ambiguous = await dkt(['source', 'pin', 'app', repo.c1.slice(0, 8)], {cwd: dir})
    expect(ambiguous.exitCode).toBe(2)
    expect(ambiguous.stderr).toMatch(/is on refs\/heads\/feature\/a, refs\/heads\/feature\/b, refs\/heads\/main; pass --ref REF/)
    const byVersion = await dktJson<SourceJson>(['source', 'pin', 'app', repo.c2.slice(0, 8)], {cwd: dir})
    expect(byVersion.refs?.find((r) => r.ref === 'refs/heads/feature/b')?.pinned).toBe(true)
    const unpinned = await json<SourceJson>('source-unpin', ['source', 'unpin', 'app', '--ref', 'refs/heads/main'], dir)
    expect(unpinned.refs?.filter((r) => r.pinned).map((r) => r.ref)).toEqual(['refs/heads/feature/b'])
    await dktOk(['source', 'unpin', 'app'], {cwd: dir})
    expect(JSON.parse(readFileSync(path.join(dir, '.dkt/sources/app.json'), 'utf8')).pins).toBeUndefined()

    // A run cannot write a TAG pattern source: it would not know which ref to push to.
    const output = await dkt(['node', 'run', '--output', 'app', '--', 'true'], {cwd: dir})
    expect(output.exitCode).toBe(2)
    expect(output.stderr.trim()).toBe('Error: `app` follows a TAG pattern, which a run cannot write; add a source on one branch as the output')

    await dktOk(['source', 'add', 'one', `${repo.url}:main`], {cwd: dir})
    const one = await dkt(['source', 'log', 'one', '--ref', 'main'], {cwd: dir})
    expect(one.exitCode).toBe(2)
    expect(one.stderr).toMatch(/follows one ref \(main\); --ref needs a source whose TAG is a pattern/)
  })
})

describe('runs per ref', () => {
  /** A node on `source` that appends the commit it read to a trace file; returns its ID and the trace. */
  async function tracingNode(source: string): Promise<{node: string; trace: () => string[]}> {
    const trace = path.join(tempDir(), 'trace')
    const {node} = await dktJson<{node: string}>(['node', 'run', '--detach', '--input', source, '--', 'sh', '-c', `echo "$${source}_COMMIT" >> ${trace}`], {cwd: dir})
    return {node, trace: () => readFileSync(trace, 'utf8').trim().split('\n').sort()}
  }

  const runsOf = (project: string, node: string) =>
    readdirSync(path.join(project, '.dkt/runs', node)).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(path.join(project, '.dkt/runs', node, f), 'utf8')))

  it('runs once per ref version: refs on one commit share a run; a new branch runs, a deleted one stops', async () => {
    await dktOk(['source', 'add', 'app', `${repo.url}:*`], {cwd: dir})
    const {node, trace} = await tracingNode('app')
    const status = await json<StatusJson[]>('status', ['status'], dir)
    expect(status[0].refs?.map((r) => [r.ref, r.state])).toEqual([
      ['refs/heads/feature/a', 'due'],
      ['refs/heads/feature/b', 'due'],
      ['refs/heads/main', 'due'],
    ])
    expect(await dktOk(['status'], {cwd: dir})).toContain('feature/a: never run; feature/b: never run; main: never run')

    await dktOk(['scheduler', '--once'], {cwd: dir})
    // main and feature/a are on commit 1: one run serves both.
    expect(trace()).toEqual([repo.c1, repo.c2].sort())
    const runs = runsOf(dir, node)
    expect(runs.map((run) => run.ref).sort()).toEqual(['refs/heads/feature/a', 'refs/heads/feature/b'])
    const log = await json<{runs: RunRow[]}>('node-log', ['node', 'log', node], dir)
    const shared = log.runs.find((run) => run.inputs.app === `sha1:${repo.c1}`) as RunRow
    expect(shared.refs).toEqual(['refs/heads/feature/a', 'refs/heads/main'])
    const table = await dktOk(['node', 'log', node], {cwd: dir})
    expect(table.split('\n')[0]).toMatch(/^ID +REF +STATUS +INPUT\(S\) +OUTPUT\(S\)$/)
    expect(table).toMatch(/feature\/a,main +success/)
    // --ref R: the runs R was started for or shares by memoization; `main` or its full name.
    const mainRuns = await json<{runs: RunRow[]}>('node-log', ['node', 'log', node, '--ref', 'main'], dir)
    expect(mainRuns.runs.map((run) => run.id)).toEqual([shared.id])
    const featureB = await dktJson<{runs: RunRow[]}>(['node', 'log', node, '--ref', 'refs/heads/feature/b'], {cwd: dir})
    expect(featureB.runs.map((run) => run.inputs.app)).toEqual([`sha1:${repo.c2}`])
    expect((await dktJson<{runs: RunRow[]}>(['node', 'log', node, '--ref', 'nope'], {cwd: dir})).runs).toEqual([])
    expect(await dktOk(['status'], {cwd: dir})).toMatch(/nothing to run \(1 node: \w+ 3 refs up to date\)/)

    // A new branch gets its run; a deleted one is no longer followed (its run stays in history).
    const c3 = repo.pushNew('refs/heads/feature/c', repo.c2)
    repo.remove('refs/heads/feature/b')
    await dktOk(['source', 'update', 'app'], {cwd: dir})
    const due = await json<StatusJson[]>('status', ['status'], dir)
    expect(due[0].refs?.filter((r) => r.due).map((r) => r.ref)).toEqual(['refs/heads/feature/c'])
    expect(due[0].refs?.map((r) => r.ref)).not.toContain('refs/heads/feature/b')
    const pending = await dktJson<{runs: RunRow[]}>(['node', 'log', node], {cwd: dir})
    expect(pending.runs[0]).toMatchObject({status: 'pending', ref: 'refs/heads/feature/c', inputs: {app: `sha1:${c3}`}})
    await dktOk(['scheduler', '--once'], {cwd: dir})
    expect(trace()).toEqual([repo.c1, repo.c2, c3].sort())
    expect(runsOf(dir, node).find((run) => run.inputs.app === `sha1:${c3}`)?.ref).toBe('refs/heads/feature/c')
    // Nothing left to run: the deleted branch is not run again.
    await dktOk(['scheduler', '--once'], {cwd: dir})
    expect(trace()).toHaveLength(3)
  })

  it('a force-pushed pull request gets a new run; a derived source follows the same refs', async () => {
    await dktOk(['source', 'add', 'prs', `${repo.url}:pull/*`], {cwd: dir})
    const {node, trace} = await tracingNode('prs')
    const events = (await dktOk(['scheduler', '--once', '--json'], {cwd: dir})).trim().split('\n').map((line) => JSON.parse(line))
    for (const event of events) expect(schemaErrors('scheduler-event', event)).toBe('')
    expect(trace()).toEqual([repo.c1, repo.c2].sort())
    // Rewritten history on pull request 1: a commit that is not a descendant of the old one.
    const rewritten = repo.pushNew('refs/pull/1/head', repo.c1, {'fix': 'rewritten\n'})
    const scheduler = await dktOk(['scheduler', '--once'], {cwd: dir})
    expect(scheduler).toContain(`new version  prs:${rewritten.slice(0, 8)} on refs/pull/1/head (was ${repo.c2.slice(0, 8)})`)
    expect(scheduler).toMatch(new RegExp(`started +run \\w+ of node \\w+ on prs:${rewritten.slice(0, 8)} \\(refs/pull/1/head\\)`))
    expect(trace()).toEqual([repo.c1, repo.c2, rewritten].sort())
    expect(runsOf(dir, node).find((run) => run.inputs.prs === `sha1:${rewritten}`)?.ref).toBe('refs/pull/1/head')

    // A derived source (-p) of a pattern source, and a node reading both: the refs are matched by name.
    await dktOk(['source', 'add', 'all', `${repo.url}:*`], {cwd: dir})
    await dktOk(['source', 'add', 'docs', 'all', '-p', '/docs'], {cwd: dir})
    const both = await dktJson<{node: string; runs: RunRow[]}>(['node', 'run', '--input', 'all', '--input', 'docs', '--', 'true'], {cwd: dir})
    expect(both.runs.map((run) => run.ref)).toEqual(['refs/heads/feature/b'])
    expect(both.runs[0].inputs).toEqual({all: `sha1:${repo.c2}`, docs: `sha1:${repo.c2}`})
  })
})
