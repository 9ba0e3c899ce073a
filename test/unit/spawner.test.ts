// The scheduler's helper processes that start commands and git (in Python with posix_spawn, or in Node where there is
// no Python): same outcomes as a direct spawn, cancels reach the whole process group (SIGTERM, then SIGKILL after the
// grace), and a helper never outlives its parent.
import {spawn} from 'node:child_process'
import {chmodSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {runGit} from '../../src/base/git-cli.js'
import {pythonProgram} from '../../src/base/python-spawner.js'
import {type LaunchRequest, currentLaunch, launchDirect, useSpawner} from '../../src/base/spawner.js'
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

/** A process's parent, process group and session (/proc/PID/stat). */
function statOf(pid: number): {parent: number; group: number; session: number} {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return {parent: Number(fields[1]), group: Number(fields[2]), session: Number(fields[3])}
}

/** The pids of a process's children, with their programs (not their names: Node 24 names itself MainThread). */
function childrenOf(pid: number): Array<{pid: number; program: string}> {
  const found = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (statOf(Number(entry)).parent === pid) found.push({pid: Number(entry), program: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0]})
    } catch {
      // gone meanwhile
    }
  }
  return found
}

/** A launch through the current launcher, its output collected, resolved with how it ended. */
function launched(request: Partial<LaunchRequest> & {file: string}) {
  let output = ''
  const outcome = new Promise<{output: string; exitCode?: number | null; signal?: string | null; code?: string; message?: string}>((resolve) => {
    currentLaunch()(
      {args: [], cwd: '/', env: {}, detached: true, ...request},
      {
        output: (_stream, chunk) => (output += chunk.toString()),
        failedToStart: (code, message) => resolve({output, code, message}),
        closed: (exitCode, signal) => resolve({output, exitCode, signal}),
      },
    )
  })
  return outcome
}

const HELPERS = {python: {DKT_PYTHON: undefined}, node: {DKT_PYTHON: ''}} as const
const pythonFound = pythonProgram() !== undefined

describe.each(Object.keys(HELPERS) as Array<keyof typeof HELPERS>)('spawner (%s helper)', (helper) => {
  let stop: (() => Promise<void>) | undefined
  const saved = process.env.DKT_PYTHON
  beforeEach(() => {
    if (HELPERS[helper].DKT_PYTHON === undefined) delete process.env.DKT_PYTHON
    else process.env.DKT_PYTHON = HELPERS[helper].DKT_PYTHON
  })
  afterEach(async () => {
    await stop?.()
    stop = undefined
    if (saved === undefined) delete process.env.DKT_PYTHON
    else process.env.DKT_PYTHON = saved
  })

  it.runIf(helper === 'node' || pythonFound)('runs commands and git through the helper with the same outcomes as a direct spawn', async () => {
    stop = useSpawner()
    expect(currentLaunch()).not.toBe(launchDirect)
    expect(childrenOf(process.pid).map((child) => child.program)).toContain(helper === 'python' ? pythonProgram() : process.execPath)
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

  it.runIf(helper === 'node' || pythonFound)('reports what could not start, signals, groups and the environment as a direct spawn does', async () => {
    const cwd = tempDir()
    writeFileSync(path.join(cwd, 'no-shebang'), 'echo "ran by $0"\n')
    chmodSync(path.join(cwd, 'no-shebang'), 0o755)
    writeFileSync(path.join(cwd, 'not-executable'), 'echo never\n')
    process.env.DKT_SPAWNER_TEST_REMOVED = 'still here'
    stop = useSpawner()
    delete process.env.DKT_SPAWNER_TEST_REMOVED
    const cases: Array<Partial<LaunchRequest> & {file: string}> = [
      {file: 'no-such-command-dkt'},
      {file: './not-executable', cwd},
      {file: cwd},
      {file: 'sh', cwd: path.join(cwd, 'no-such-folder')},
      // A script without #! runs in /bin/sh, as execvp does.
      {file: './no-shebang', cwd},
      // A program is looked up in the PATH of the command's environment.
      {file: 'no-shebang', env: {PATH: cwd}},
      {file: 'sh', args: ['-c', 'kill -TERM $$']},
      {file: 'sh', args: ['-c', 'exec >&- 2>&-; exit 7']},
      {file: 'sh', args: ['-c', 'echo "[$DKT_SPAWNER_TEST_REMOVED] [$ADDED]"'], env: {DKT_SPAWNER_TEST_REMOVED: null, ADDED: 'é ü'}},
    ]
    for (const request of cases) {
      const direct = await new Promise((resolve) => {
        let output = ''
        launchDirect(
          {args: [], cwd: '/', env: {}, detached: true, ...request},
          {
            output: (_stream, chunk) => (output += chunk.toString()),
            failedToStart: (code, message) => resolve({output, code, message}),
            closed: (exitCode, signal) => resolve({output, exitCode, signal}),
          },
        )
      })
      expect(await launched(request), JSON.stringify(request)).toEqual(direct)
    }
    // The signals the helper ignores (Python: SIGPIPE, SIGXFSZ) are the default again in the command.
    expect((await launched({file: 'sh', args: ['-c', 'grep SigIgn /proc/$$/status']})).output).toBe('SigIgn:\t0000000000000000\n')
    // A command leads its own session and process group (a cancel reaches all it starts); git stays in the helper's.
    const groups = await launched({file: 'sh', args: ['-c', 'echo $$; cut -d" " -f5,6 /proc/$$/stat']})
    const [pid, groupAndSession] = groups.output.trim().split('\n')
    expect(groupAndSession).toBe(`${pid} ${pid}`)
    const inHelper = await launched({file: 'sh', args: ['-c', 'echo $PPID; cut -d" " -f5 /proc/$$/stat; cut -d" " -f5 /proc/$PPID/stat'], detached: false})
    const [parent, group, parentGroup] = inHelper.output.trim().split('\n').map(Number)
    expect(parent).not.toBe(process.pid)
    expect(group).toBe(parentGroup)
  })

  it.runIf(helper === 'node' || pythonFound)('a cancel sends SIGTERM to the whole process group, then SIGKILL after the grace', async () => {
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

  it.runIf(helper === 'node' || pythonFound)('a command waits for all that holds its output, as a direct spawn does', async () => {
    stop = useSpawner()
    const started = Date.now()
    const outcome = await launched({file: 'sh', args: ['-c', '(sleep 1; echo late) & echo early']})
    expect(outcome).toEqual({output: 'early\nlate\n', exitCode: 0, signal: null})
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
  })

  it.runIf(helper === 'node' || pythonFound)('a helper that dies loses the commands it started (an error), and commands start directly', async () => {
    stop = useSpawner()
    let out = ''
    const running = runLocal({file: 'sh', args: ['-c', 'echo $PPID $$; exec sleep 60'], cwd: '/', env: {}, onOutput: (_stream, chunk) => (out += chunk.toString())})
    await until(() => out.includes('\n'))
    const [helperPid, command] = out.trim().split(' ').map(Number)
    process.kill(helperPid, 'SIGKILL')
    expect(await running).toMatchObject({status: 'error', reason: 'the helper process that started the command stopped; its outcome is unknown'})
    process.kill(command, 'SIGKILL')
    expect(currentLaunch()).toBe(launchDirect)
    expect(await runLocal({file: 'sh', args: ['-c', 'echo direct'], cwd: '/', env: {}})).toMatchObject({status: 'success', output: 'direct\n'})
  })

  it.runIf(helper === 'node' || pythonFound)('the helper and the commands it started end when its parent is killed', async () => {
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
    const [{pid: helperPid}] = childrenOf(parent.pid as number)
    expect(statOf(command).parent).toBe(helperPid)
    parent.kill('SIGKILL')
    await until(() => !alive(command) && !alive(helperPid))
  })
})

describe('spawner without a usable Python', () => {
  const saved = process.env.DKT_PYTHON
  afterEach(() => {
    if (saved === undefined) delete process.env.DKT_PYTHON
    else process.env.DKT_PYTHON = saved
  })

  it.each(['/no/such/python3', '/bin/false'])('falls back to the Node helper (DKT_PYTHON=%s)', async (python) => {
    process.env.DKT_PYTHON = python
    const stop = useSpawner()
    try {
      // Asked for before the Python helper is known not to run: started by the Node helper that takes over.
      expect(await runLocal({file: 'sh', args: ['-c', 'echo ok'], cwd: '/', env: {}})).toMatchObject({status: 'success', output: 'ok\n'})
      await until(() => childrenOf(process.pid).some((child) => child.program === process.execPath))
      expect(await runLocal({file: 'sh', args: ['-c', 'echo again'], cwd: '/', env: {}})).toMatchObject({status: 'success', output: 'again\n'})
    } finally {
      await stop()
    }
  })
})
