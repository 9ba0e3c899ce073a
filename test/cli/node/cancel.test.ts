import {spawn} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {RUN_JS, testEnv} from '../../helpers/cli.js'
import {waitFor} from '../../helpers/git-daemon.js'
import {git} from '../../helpers/git.js'
import {newProject, writeFiles} from '../../helpers/project.js'
import {dktOk} from '../../helpers/cli.js'
import {tempDir} from '../../helpers/tmp.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('Ctrl-C during node run', () => {
  it('stops the command and everything it started, and records the run as cancelled (exit 1)', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/x': '1'})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir})
    const pidFile = path.join(tempDir(), 'pid')
    const child = spawn(process.execPath, [RUN_JS, 'node', 'run', '--input', 'data', '--', 'sh', '-c', `sleep 60 & echo $! > ${pidFile}; echo started; wait`], {
      cwd: dir,
      env: testEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    await waitFor(() => stdout.includes('started'), 'the command to start', 20_000)
    const sleeper = Number(readFileSync(pidFile, 'utf8'))
    expect(alive(sleeper)).toBe(true)
    child.kill('SIGINT')
    expect(await exited).toBe(1)
    expect(stderr).toMatch(/: cancelled/)
    await waitFor(() => !alive(sleeper), 'the grandchild to be killed', 10_000)
    const dktDir = path.join(dir, '.dkt')
    const [node] = readdirSync(path.join(dktDir, 'runs'))
    const [run] = readdirSync(path.join(dktDir, 'runs', node)).filter((f) => f.endsWith('.json'))
    expect(JSON.parse(readFileSync(path.join(dktDir, 'runs', node, run), 'utf8'))).toMatchObject({status: 'cancelled', reason: 'cancelled by the user'})
    expect(git(dktDir, ['status', '--porcelain'])).toBe('')
    expect(git(dktDir, ['log', '-1', '--format=%s'])).toMatch(/: run [0-9a-f]{8} cancelled$/)
  })
})
