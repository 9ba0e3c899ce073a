// Runs a command on this machine (no shell), streaming and capturing its output, cancellable.
import {spawn} from 'node:child_process'

import {profiledSync} from '../base/profile.js'
import type {RunOutcome} from './outcome.js'
import {CommandSupervisor, type SuperviseOptions} from './supervise.js'

export interface LocalRunOptions extends SuperviseOptions {
  file: string
  args: string[]
  cwd: string
  /** Added to the inherited environment. */
  env: Record<string, string>
}

/** Why a command could not start at all (missing program, not executable), in one sentence. */
function startFailure(file: string, code: string | undefined, message: string | undefined): string {
  if (code === 'ENOENT') return `command not found: ${file}`
  if (code === 'EACCES') return `permission denied: ${file} is not executable`
  return (message || 'the command could not be started').split('\n')[0]
}

// Node's own spawn: a scheduler starts a command per run, and a wrapper library's streams and promises around each
// one cost more than the rest of the run's bookkeeping.
export async function runLocal(options: LocalRunOptions): Promise<RunOutcome> {
  const supervisor = new CommandSupervisor(options)
  try {
    return await new Promise<RunOutcome>((resolve) => {
      // Its own process group, so that a cancel reaches everything the command started.
      const child = profiledSync('spawn', () =>
        spawn(options.file, options.args, {cwd: options.cwd, env: {...process.env, ...options.env}, detached: true, stdio: ['ignore', 'pipe', 'pipe']}),
      )
      child.stdout.on('data', supervisor.forward('stdout'))
      child.stderr.on('data', supervisor.forward('stderr'))
      // The first of the two settles: a command that could not start has no exit status.
      child.on('error', (error: NodeJS.ErrnoException) => resolve(supervisor.failed(startFailure(options.file, error.code, error.message))))
      child.on('close', (exitCode, signal) => resolve(supervisor.ended(exitCode, signal)))
      supervisor.stopOnAbort((signal) => {
        try {
          if (child.pid) process.kill(-child.pid, signal)
        } catch {
          // already gone
        }
      })
    })
  } finally {
    supervisor.dispose()
  }
}
