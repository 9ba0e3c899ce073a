// Runs the real CLI (bin/run.js) as a user would, in a given folder, with an isolated HOME.
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdirSync} from 'node:fs'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'

import {tempDir} from './tmp.js'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const RUN_JS = path.join(REPO_ROOT, 'bin', 'run.js')

export interface CliResult {
  stdout: string
  stderr: string
  exitCode: number
}

let isolatedHome: string | undefined

/**
 * An environment with a HOME of its own (no user git identity, no global git config) so that results do not
 * depend on the machine; callers add what a test needs.
 */
export function testEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  if (!isolatedHome) {
    isolatedHome = tempDir('dkt-home-')
    mkdirSync(isolatedHome, {recursive: true})
  }
  const env: NodeJS.ProcessEnv = {...process.env, HOME: isolatedHome, XDG_CONFIG_HOME: path.join(isolatedHome, '.config'), GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1'}
  for (const key of ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'DEBUG', 'DKT_DEBUG', 'DKT_GITHUB_URL']) {
    delete env[key]
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

export function dkt(args: string[], options: {cwd: string; env?: Record<string, string | undefined>}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN_JS, ...args], {cwd: options.cwd, env: testEnv(options.env), stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({stdout, stderr, exitCode: code ?? -1}))
  })
}

/** Runs dkt and fails the test (with its stderr) unless it exits 0. */
export async function dktOk(args: string[], options: {cwd: string; env?: Record<string, string | undefined>}): Promise<string> {
  const result = await dkt(args, options)
  if (result.exitCode !== 0) {
    throw new Error(`dkt ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`)
  }
  return result.stdout
}

/** Runs dkt with --json and parses its output. */
export async function dktJson<T = unknown>(args: string[], options: {cwd: string; env?: Record<string, string | undefined>}): Promise<T> {
  // Flags go before `--`: what follows it is a node's command.
  const dash = args.indexOf('--')
  const withJson = dash < 0 ? [...args, '--json'] : [...args.slice(0, dash), '--json', ...args.slice(dash)]
  return JSON.parse(await dktOk(withJson, options)) as T
}

export interface StartedDkt {
  child: ChildProcess
  /** What it has written so far. */
  readonly stdout: string
  readonly stderr: string
  /** Its exit code once it has exited. */
  exited: Promise<number | null>
}

/** Starts dkt without waiting for it (to interrupt it, or watch its output as it goes). */
export function startDkt(args: string[], options: {cwd: string; env?: Record<string, string | undefined>}): StartedDkt {
  const child = spawn(process.execPath, [RUN_JS, ...args], {cwd: options.cwd, env: testEnv(options.env), stdio: ['ignore', 'pipe', 'pipe']})
  const output = {stdout: '', stderr: ''}
  child.stdout?.on('data', (chunk) => (output.stdout += chunk))
  child.stderr?.on('data', (chunk) => (output.stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  return {
    child,
    get stdout() {
      return output.stdout
    },
    get stderr() {
      return output.stderr
    },
    exited,
  }
}
