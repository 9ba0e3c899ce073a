// Runs a command on this machine (no shell), streaming and capturing its output, cancellable.
import {profiledSync} from '../base/profile.js'
import type {RunOutcome} from './outcome.js'
import {currentLaunch} from '../base/spawner.js'
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

// Node's own spawn (here or in the scheduler's helper process, see spawner.ts): a scheduler starts a command per run,
// and a wrapper library's streams and promises around each one cost more than the rest of the run's bookkeeping.
export async function runLocal(options: LocalRunOptions): Promise<RunOutcome> {
  const supervisor = new CommandSupervisor(options)
  try {
    return await new Promise<RunOutcome>((resolve) => {
      const streams = {stdout: supervisor.forward('stdout'), stderr: supervisor.forward('stderr')}
      // Its own process group, so that a cancel reaches everything the command started.
      const command = profiledSync('spawn', () =>
        currentLaunch()(
          {file: options.file, args: options.args, cwd: options.cwd, env: options.env, detached: true},
          {
            output: (stream, chunk) => streams[stream](chunk),
            failedToStart: (code, message) => resolve(supervisor.failed(startFailure(options.file, code, message))),
            closed: (exitCode, signal) => resolve(supervisor.ended(exitCode, signal)),
          },
        ),
      )
      supervisor.stopOnAbort((signal) => command.kill(signal))
    })
  } finally {
    supervisor.dispose()
  }
}
