// `dkt node rerun --failed`: every node whose newest run failed runs again on the inputs that run recorded.
import {existsSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk} from '../../helpers/cli.js'
import {commit, gitRepo, metaState} from '../../helpers/git.js'
import {newProject} from '../../helpers/project.js'
import {tempDir} from '../../helpers/tmp.js'

interface RunJson {
  id: string
  key: string
  node: string
  status: string
  attempt: number
  inputs: Record<string, string>
}

/** A project with a local git source `repo` and a flag file that decides whether the `flaky` command succeeds. */
async function project() {
  const repo = gitRepo([{'file': 'one\n'}])
  const dir = await newProject()
  await dktOk(['source', 'add', 'repo', repo.dir, '-k', 'git'], {cwd: dir})
  const flag = path.join(tempDir(), 'ok')
  // Prints the content it saw, then succeeds only once the flag file exists.
  const flaky = ['--input', 'repo', '--', 'sh', '-c', `cat "$repo_ROOT/file"; test -f ${flag}`]
  return {repo, dir, flag, flaky}
}

const nodeRun = async (dir: string, args: string[]) => {
  const result = await dkt(['node', 'run', '--json', ...args], {cwd: dir})
  return JSON.parse(result.stdout) as {node: string; run: RunJson}
}

describe('dkt node rerun --failed', () => {
  it('reruns the newest failed run of each node on its recorded inputs, skips what succeeded since, and says when nothing failed', async () => {
    const {repo, dir, flag, flaky} = await project()
    const failing = await nodeRun(dir, flaky)
    expect(failing.run.status).toBe('failure')
    const steady = await nodeRun(dir, ['--input', 'repo', '--', 'true'])
    expect(steady.run.status).toBe('success')
    // A new commit is observed, but nothing has run on it: the failed run's inputs are the old commit.
    const second = commit(repo.dir, {'file': 'two\n'})
    await dktOk(['source', 'update', 'repo'], {cwd: dir})

    const again = await dkt(['node', 'rerun', '--failed', '--json'], {cwd: dir})
    expect(again.exitCode).toBe(1)
    const [retried] = JSON.parse(again.stdout) as RunJson[]
    expect(retried).toMatchObject({node: failing.node, key: failing.run.key, attempt: 2, status: 'failure', inputs: failing.run.inputs})
    expect(again.stderr).toContain('one\n')

    writeFileSync(flag, '')
    const fixed = await dktJson<RunJson[]>(['node', 'rerun', '--failed'], {cwd: dir})
    expect(fixed).toEqual([expect.objectContaining({node: failing.node, key: failing.run.key, attempt: 3, status: 'success'})])

    const before = metaState(dir)
    const nothing = await dkt(['node', 'rerun', '--failed'], {cwd: dir})
    expect(nothing).toMatchObject({exitCode: 0, stdout: "nothing to rerun: no node's newest run failed\n"})
    expect(metaState(dir)).toEqual(before)
    expect(await dktJson(['node', 'rerun', '--failed'], {cwd: dir})).toEqual([])
    expect(second).toMatch(/^[0-9a-f]{40}$/)
  })

  it('leaves a failure that a newer run of the node superseded, and narrows to one node with --node', async () => {
    const {repo, dir, flag, flaky} = await project()
    const old = await nodeRun(dir, flaky)
    expect(old.run.status).toBe('failure')
    // The same node fails on the next commit too, then succeeds on the one after: nothing of it is left to rerun.
    commit(repo.dir, {'file': 'two\n'})
    await dktOk(['source', 'update', 'repo'], {cwd: dir})
    writeFileSync(flag, '')
    expect((await nodeRun(dir, flaky)).run.status).toBe('success')
    const other = await nodeRun(dir, ['--input', 'repo', '--', 'sh', '-c', 'exit 3'])
    expect(other.run.status).toBe('failure')

    const byNode = await dkt(['node', 'rerun', '--failed', '--node', old.node.slice(0, 6)], {cwd: dir})
    expect(byNode).toMatchObject({exitCode: 0, stdout: `nothing to rerun: no node's newest run of node ${old.node.slice(0, 6)} failed\n`})
    const rest = await dkt(['node', 'rerun', '--failed', '--json'], {cwd: dir})
    expect(rest.exitCode).toBe(1)
    expect((JSON.parse(rest.stdout) as RunJson[]).map((run) => [run.node, run.attempt])).toEqual([[other.node, 2]])
    // Runs without a ref are never on a ref.
    expect(await dktOk(['node', 'rerun', '--failed', '--ref', 'main'], {cwd: dir})).toBe("nothing to rerun: no node's newest run on ref main failed\n")
    expect(existsSync(flag)).toBe(true)
  })

  it('refuses bad usage with one sentence, exit 2, nothing changed', async () => {
    const {dir, flaky} = await project()
    const failing = await nodeRun(dir, flaky)
    const before = metaState(dir)
    for (const [args, message] of [
      [['node', 'rerun'], /^Error: give the node ID to rerun, or --failed\n$/],
      [['node', 'rerun', failing.node, '--failed'], /^Error: give either a node ID or --failed \(with --node ID\), not both\n$/],
      [['node', 'rerun', '--failed', '--node', 'ffff'], /^Error: node `ffff` does not exist/],
      [['node', 'rerun', '--node', failing.node], /^Error: .*--failed/],
      [['node', 'rerun', '--failed', '--downstream'], /^Error: .*--failed/],
    ] as const) {
      const result = await dkt([...args], {cwd: dir})
      expect({args, exitCode: result.exitCode}).toEqual({args, exitCode: 2})
      expect(result.stderr).toMatch(message)
    }
    expect(metaState(dir)).toEqual(before)
  })
})
