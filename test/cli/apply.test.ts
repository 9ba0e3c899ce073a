// `dkt apply` and `dkt export` through the real CLI, on real git repositories (one served by a git daemon).
import {spawn} from 'node:child_process'
import {cpSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {applyPlan, planApply, PlanOutdatedError} from '../../src/core/apply/apply.js'
import {MetaRepo} from '../../src/core/meta-repo.js'
import {projectAt} from '../../src/core/project.js'
import {dkt, dktJson, dktOk, RUN_JS, testEnv} from '../helpers/cli.js'
import {gitDaemonForSuite} from '../helpers/git-daemon.js'
import {bareRepo, git, gitRepo, metaState} from '../helpers/git.js'
import {newProject, writeFiles} from '../helpers/project.js'

const SCRIPT = '#!/bin/sh\nls "${data:ROOT}" > "${report:ROOT}/list"\n'

/** A project with the folders and the script a pipeline file names. */
async function projectWithFiles(): Promise<string> {
  const dir = await newProject()
  writeFiles(dir, {'data/x': '1', 'report/.keep': '', 'scripts/list.sh': SCRIPT})
  return dir
}

function pipeline(upstream: string, extra = ''): string {
  return `# yaml-language-server: $schema=../schemas/dkt-yml.json
sources:
  app:
    kind: git
    location: ${upstream}
  app-docs:
    from: app
    path: docs
  data:
    location: data
  report:
    location: report
nodes:
  list:
    script: scripts/list.sh
    inputs: [data, app]
    outputs: [report]
  hello:
    command: [echo, hello]
    labels: [linux]
${extra}`
}

interface NodeRow {
  id: string
  name?: string
  command: string[]
}

describe('dkt apply', () => {
  let upstream: {dir: string; commits: string[]}
  let dir: string

  beforeAll(async () => {
    upstream = gitRepo([{'docs/a': '1'}, {'src/b': '2'}])
    dir = await projectWithFiles()
    writeFileSync(path.join(dir, 'dkt.yml'), pipeline(upstream.dir))
  })

  it('prints the plan, refuses without --yes off a terminal, applies in one commit, then has nothing to change', async () => {
    const before = metaState(dir)
    const plan = await dktOk(['apply', '--dry-run'], {cwd: dir})
    expect(plan.split('\n')).toEqual([
      `+ source app  git ${upstream.dir}:main`,
      '+ source app-docs  git from app, path /docs',
      '+ source data  path data',
      '+ source report  path report',
      expect.stringMatching(/^\+ node hello {2}[0-9a-f]{8} {2}echo hello$/),
      expect.stringMatching(/^\+ node list {2}[0-9a-f]{8} {2}scripts\/list\.sh$/),
      'Plan: 6 to add, 0 to change, 0 to remove.',
      '',
    ])
    expect(metaState(dir)).toEqual(before)

    const refused = await dkt(['apply'], {cwd: dir})
    expect(refused.exitCode).toBe(2)
    expect(refused.stdout).toBe(plan)
    expect(refused.stderr).toMatch(/^Error: not applied: dkt apply asks for confirmation on a terminal only; pass --yes .*\n$/)
    expect(metaState(dir)).toEqual(before)

    const applied = await dktOk(['apply', '--yes'], {cwd: dir})
    expect(applied).toBe(`${plan}Applied: 6 added, 0 changed, 0 removed.\n`)
    expect(metaState(dir).commits).toBe(before.commits + 1)
    expect(git(path.join(dir, '.dkt'), ['log', '-1', '--format=%s'])).toBe('apply dkt.yml (6 to add, 0 to change, 0 to remove)')

    const after = metaState(dir)
    expect(await dktOk(['apply', '--yes'], {cwd: dir})).toBe('nothing to change: the project matches dkt.yml\n')
    expect(await dktOk(['apply'], {cwd: dir})).toBe('nothing to change: the project matches dkt.yml\n')
    expect(metaState(dir)).toEqual(after)
  })

  it('records what `source add` records and gives nodes the IDs `node run` gives', async () => {
    const sources = await dktJson<{name: string; kind: string; location: string; tag: string | null; path: string | null; parent: string | null; latest: string}[]>(['source', 'list'], {cwd: dir})
    const app = sources.find((s) => s.name === 'app')
    expect(app).toMatchObject({kind: 'git', location: upstream.dir, tag: 'main', latest: `sha1:${upstream.commits[1]}`})
    expect(sources.find((s) => s.name === 'app-docs')).toMatchObject({parent: 'app', path: '/docs', latest: `sha1:${upstream.commits[0]}`})

    const other = await projectWithFiles()
    await dktOk(['source', 'add', 'app', upstream.dir, '-k', 'git'], {cwd: other})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: other})
    await dktOk(['source', 'add', 'report', 'report'], {cwd: other})
    const listId = (await dktOk(['node', 'run', '--detach', '--input', 'data,app', '--output', 'report', 'scripts/list.sh'], {cwd: other})).trim()
    const helloId = (await dktOk(['node', 'run', '--detach', '--labels', 'linux', '--', 'echo', 'hello'], {cwd: other})).trim()
    const nodes = await dktJson<NodeRow[]>(['node', 'list'], {cwd: dir})
    expect(nodes.find((n) => n.name === 'list')?.id.slice(0, 8)).toBe(listId)
    expect(nodes.find((n) => n.name === 'hello')?.id.slice(0, 8)).toBe(helloId)
  })

  it('shows changed fields and removals, applies them, and keeps the runs of a removed node', async () => {
    const hello = (await dktJson<NodeRow[]>(['node', 'list'], {cwd: dir})).find((n) => n.name === 'hello') as NodeRow
    await dktOk(['node', 'rerun', hello.id.slice(0, 8)], {cwd: dir})
    const extra = (await dktOk(['node', 'run', '--detach', '--', 'echo', 'extra'], {cwd: dir})).trim()
    const edited = pipeline(upstream.dir)
      .replace('  hello:\n    command: [echo, hello]\n    labels: [linux]\n', '')
      .replace('    outputs: [report]\n', '    outputs: [report]\n    labels: [linux]\n')
      .replace('  app-docs:\n    from: app\n    path: docs\n', '')
      .replace('  data:\n    location: data\n', '  data:\n    location: data\n    paused: true\n  notes:\n    location: data\n')
      .replace('  app:\n    kind: git\n', `  app:\n    kind: git\n    pin: ${upstream.commits[0].slice(0, 8)}\n`)
    writeFileSync(path.join(dir, 'dkt.yml'), edited)
    const list = (await dktJson<NodeRow[]>(['node', 'list'], {cwd: dir})).find((n) => n.name === 'list') as NodeRow
    const plan = await dktOk(['apply', '--dry-run'], {cwd: dir})
    expect(plan.split('\n')).toEqual([
      `~ source app  pin: - → sha1:${upstream.commits[0].slice(0, 8)}`,
      '- source app-docs  git from app, path /docs',
      '~ source data  paused: - → true',
      '+ source notes  path data',
      `- node ${extra}  echo extra (its runs stay in the history)`,
      `- node hello  ${hello.id.slice(0, 8)}  echo hello (its runs stay in the history)`,
      expect.stringMatching(new RegExp(`^~ node list {2}${list.id.slice(0, 8)} → [0-9a-f]{8} {2}labels: - → linux$`)),
      'Plan: 1 to add, 3 to change, 3 to remove.',
      '',
    ])
    await dktOk(['apply', '--yes'], {cwd: dir})
    const nodes = await dktJson<NodeRow[]>(['node', 'list'], {cwd: dir})
    expect(nodes.map((n) => n.name)).toEqual(['list'])
    expect(existsSync(path.join(dir, '.dkt', 'runs', hello.id))).toBe(true)
    const sources = await dktJson<{name: string; pinned: boolean; paused: boolean}[]>(['source', 'list'], {cwd: dir})
    expect(sources.map((s) => [s.name, s.pinned, s.paused])).toEqual([['app', true, false], ['data', false, true], ['notes', false, false], ['report', false, false]])
    expect(await dktOk(['apply', '--dry-run'], {cwd: dir})).toBe('nothing to change: the project matches dkt.yml\n')
  })

  it('--json gives the plan and whether it was applied', async () => {
    const result = await dktJson<{file: string; changes: unknown[]; applied: boolean}>(['apply', '--dry-run'], {cwd: dir})
    expect(result).toEqual({file: 'dkt.yml', changes: [], applied: false})
  })
})

describe('dkt export', () => {
  const daemon = gitDaemonForSuite()

  let first: string
  let second: string
  let exported: string

  // A project built by commands (a source served by the git daemon, a derived one, a pin, a pause, two nodes).
  beforeAll(async () => {
    const served = bareRepo(daemon.served, 'app.git')
    served.advance()
    first = await projectWithFiles()
    await dktOk(['source', 'add', 'app', `${daemon.url}/app.git`], {cwd: first})
    await dktOk(['source', 'add', 'app-sub', 'app', '-p', 'change-1.txt'], {cwd: first})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: first})
    await dktOk(['source', 'add', 'report', 'report'], {cwd: first})
    const log = await dktJson<{version: string}[]>(['source', 'log', 'app'], {cwd: first})
    await dktOk(['source', 'pin', 'app', log[log.length - 1].version], {cwd: first})
    await dktOk(['source', 'pause', 'data'], {cwd: first})
    await dktOk(['node', 'run', '--detach', '--input', 'data,app', '--output', 'report', 'scripts/list.sh'], {cwd: first})
    await dktOk(['node', 'run', '--detach', '--labels', 'x,y', '--on-failure', 'echo ${run:ID}', '--image', 'busybox', '--network', 'host', '--', 'sh', '-c', 'echo "$1"', 'a b'], {cwd: first})
    exported = await dktOk(['export'], {cwd: first})
    second = await projectWithFiles()
  })

  it('writes the project as a pipeline file', () => {
    expect(exported).toContain('# yaml-language-server: $schema=')
    expect(exported).toContain('  app-sub:\n    from: app\n    path: change-1.txt\n')
    expect(exported).toContain('  list:\n    script: scripts/list.sh\n    inputs: [app, data]\n    outputs: [report]\n')
  })

  it('export then apply on a fresh project reproduces the sources and the node IDs', async () => {
    writeFileSync(path.join(second, 'pipeline.yml'), exported)
    await dktOk(['apply', 'pipeline.yml', '--yes'], {cwd: second})
    const ids = async (project: string) => (await dktJson<NodeRow[]>(['node', 'list'], {cwd: project})).map((n) => n.id).sort()
    expect(await ids(second)).toEqual(await ids(first))
    const sources = async (project: string) => (await dktJson<object[]>(['source', 'list'], {cwd: project}))
    expect(await sources(second)).toEqual(await sources(first))
  })

  it('the fresh project exports the same file, and has nothing to change', async () => {
    expect(await dktOk(['export'], {cwd: second})).toBe(exported)
    expect(await dktOk(['apply', 'pipeline.yml'], {cwd: second})).toBe('nothing to change: the project matches pipeline.yml\n')
  })

  it('applied to the project it came from, the file only names the nodes', async () => {
    writeFileSync(path.join(first, 'dkt.yml'), exported)
    const plan = await dktOk(['apply', '--dry-run'], {cwd: first})
    expect(plan).toMatch(/^~ node list {2}[0-9a-f]{8} {2}name: - → list$/m)
    expect(plan).toMatch(/^Plan: 0 to add, 2 to change, 0 to remove\.$/m)
  })

  it('writes a file, and --json gives the pipeline', async () => {
    const dir = await projectWithFiles()
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir})
    await dktOk(['export', 'out.yml'], {cwd: dir})
    expect(readFileSync(path.join(dir, 'out.yml'), 'utf8')).toContain('sources:\n  data:\n    kind: path\n    location: data\n')
    const result = await dktJson<{file: string | null; pipeline: object}>(['export'], {cwd: dir})
    expect(result).toEqual({file: null, pipeline: {format: 1, sources: {data: {kind: 'path', location: 'data'}}, nodes: {}}})
  })
})

describe('dkt apply and TAG patterns', () => {
  it("keeps the pins of a pattern source's refs, which the file does not hold", async () => {
    const upstream = gitRepo([{a: '1'}])
    git(upstream.dir, ['branch', 'feature'])
    const dir = await newProject()
    await dktOk(['source', 'add', 'app', `${upstream.dir}:*`, '-k', 'git'], {cwd: dir})
    await dktOk(['source', 'pin', 'app', '--ref', 'feature'], {cwd: dir})
    const pins = () => (JSON.parse(readFileSync(path.join(dir, '.dkt', 'sources', 'app.json'), 'utf8')) as {pins?: object}).pins
    const pinned = pins()
    expect(Object.keys(pinned ?? {})).toEqual(['refs/heads/feature'])
    const file = await dktOk(['export'], {cwd: dir})
    writeFileSync(path.join(dir, 'dkt.yml'), file.replace(/(\n  app:\n)/, '$1    paused: true\n'))
    await dktOk(['apply', '--yes'], {cwd: dir})
    expect(JSON.parse(readFileSync(path.join(dir, '.dkt', 'sources', 'app.json'), 'utf8')).paused).toBe(true)
    expect(pins()).toEqual(pinned)
  })
})

describe('a bad pipeline file changes nothing', () => {
  let dir: string
  beforeAll(async () => {
    dir = await projectWithFiles()
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir})
    cpSync(path.join(dir, 'data'), path.join(dir, 'other'), {recursive: true})
  })

  const cases: [string, string, RegExp][] = [
    ['not YAML', 'sources: [\n', /^dkt\.yml:1: not valid YAML: /],
    ['a duplicate key', 'sources:\n  data:\n    location: data\n  data:\n    location: other\n', /^dkt\.yml:4: not valid YAML: Map keys must be unique$/],
    ['an unknown field', 'sources:\n  data:\n    locaton: data\n', /^dkt\.yml:3: sources\.data\.locaton: unknown field `locaton` \(known: kind, location/],
    ['a field of the wrong type', 'nodes:\n  n:\n    command: ls -l\n', /^dkt\.yml:3: nodes\.n\.command: must be a list$/],
    ['a node without a command', 'nodes:\n  n:\n    labels: [a]\n', /^dkt\.yml:2: nodes\.n: a node needs `command` .* or `script`/],
    ['a bad source name', 'sources:\n  "a:b":\n    location: data\n', /^dkt\.yml:2: sources\.a:b: source name `a:b` contains `:`/],
    ['a bad node name', 'nodes:\n  "-x":\n    command: [ls]\n', /^dkt\.yml:2: nodes\.-x: node name `-x` must start with a letter or digit/],
    ['an unknown input', 'sources:\n  data:\n    location: data\nnodes:\n  n:\n    command: [ls]\n    inputs: [data, ghost]\n', /^dkt\.yml:7: nodes\.n\.inputs\[1\]: `ghost` is not a source of this file$/],
    ['a missing script', 'nodes:\n  n:\n    script: scripts/nope.sh\n', /^dkt\.yml:3: nodes\.n\.script: `scripts\/nope\.sh` is not a file of the project/],
    ['a cycle', 'sources:\n  a:\n    location: data\n  b:\n    location: other\nnodes:\n  ab:\n    command: [ls]\n    inputs: [a]\n    outputs: [b]\n  ba:\n    command: [ls]\n    inputs: [b]\n    outputs: [a]\n', /^dkt\.yml:14: nodes\.ba\.outputs: node would create a cycle/],
    ['a missing folder', 'sources:\n  d:\n    location: ./nope\n', /^dkt\.yml:3: sources\.d\.location: local path `\.\/nope` does not exist$/],
    ['an unknown kind', 'sources:\n  d:\n    kind: ftp\n    location: data\n', /^dkt\.yml:3: sources\.d\.kind: unknown kind `ftp`/],
    ['an unknown parent', 'sources:\n  d:\n    from: ghost\n', /^dkt\.yml:3: sources\.d\.from: `ghost` is not a source of this file$/],
    ['a parent and a location', 'sources:\n  d:\n    from: data\n    location: data\n  data:\n    location: data\n', /^dkt\.yml:4: sources\.d\.location: a derived source \(`from`\) takes its location from its parent/],
    ['a pin that does not exist', 'sources:\n  data:\n    location: data\n    pin: "00000000"\n', /^dkt\.yml:4: sources\.data\.pin: version `00000000` of source `data` does not exist/],
    ['a network without an image', 'nodes:\n  n:\n    command: [ls]\n    network: host\n', /^dkt\.yml:4: nodes\.n\.network: --network applies to container runs only/],
    ['two nodes with one definition', 'nodes:\n  a:\n    command: [ls]\n  b:\n    command: [ls]\n', /^dkt\.yml:4: nodes\.b: node `b` has the same definition \(and ID\) as node `a`; keep one$/],
  ]

  it.each(cases)('%s', async (_what, text, message) => {
    writeFileSync(path.join(dir, 'dkt.yml'), text)
    const before = metaState(dir)
    const result = await dkt(['apply', '--yes'], {cwd: dir})
    expect(result.stderr.slice('Error: '.length).trimEnd()).toMatch(message)
    expect(result.stderr.startsWith('Error: ')).toBe(true)
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(result.exitCode).toBe(2)
    expect(result.stdout).toBe('')
    expect(metaState(dir)).toEqual(before)
  })

  it('a plan made before another command changed the project is not applied', async () => {
    const repo = new MetaRepo(projectAt(dir))
    const plan = await planApply(repo, {file: 'dkt.yml', text: 'sources:\n  data:\n    location: data\n  more:\n    location: other\n'})
    expect(plan.changes.map((change) => [change.action, change.name])).toEqual([['add', 'more']])
    await dktOk(['source', 'add', 'late', 'other'], {cwd: dir})
    const before = metaState(dir)
    await expect(applyPlan(repo, plan, {now: new Date()})).rejects.toThrow(PlanOutdatedError)
    expect(metaState(dir)).toEqual(before)
    await dktOk(['source', 'rm', 'late'], {cwd: dir})
  })

  it('a missing file is named', async () => {
    const result = await dkt(['apply', 'nope.yml'], {cwd: dir})
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/^Error: pipeline file `nope\.yml` cannot be read; /)
  })

  it('an unreachable repository exits 1 and names its line', async () => {
    writeFileSync(path.join(dir, 'dkt.yml'), 'sources:\n  data:\n    location: data\n  app:\n    location: git://127.0.0.1:9/nothing.git\n')
    const before = metaState(dir)
    const result = await dkt(['apply', '--yes'], {cwd: dir})
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/^Error: dkt\.yml:5: sources\.app\.location: cannot reach git repository/)
    expect(metaState(dir)).toEqual(before)
  })
})

describe('dkt apply on a terminal', () => {
  /** Runs `dkt apply` in a pseudo-terminal (util-linux `script`), typing `answer` at its question. */
  function applyOnTerminal(cwd: string, answer: string): Promise<{output: string; exitCode: number | null}> {
    return new Promise((resolve, reject) => {
      const command = `${process.execPath} ${RUN_JS} apply`
      const child = spawn('script', ['-qec', command, '/dev/null'], {cwd, env: testEnv(), stdio: ['pipe', 'pipe', 'pipe']})
      let output = ''
      const collect = (chunk: Buffer) => {
        output += chunk
        if (output.includes('[yN]') && !child.stdin.writableEnded) child.stdin.end(`${answer}\n`)
      }
      child.stdout.on('data', collect)
      child.stderr.on('data', collect)
      child.on('error', reject)
      child.on('close', (exitCode) => resolve({output, exitCode}))
    })
  }

  it('asks, and applies only when the answer is yes', async () => {
    const dir = await projectWithFiles()
    writeFileSync(path.join(dir, 'dkt.yml'), 'sources:\n  data:\n    location: data\n')
    const before = metaState(dir)
    const declined = await applyOnTerminal(dir, 'no')
    expect(declined.output).toContain('+ source data  path data')
    expect(declined.output).toContain('Apply cancelled; nothing was changed.')
    expect(declined.exitCode).toBe(1)
    expect(metaState(dir)).toEqual(before)
    const accepted = await applyOnTerminal(dir, 'yes')
    expect(accepted.output).toContain('Applied: 1 added, 0 changed, 0 removed.')
    expect(accepted.exitCode).toBe(0)
    expect(metaState(dir).commits).toBe(before.commits + 1)
  })
})
