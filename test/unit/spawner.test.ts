// The scheduler's helper process that starts commands and git: same outcomes as a direct spawn, cancels reach the
// whole process group (SIGTERM, then SIGKILL after the grace), and the helper never outlives its parent.
import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {runGit} from '../../src/base/git-cli.js'
import {currentLaunch, launchDirect, useSpawner} from '../../src/base/spawner.js'
import {runLocal} from '../../src/exec/local.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {tempDir} from '../helpers/tmp.js'

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !condition(); ) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** The pids of a process's children (those its main thread started). */
const childrenOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)

describe('spawner', () => {
  let stop: (() => Promise<void>) | undefined
  afterEach(async () => {
    await stop?.()
    stop = undefined
  })

  it('runs commands and git through the helper with the same outcomes as a direct spawn', async () => {
    stop = useSpawner()
    expect(currentLaunch()).not.toBe(launchDirect)
    const cwd = tempDir()
    const ran = await runLocal({file: 'sh', args: ['-c', 'echo "out $FOO"; echo err >&2; pwd; exit 3'], cwd, env: {FOO: 'bar'}})
    expect(ran).toMatchObject({status: 'failure', exitCode: 3, signal: null})
    expect(ran.output).toContain('out bar\n')
    expect(ran.output).toContain('err\n')
    expect(ran.output).toContain(`${cwd}\n`)
    expect(await runLocal({file: 'no-such-command-dkt', args: [], cwd, env: {}})).toMatchObject({status: 'error', reason: 'command not found: no-such-command-dkt'})
    expect((await runGit(['--version'], {cwd})).stdout).toMatch(/^git version/)
    await expect(runGit(['rev-parse', 'HEAD'], {cwd})).rejects.toThrow(/git rev-parse failed/)
    // Output larger than one message arrives whole, in order.
    const big = await runLocal({file: 'sh', args: ['-c', 'seq 1 100000'], cwd, env: {}})
    expect(big.output.split('\n').at(-2)).toBe('100000')
    expect(big.output.length).toBe(Buffer.byteLength(`${Array.from({length: 100000}, (_, i) => i + 1).join('\n')}\n`))
    await stop()
    stop = undefined
    expect(currentLaunch()).toBe(launchDirect)
  })

  it('a cancel sends SIGTERM to the whole process group, then SIGKILL after the grace', async () => {
    stop = useSpawner()
    const cwd = tempDir()
    const abort = new AbortController()
    let pids = ''
    // The shell ignores SIGTERM; its background sleep does not: only SIGKILL ends the shell.
    const running = runLocal({
      file: 'sh',
      args: ['-c', `trap '' TERM; sleep 30 & echo "$$ $!"; wait; sleep 30`],
      cwd,
      env: {},
      signal: abort.signal,
      killGraceMs: 300,
      onOutput: (_stream, chunk) => (pids += chunk.toString()),
    })
    await until(() => pids.includes('\n'))
    const [shell, sleeper] = pids.trim().split(' ').map(Number)
    abort.abort()
    const outcome = await running
    expect(outcome).toMatchObject({status: 'cancelled', signal: 'SIGKILL'})
    expect(alive(shell)).toBe(false)
    await until(() => !alive(sleeper))
  })

  it('the helper and the commands it started end when its parent is killed', async () => {
    const script = path.join(tempDir(), 'parent.mjs')
    const dist = (rel: string) => JSON.stringify(path.join(REPO_ROOT, 'dist', rel))
    const source = `import {useSpawner} from ${dist('base/spawner.js')}
import {runLocal} from ${dist('exec/local.js')}
useSpawner({killGraceMs: 200})
await runLocal({file: 'sh', args: ['-c', 'echo $$; exec sleep 60'], cwd: '/', env: {}, onOutput: (_s, chunk) => process.stdout.write(chunk)})
`
    writeFileSync(script, source)
    const parent = spawn(process.execPath, [script], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    parent.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    await until(() => out.includes('\n'))
    const command = Number(out.trim())
    const [helper] = childrenOf(parent.pid as number)
    expect(alive(helper)).toBe(true)
    parent.kill('SIGKILL')
    await until(() => !alive(command) && !alive(helper))
  })
})
