import {readdirSync, readFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dktOk, startDkt} from '../../helpers/cli.js'
import {waitFor} from '../../helpers/git-daemon.js'
import {git} from '../../helpers/git.js'
import {newProject, writeFiles} from '../../helpers/project.js'
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
    const started = startDkt(['node', 'run', '--input', 'data', '--', 'sh', '-c', `sleep 60 & echo $! > ${pidFile}; echo started; wait`], {cwd: dir})
    await waitFor(() => started.stdout.includes('started'), 'the command to start', 20_000)
    const sleeper = Number(readFileSync(pidFile, 'utf8'))
    expect(alive(sleeper)).toBe(true)
    started.child.kill('SIGINT')
    expect(await started.exited).toBe(1)
    expect(started.stderr).toMatch(/: cancelled/)
    await waitFor(() => !alive(sleeper), 'the grandchild to be killed', 10_000)
    const dktDir = path.join(dir, '.dkt')
    const [node] = readdirSync(path.join(dktDir, 'runs'))
    const [run] = readdirSync(path.join(dktDir, 'runs', node)).filter((f) => f.endsWith('.json'))
    expect(JSON.parse(readFileSync(path.join(dktDir, 'runs', node, run), 'utf8'))).toMatchObject({status: 'cancelled', reason: 'cancelled by the user'})
    expect(git(dktDir, ['status', '--porcelain'])).toBe('')
    expect(git(dktDir, ['log', '-1', '--format=%s'])).toMatch(/: run [0-9a-f]{8} cancelled$/)
  })
})
