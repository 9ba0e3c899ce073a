import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk} from '../../helpers/cli.js'
import {git, gitRepo, metaState} from '../../helpers/git.js'
import {gitDaemonForSuite} from '../../helpers/git-daemon.js'
import {newProject, writeFiles} from '../../helpers/project.js'
import {tempDir} from '../../helpers/tmp.js'

interface RunJson {
  id: string
  node: string
  status: string
  inputs: Record<string, string>
  outputs: Record<string, string>
}

/** a → [n1] → b → [n2] → c → [n3] → d, each node appending its name to a shared trace file. */
async function chain(trace: string): Promise<{dir: string; nodes: string[]}> {
  const dir = await newProject()
  writeFiles(dir, {'a/x': '1', 'b/.keep': '', 'c/.keep': '', 'd/.keep': ''})
  for (const name of ['a', 'b', 'c', 'd']) await dktOk(['source', 'add', name, name], {cwd: dir})
  const nodes: string[] = []
  for (const [i, [from, to]] of [['a', 'b'], ['b', 'c'], ['c', 'd']].entries()) {
    const step = `echo n${i + 1} >> ${trace}; cat "$${from}_ROOT"/* > "$${to}_ROOT/out"; echo ${to} >> "$${to}_ROOT/out"`
    const result = await dktJson<{node: string}>(['node', 'run', '--input', from, '--output', to, '--', 'sh', '-c', step], {cwd: dir})
    nodes.push(result.node)
  }
  return {dir, nodes}
}

const traceOf = (file: string) => readFileSync(file, 'utf8').trim().split('\n')

describe('a chain of nodes', () => {
  it('reruns downstream nodes in dependency order', async () => {
    const trace = path.join(tempDir(), 'trace')
    const {dir, nodes} = await chain(trace)
    expect(traceOf(trace)).toEqual(['n1', 'n2', 'n3'])
    writeFileSync(trace, '')
    const runs = await dktJson<RunJson[]>(['node', 'rerun', nodes[0].slice(0, 8), '--downstream'], {cwd: dir})
    expect(traceOf(trace)).toEqual(['n1', 'n2', 'n3'])
    expect(runs.map((r) => r.node)).toEqual(nodes)
    expect(runs.every((r) => r.status === 'success')).toBe(true)
    // without --downstream, only the node itself
    writeFileSync(trace, '')
    await dktOk(['node', 'rerun', nodes[1]], {cwd: dir})
    expect(traceOf(trace)).toEqual(['n2'])
    expect(readFileSync(path.join(dir, 'd/out'), 'utf8')).toBe('1b\nc\nd\n')
  })

  it('status says which nodes would run and why: never run, input changed, pinned input changed; a failed node is not due and names node rerun', async () => {
    const trace = path.join(tempDir(), 'trace')
    const {dir, nodes} = await chain(trace)
    expect(await dktOk(['status'], {cwd: dir})).toMatch(/^nothing to run \(3 nodes/)
    const before = (await dktJson<{latest: string}[]>(['source', 'list'], {cwd: dir}))[0].latest
    writeFileSync(path.join(dir, 'a/x'), '2')
    await dktOk(['source', 'update', 'a'], {cwd: dir})
    const after = (await dktJson<{latest: string}[]>(['source', 'list'], {cwd: dir}))[0].latest
    const status = await dktJson<{node: string; due: boolean; reasons: string[]}[]>(['status'], {cwd: dir})
    expect(status.find((s) => s.node === nodes[0])).toMatchObject({due: true, reasons: [`a ${before.slice(4, 12)} → ${after.slice(4, 12)}`]})
    expect(status.find((s) => s.node === nodes[1])).toMatchObject({due: false, reasons: ['up to date']})
    expect(await dktOk(['status'], {cwd: dir})).toMatch(new RegExp(`^${nodes[0].slice(0, 8)}\\s+sh -c .+\\s+a ${before.slice(4, 12)} → ${after.slice(4, 12)}$`, 'm'))

    await dktOk(['source', 'pin', 'a', after.slice(4, 12)], {cwd: dir})
    const failing = await dktJson<{node: string}>(['node', 'run', '--detach', '--input', 'c', 'false'], {cwd: dir})
    expect((await dkt(['node', 'rerun', failing.node], {cwd: dir})).exitCode).toBe(1)
    await dktOk(['node', 'run', '--detach', '--input', 'b', 'true'], {cwd: dir})
    const pinned = await dktJson<{node: string; reasons: string[]; command: string[]}[]>(['status'], {cwd: dir})
    expect(pinned.find((s) => s.node === nodes[0])?.reasons).toEqual([`a ${before.slice(4, 12)} → ${after.slice(4, 12)} (pinned input changed)`])
    const rerunHint = `^failed \\(run [0-9a-f]{8}\\); \`dkt node rerun ${failing.node.slice(0, 8)}\` runs it again$`
    expect(pinned.find((s) => s.command[0] === 'false')).toMatchObject({state: 'failed', due: false, reasons: [expect.stringMatching(new RegExp(rerunHint))]})
    expect(pinned.find((s) => s.command[0] === 'true')).toMatchObject({state: 'due', due: true, reasons: ['never run']})
    // the table lists the failed node beside the due ones, with its hint
    const table = await dktOk(['status'], {cwd: dir})
    expect(table).toMatch(new RegExp(`^${failing.node.slice(0, 8)}\\s+false\\s+failed \\(run [0-9a-f]{8}\\); \`dkt node rerun ${failing.node.slice(0, 8)}\``, 'm'))
    expect(table.split('\n').filter((line) => /^[0-9a-f]{8}\s/.test(line))).toHaveLength(3)
  })

  it('inspect walks a 3-level chain with a link back to the global sources (JSON, DOT, SVG)', async () => {
    const trace = path.join(tempDir(), 'trace')
    const {dir, nodes} = await chain(trace)
    writeFiles(dir, {'notes/n': 'reviewed'})
    const notes = (await dktJson<{latest: string}>(['source', 'add', 'notes', 'notes'], {cwd: dir})).latest
    const list = await dktJson<{name: string; latest: string}[]>(['source', 'list'], {cwd: dir})
    const version = (name: string) => list.find((s) => s.name === name)?.latest as string
    await dktOk(['source', 'link', `notes:${notes.slice(4, 12)}`, `d:${version('d').slice(4, 12)}`], {cwd: dir})

    const out = await dktOk(['inspect', `d:${version('d').slice(4, 10)}`], {cwd: dir})
    expect(out.split('\n')[0]).toBe(`# manifest for d:${version('d').slice(4, 12)}`)
    const entries = JSON.parse(out.split('\n').slice(1).join('\n')) as Record<string, unknown>[]
    const shown = entries.map((e) => ('node' in e ? `run of ${(e.node as string)}` : `${e.source}`))
    expect(shown).toEqual(['a', `run of ${nodes[0].slice(0, 8)}`, 'b', `run of ${nodes[1].slice(0, 8)}`, 'c', `run of ${nodes[2].slice(0, 8)}`, 'notes', 'd'])
    const [a, run1, b] = entries
    expect(a).toMatchObject({ID: version('a').slice(4, 12), kind: 'path', url: 'a', digest: version('a'), inputs: [], links: []})
    expect(run1).toMatchObject({inputs: [version('a').slice(4, 12)], outputs: [`b:${version('b').slice(4, 12)}`], status: 'success', image: null})
    expect(b).toMatchObject({inputs: [run1.ID]})
    expect(entries.at(-1)).toMatchObject({source: 'd', inputs: [entries[5].ID], links: [`notes:${notes.slice(4, 12)}`]})

    const dot = await dktOk(['inspect', `d:${version('d').slice(4, 12)}`, '--dot'], {cwd: dir})
    expect(dot).toMatch(/^digraph "provenance" \{/)
    expect(dot.match(/shape = "ellipse"/g)).toHaveLength(3)
    expect(dot.match(/shape = "box"/g)).toHaveLength(5)
    expect(dot).toMatch(new RegExp(`"notes:${notes}" -> "d:${version('d')}" \\[\\s*style = "dashed";`))
    const svg = path.join(dir, 'graph.svg')
    const written = await dkt(['inspect', `d:${version('d').slice(4, 12)}`, '--svg', svg], {cwd: dir})
    expect(written.stderr).toBe(`wrote ${svg}\n`)
    const text = readFileSync(svg, 'utf8')
    expect(text).toMatch(/<svg[\s\S]*<\/svg>/)
    expect(text).toContain(`run ${run1.ID}`)
    const bad = await dkt(['inspect', `d:${version('d').slice(4, 12)}`, '--svg', path.join(dir, 'no/such/dir.svg')], {cwd: dir})
    expect(bad).toMatchObject({exitCode: 2, stderr: expect.stringMatching(/^Error: cannot write .*: folder .* does not exist\n$/)})
  })

  it('node rm removes the definition; its runs stay in history and its output can still be read', async () => {
    const trace = path.join(tempDir(), 'trace')
    const {dir, nodes} = await chain(trace)
    const runs = await dktJson<{runs: {id: string}[]}>(['node', 'log', nodes[2]], {cwd: dir})
    expect(await dktOk(['node', 'rm', nodes[2].slice(0, 6)], {cwd: dir})).toBe(`node ${nodes[2].slice(0, 8)} removed\n`)
    expect(git(path.join(dir, '.dkt'), ['log', '-1', '--format=%s'])).toBe(`node rm ${nodes[2].slice(0, 8)}`)
    expect(existsSync(path.join(dir, '.dkt/runs', nodes[2], `${runs.runs[0].id}.json`))).toBe(true)
    expect((await dktJson<unknown[]>(['node', 'list'], {cwd: dir})).length).toBe(2)
    await dktOk(['node', 'output', runs.runs[0].id], {cwd: dir})
    const unknown = await dkt(['node', 'log', nodes[2]], {cwd: dir})
    expect(unknown).toMatchObject({exitCode: 2, stderr: `Error: node \`${nodes[2]}\` does not exist; see \`dkt node list\`\n`})
    // a source used by a node cannot be removed
    const before = metaState(dir)
    expect((await dkt(['source', 'rm', 'b'], {cwd: dir})).stderr).toMatch(/^Error: source `b` is used by node [0-9a-f]{8}, node [0-9a-f]{8}; remove them first or pass --force/)
    expect(metaState(dir)).toEqual(before)
  })

  it('rejects bad IDs with one sentence and exit 2', async () => {
    const dir = await newProject()
    for (const [args, message] of [
      [['node', 'log', 'abcd'], /^node `abcd` does not exist/],
      [['node', 'log', 'ab'], /too short/],
      [['node', 'output', 'zzzz'], /is not a run ID/],
      [['node', 'rerun', 'ffff'], /^node `ffff` does not exist/],
      [['inspect', 'nope:abcd'], /^source `nope` does not exist/],
      [['inspect', 'nope'], /is not SOURCE:VERSION/],
    ] as const) {
      const result = await dkt([...args], {cwd: dir})
      expect(result.exitCode).toBe(2)
      expect(result.stderr.replace(/^Error: /, '')).toMatch(message)
    }
  })
})

describe('git inputs and outputs, and source fetch', () => {
  const daemon = gitDaemonForSuite()

  it('a git input is a checkout of its version at PATH, with COMMIT; a git output is committed (run ID in the message) and pushed', async () => {
    const app = gitRepo([{'src/main.c': 'int main;\n', 'README': 'r'}, {'README': 'r2'}], {dir: path.join(daemon.served, 'app')})
    git(daemon.served, ['init', '-q', '--bare', '--initial-branch=main', 'results.git'])
    const seed = gitRepo([{'.keep': ''}])
    git(seed.dir, ['push', '-q', path.join(daemon.served, 'results.git'), 'HEAD:main'])
    const dir = await newProject()
    await dktOk(['source', 'add', 'app', `${daemon.url}/app`], {cwd: dir})
    await dktOk(['source', 'add', 'src', 'app', '-p', 'src'], {cwd: dir})
    await dktOk(['source', 'add', 'results', `${daemon.url}/results.git`], {cwd: dir})
    await dktOk(['source', 'pin', 'app', app.commits[0]], {cwd: dir})
    const run = await dktJson<{run: RunJson}>(
      ['node', 'run', '--input', 'src,app', '--output', 'results', '--', 'sh', '-c', 'ls "$src_ROOT" > "$results_ROOT/listing"; echo "$app_COMMIT" >> "$results_ROOT/listing"; cat "$app_ROOT/README" >> "$results_ROOT/listing"'],
      {cwd: dir},
    )
    expect(run.run.status).toBe('success')
    const upstream = path.join(daemon.served, 'results.git')
    expect(git(upstream, ['show', 'main:listing'])).toBe(`main.c\n${app.commits[0]}\nr`)
    expect(git(upstream, ['log', '-1', '--format=%B', 'main'])).toContain(`dkt run ${run.run.id}`)
    expect(run.run.outputs.results).toBe(`sha1:${git(upstream, ['rev-parse', 'main'])}`)
    expect((await dktJson<{version: string}[]>(['source', 'log', 'results'], {cwd: dir}))[0].version).toBe(run.run.outputs.results)

    // source fetch: a checkout of an old commit at PATH
    const fetched = path.join(tempDir(), 'old')
    expect(await dktOk(['source', 'fetch', `app:${app.commits[0].slice(0, 8)}`, fetched], {cwd: dir})).toBe(`${fetched}\n`)
    expect(readFileSync(path.join(fetched, 'README'), 'utf8')).toBe('r')
    const sub = path.join(tempDir(), 'sub')
    await dktOk(['source', 'fetch', `src:${app.commits[0].slice(0, 8)}`, sub], {cwd: dir})
    expect(readFileSync(path.join(sub, 'main.c'), 'utf8')).toBe('int main;\n')
  })

  it('a git source whose PATH is one file: source fetch and runs get that file at its path, as git archive does', async () => {
    const app = gitRepo([{'README.md': 'first\n', 'docs/guide.md': 'guide 1\n', 'other': 'x'}, {'README.md': 'second\n'}], {dir: path.join(daemon.served, 'files')})
    const dir = await newProject()
    await dktOk(['source', 'add', 'readme', `${daemon.url}/files`, '-p', 'README.md'], {cwd: dir})
    await dktOk(['source', 'add', 'guide', `${daemon.url}/files`, '-p', 'docs/guide.md'], {cwd: dir})
    const log = await dktJson<{version: string}[]>(['source', 'log', 'readme'], {cwd: dir})
    expect(log.map((e) => e.version)).toEqual([`sha1:${app.commits[1]}`, `sha1:${app.commits[0]}`])

    const old = path.join(tempDir(), 'old')
    await dktOk(['source', 'fetch', `readme:${app.commits[0].slice(0, 8)}`, old], {cwd: dir})
    expect(readdirSync(old)).toEqual(['README.md'])
    expect(readFileSync(path.join(old, 'README.md'), 'utf8')).toBe('first\n')
    const guide = path.join(tempDir(), 'guide')
    await dktOk(['source', 'fetch', `guide:${app.commits[0].slice(0, 8)}`, guide], {cwd: dir})
    expect(readdirSync(guide, {recursive: true}).sort()).toEqual(['docs', path.join('docs', 'guide.md')])

    const run = await dkt(['node', 'run', '--input', 'readme,guide', '--', 'cat', '${readme:ROOT}/README.md', '${guide:ROOT}/docs/guide.md'], {cwd: dir})
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toContain('second\nguide 1\n')
  })

  it('source fetch of a path source: the current version is copied; an older one is refused (no copies kept)', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/x': '1'})
    const first = (await dktJson<{latest: string}>(['source', 'add', 'data', 'data'], {cwd: dir})).latest
    const copy = path.join(tempDir(), 'copy')
    await dktOk(['source', 'fetch', `data:${first.slice(4, 12)}`, copy], {cwd: dir})
    expect(readFileSync(path.join(copy, 'x'), 'utf8')).toBe('1')
    writeFileSync(path.join(dir, 'data/x'), '2')
    await dktOk(['source', 'update', 'data'], {cwd: dir})
    const refused = await dkt(['source', 'fetch', `data:${first.slice(4, 12)}`, path.join(tempDir(), 'c2')], {cwd: dir})
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toMatch(/^Error: version md5:\w+ of path source `data` is not its current content \(md5:\w+\); path sources keep no copies of old versions\n$/)
  })
})
