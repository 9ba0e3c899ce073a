import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk} from '../../helpers/cli.js'
import {git, metaState} from '../../helpers/git.js'
import {newProject, writeFiles} from '../../helpers/project.js'
import {tempDir} from '../../helpers/tmp.js'

interface RunJson {
  id: string
  key: string
  attempt: number
  node: string
  status: string
  exitCode: number | null
  inputs: Record<string, string>
  outputs: Record<string, string>
  command: string[]
  scriptDigest: string | null
  labels: string[]
  startedAt: string
  endedAt: string
  machine: {hostname: string; os: string; arch: string}
  dktVersion: string
  hooks: {onSuccess?: {exitCode: number}; onFailure?: {exitCode: number}}
}
interface NodeRunJson {
  node: string
  created: boolean
  memoized: boolean
  run: RunJson
}

const UPPER = '#!/bin/sh\necho "reading ${data:ROOT}"\ntr a-z A-Z < "${data:ROOT}/in.txt" > "${out:ROOT}/out.txt"\necho ran >> "$COUNTER"\n'

async function pipeline(): Promise<string> {
  const dir = await newProject()
  writeFiles(dir, {'data/in.txt': 'hello\n', 'out/.keep': '', 'upper.sh': UPPER})
  await dktOk(['source', 'add', 'data', 'data'], {cwd: dir})
  await dktOk(['source', 'add', 'out', 'out'], {cwd: dir})
  return dir
}

const countRuns = (counter: string) => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0)

describe('dkt node run', () => {
  it('defines the node (8-hex ID), runs it now, streams its output, records the manifest and the output version', async () => {
    const dir = await pipeline()
    const counter = path.join(tempDir(), 'count')
    const result = await dkt(['node', 'run', '--labels', 'test,linux', '--input', 'data', '--output', 'out', './upper.sh'], {cwd: dir, env: {COUNTER: counter}})
    expect(result.exitCode).toBe(0)
    const [id, ...streamed] = result.stdout.split('\n')
    expect(id).toMatch(/^[0-9a-f]{8}$/)
    expect(streamed.join('\n')).toContain(`reading ${path.join(dir, 'data')}`)
    expect(readFileSync(path.join(dir, 'out/out.txt'), 'utf8')).toBe('HELLO\n')
    expect(countRuns(counter)).toBe(1)

    const dktDir = path.join(dir, '.dkt')
    const nodeFile = readdirSync(path.join(dktDir, 'nodes'))[0]
    expect(nodeFile.startsWith(id)).toBe(true)
    const node = JSON.parse(readFileSync(path.join(dktDir, 'nodes', nodeFile), 'utf8'))
    expect(node).toMatchObject({command: ['upper.sh'], labels: ['linux', 'test'], inputs: ['data'], outputs: ['out'], script: {path: 'upper.sh', content: UPPER}})

    const [runFile] = readdirSync(path.join(dktDir, 'runs', node.id)).filter((f) => f.endsWith('.json'))
    const run = JSON.parse(readFileSync(path.join(dktDir, 'runs', node.id, runFile), 'utf8')) as RunJson
    const outVersion = (await dktJson<{name: string; latest: string}[]>(['source', 'list'], {cwd: dir})).find((s) => s.name === 'out')?.latest
    expect(run).toMatchObject({
      node: node.id,
      command: ['upper.sh'],
      scriptDigest: node.script.digest,
      labels: ['linux', 'test'],
      status: 'success',
      exitCode: 0,
      outputs: {out: outVersion},
      machine: {os: process.platform, arch: process.arch},
      dktVersion: '0.1.0',
      attempt: 1,
    })
    expect(run.inputs.data).toMatch(/^md5:/)
    expect(Date.parse(run.endedAt)).toBeGreaterThanOrEqual(Date.parse(run.startedAt))
    expect(run.id).toBe(run.key)
    // the output's new version carries its provenance
    const observations = readFileSync(path.join(dktDir, 'versions/out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(observations.at(-1)).toMatchObject({version: outVersion, run: run.id, node: node.id})
    expect(await dktOk(['node', 'output', run.id.slice(0, 6)], {cwd: dir})).toBe(`reading ${path.join(dir, 'data')}\n`)
    expect(git(dktDir, ['status', '--porcelain'])).toBe('')
  })

  it('memoizes: the same node on the same input versions does not execute again, unless rerun', async () => {
    const dir = await pipeline()
    const counter = path.join(tempDir(), 'count')
    const env = {COUNTER: counter}
    const first = await dktJson<NodeRunJson>(['node', 'run', '--input', 'data', '--output', 'out', './upper.sh'], {cwd: dir, env})
    const second = await dkt(['node', 'run', '--input', 'data', '--output', 'out', './upper.sh'], {cwd: dir, env})
    expect(second.exitCode).toBe(0)
    expect(second.stderr).toContain(`run ${first.run.id.slice(0, 8)} already succeeded on these inputs`)
    expect(countRuns(counter)).toBe(1)
    const rerun = await dktJson<RunJson[]>(['node', 'rerun', first.node.slice(0, 5)], {cwd: dir, env})
    expect(countRuns(counter)).toBe(2)
    expect(rerun[0]).toMatchObject({key: first.run.key, attempt: 2, status: 'success'})
    expect(rerun[0].id).not.toBe(first.run.id)
    const log = await dktJson<{runs: {id: string; status: string}[]}>(['node', 'log', first.node.slice(0, 8)], {cwd: dir})
    expect(log.runs.map((r) => r.id)).toEqual([rerun[0].id, first.run.id])
    // a new input version makes it due again
    writeFileSync(path.join(dir, 'data/in.txt'), 'world\n')
    await dktOk(['source', 'update', 'data'], {cwd: dir})
    expect((await dkt(['node', 'log', first.node], {cwd: dir})).stdout).toMatch(/^[0-9a-f]{8}\s+pending\s+data:/m)
    await dktOk(['node', 'run', '--input', 'data', '--output', 'out', './upper.sh'], {cwd: dir, env})
    expect(countRuns(counter)).toBe(3)
    expect(readFileSync(path.join(dir, 'out/out.txt'), 'utf8')).toBe('WORLD\n')
  })

  it('the node ID hashes the stored script: editing the script gives another node', async () => {
    const dir = await pipeline()
    const env = {COUNTER: path.join(tempDir(), 'count')}
    const a = await dktJson<NodeRunJson>(['node', 'run', '--input', 'data', '--output', 'out', '--detach', 'upper.sh'], {cwd: dir, env})
    writeFileSync(path.join(dir, 'upper.sh'), `${UPPER}# edited\n`)
    const b = await dktJson<NodeRunJson>(['node', 'run', '--input', 'data', '--output', 'out', '--detach', 'upper.sh'], {cwd: dir, env})
    expect(a.node).not.toBe(b.node)
    const c = await dktJson<NodeRunJson>(['node', 'run', '--output', 'out', '--input', 'data', '--detach', 'upper.sh'], {cwd: dir, env})
    expect(c).toMatchObject({node: b.node, created: false, run: null})
  })

  it('the same node typed in two clones has the same ID, and the clones merge with no conflict', async () => {
    const origin = await pipeline()
    const parent = tempDir()
    await dktOk(['clone', origin, 'b'], {cwd: parent})
    const clone = path.join(parent, 'b')
    writeFiles(clone, {'data/in.txt': 'hello\n', 'out/.keep': '', 'upper.sh': UPPER})
    const args = ['node', 'run', '--detach', '--input', 'data', '--output', 'out', '--labels', 'x,y', './upper.sh']
    const a = await dktJson<NodeRunJson>(args, {cwd: origin})
    const b = await dktJson<NodeRunJson>(['node', 'run', '--detach', '--labels', 'y', '--labels', 'x', '--output', 'out', '--input', 'data', 'upper.sh'], {cwd: clone})
    expect(b.node).toBe(a.node)
    expect(a.node).toMatch(/^[0-9a-f]{64}$/)
    git(path.join(clone, '.dkt'), ['pull', '-q', '--no-rebase', '--no-edit'])
    expect(git(path.join(clone, '.dkt'), ['status', '--porcelain'])).toBe('')
    expect(git(path.join(clone, '.dkt'), ['ls-files', 'nodes'])).toBe(`nodes/${a.node}.json`)
    // and the pulled history runs: the node's pending run is the same in both
    const [logA, logB] = [await dktJson<{runs: {id: string}[]}>(['node', 'log', a.node], {cwd: origin}), await dktJson<{runs: {id: string}[]}>(['node', 'log', a.node], {cwd: clone})]
    expect(logB.runs[0].id).toBe(logA.runs[0].id)
  })

  it('keeps values with spaces, quotes, $(…), backticks and ; as data: nothing is executed', async () => {
    const dir = await newProject()
    const evil = `we ird'"; touch PWNED1; $(touch PWNED2) \`touch PWNED3\``
    const note = `secret-note "$(touch PWNED4)" \`touch PWNED5\`; touch PWNED6`
    writeFiles(dir, {[`${evil}/in.txt`]: 'x\n', 'out/.keep': '', 'echo.sh': '#!/bin/sh\nprintf "%s|%s|%s\\n" "${src:ROOT}" "$NOTE" "$1" > "${out:ROOT}/seen"\ncp "${src:ROOT}/in.txt" "${out:ROOT}/copy"\n'})
    await dktOk(['source', 'add', 'src', evil], {cwd: dir})
    await dktOk(['source', 'add', 'out', 'out'], {cwd: dir})
    await dktOk(['config', 'set', 'NOTE', note], {cwd: dir})
    await dktOk(['node', 'run', '--input', 'src', '--output', 'out', 'echo.sh', '${NOTE}/${src:ROOT}'], {cwd: dir})
    expect(readFileSync(path.join(dir, 'out/seen'), 'utf8')).toBe(`${path.join(dir, evil)}|${note}|${note}/${path.join(dir, evil)}\n`)
    expect(readFileSync(path.join(dir, 'out/copy'), 'utf8')).toBe('x\n')
    const printed = await dktJson<NodeRunJson>(['node', 'run', '--input', 'src', '--', 'printf', '%s', '${src:ROOT};${NOTE}'], {cwd: dir})
    expect(await dktOk(['node', 'output', printed.run.id], {cwd: dir})).toBe(`${path.join(dir, evil)};***`)
    for (const name of ['PWNED1', 'PWNED2', 'PWNED3', 'PWNED4', 'PWNED5', 'PWNED6']) expect(existsSync(path.join(dir, name))).toBe(false)
    // private values never reach the metadata repository: not in manifests, not in captured output
    expect(git(path.join(dir, '.dkt'), ['log', '-p', '--all'])).not.toContain('secret-note')
  })
})

describe('failures and hooks', () => {
  it('a failing command exits 1, is recorded as failure, and runs the on-failure hook with the run ID and status', async () => {
    const dir = await pipeline()
    const hookOut = path.join(tempDir(), 'hook')
    const result = await dkt(['node', 'run', '--input', 'data', '--on-failure', `echo "\${run:ID} \${run:STATUS}" > ${hookOut}; exit 4`, '--', 'sh', '-c', 'echo broken >&2; exit 3'], {cwd: dir})
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/: failure \(exit 3\)/)
    const run = (await dktJson<{runs: RunJson[]}>(['node', 'log', result.stdout.split('\n')[0]], {cwd: dir})).runs[0]
    expect(run.status).toBe('failure')
    expect(readFileSync(hookOut, 'utf8')).toBe(`${run.id} failure\n`)
    const manifest = JSON.parse(readFileSync(path.join(dir, '.dkt/runs', readdirSync(path.join(dir, '.dkt/runs'))[0], `${run.id}.json`), 'utf8')) as RunJson
    expect(manifest).toMatchObject({status: 'failure', exitCode: 3, hooks: {onFailure: {exitCode: 4}}})
    expect(await dktOk(['node', 'output', run.id], {cwd: dir})).toBe('broken\n')
    // not retried on the same inputs: status says failed, with the rerun hint
    const [node] = result.stdout.split('\n')
    const why = `failed (run ${run.id.slice(0, 8)}); \`dkt node rerun ${node.slice(0, 8)}\` runs it again`
    expect((await dktJson<{reasons: string[]}[]>(['status'], {cwd: dir}))[0]).toMatchObject({state: 'failed', due: false, reasons: [why]})
    expect(await dktOk(['status'], {cwd: dir})).toBe(`nothing to run (1 node: ${node.slice(0, 8)} ${why})\n`)
  })

  it('a failing on-success hook is recorded but does not change the run status', async () => {
    const dir = await pipeline()
    const result = await dktJson<NodeRunJson>(['node', 'run', '--input', 'data', '--on-success', 'exit 5', 'true'], {cwd: dir})
    expect(result.run).toMatchObject({status: 'success', exitCode: 0, hooks: {onSuccess: {command: 'exit 5', exitCode: 5}}})
  })

  it('a missing program is an error run (exit 1)', async () => {
    const dir = await pipeline()
    const result = await dkt(['node', 'run', '--input', 'data', 'no-such-program-xyz'], {cwd: dir})
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/: error in (\d+ ms|\d+\.\d s): command not found: no-such-program-xyz/)
  })

  it('keeps captured output bounded', async () => {
    const dir = await pipeline()
    const result = await dktJson<NodeRunJson>(['node', 'run', '--input', 'data', '--', 'sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" x'], {cwd: dir})
    const output = await dkt(['node', 'output', result.run.id], {cwd: dir})
    expect(output.stdout.length).toBe(1024 * 1024)
    expect(output.stderr).toMatch(/cut at its size limit/)
  })
})

describe('rejected node definitions change nothing', () => {
  it.each([
    ['an unknown input', ['--input', 'nope', 'true'], /^source `nope` does not exist/],
    ['an unknown source in ${…}', ['--input', 'data', 'cat', '${ghost:ROOT}'], /names `ghost`, which is not an input or output of this node/],
    ['an unknown field', ['--input', 'data', 'echo', '${data:COMMIT}'], /a path source has no field COMMIT \(it has ROOT\)/],
    ['an unknown private field', ['--input', 'data', 'echo', '${NOPE}'], /`\$\{NOPE\}` is not a private field; set it with `dkt config set NOPE VALUE`/],
    ['a node reading what it writes', ['--input', 'data', '--output', 'data', 'true'], /would create a cycle/],
    ['--network without --image', ['--network', 'host', 'true'], /--network applies to container runs only; add --image IMG/],
    ['--image naming a source that is not an image', ['--image', 'data', 'true'], /--image `data` names a path source; give an image reference or a docker source/],
    ['no command', ['--input', 'data'], /Missing 1 required arg/],
  ])('%s', async (_what, args, message) => {
    const dir = await pipeline()
    const before = metaState(dir)
    const result = await dkt(['node', 'run', ...args], {cwd: dir})
    expect(result.exitCode).toBe(2)
    expect(result.stderr.replace(/^Error: /, '')).toMatch(message)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(metaState(dir)).toEqual(before)
  })

  it('a node whose outputs feed back into its inputs through other nodes is a cycle', async () => {
    const dir = await newProject()
    for (const name of ['a', 'b', 'c']) await dktOk(['source', 'add', name], {cwd: dir})
    await dktOk(['node', 'run', '--detach', '--input', 'a', '--output', 'b', 'true'], {cwd: dir})
    await dktOk(['node', 'run', '--detach', '--input', 'b', '--output', 'c', 'true'], {cwd: dir})
    const before = metaState(dir)
    const result = await dkt(['node', 'run', '--detach', '--input', 'c', '--output', 'a', 'true'], {cwd: dir})
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/cycle.*a → b → c/)
    expect(metaState(dir)).toEqual(before)
  })
})
