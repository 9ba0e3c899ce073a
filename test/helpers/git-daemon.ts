// A real `git daemon` on 127.0.0.1 serving a folder of repositories; started on a free port, stopped by PID.
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import * as net from 'node:net'
import * as path from 'node:path'
import {afterAll, beforeAll} from 'vitest'

import {tempDir} from './tmp.js'

export interface GitDaemon {
  port: number
  /** `git://127.0.0.1:PORT` */
  url: string
  stop(): Promise<void>
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({port, host: '127.0.0.1'})
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

export async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

export async function startGitDaemon(basePath: string): Promise<GitDaemon> {
  const execPath = execFileSync('git', ['--exec-path'], {encoding: 'utf8'}).trim()
  if (!existsSync(path.join(execPath, 'git-daemon'))) {
    throw new Error('git daemon is not installed: run `apt-get install -y git` (Debian ships git-daemon in the git package)')
  }
  const port = await freePort()
  // `timeout` bounds the daemon's life even if this test process dies without stopping it.
  const child: ChildProcess = spawn(
    'timeout',
    ['600', 'git', 'daemon', '--reuseaddr', '--export-all', '--enable=receive-pack', `--base-path=${basePath}`, '--listen=127.0.0.1', `--port=${port}`, basePath],
    {stdio: 'ignore', detached: true},
  )
  await waitFor(() => canConnect(port), `git daemon on port ${port}`)
  return {
    port,
    url: `git://127.0.0.1:${port}`,
    async stop() {
      if (child.pid && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        process.kill(-child.pid, 'SIGTERM')
        await exited
      }
    },
  }
}

/**
 * A git daemon for the current test suite: started before its tests on a new folder (`served`), stopped after.
 * Use inside a describe block or at the top of a file; read `url` and `served` inside tests.
 */
export function gitDaemonForSuite(): {readonly url: string; readonly served: string} {
  const state: {daemon?: GitDaemon; served?: string} = {}
  beforeAll(async () => {
    state.served = tempDir('dkt-served-')
    state.daemon = await startGitDaemon(state.served)
  })
  afterAll(async () => {
    await state.daemon?.stop()
  })
  return {
    get url() {
      return (state.daemon as GitDaemon).url
    },
    get served() {
      return state.served as string
    },
  }
}
