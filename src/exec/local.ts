// Runs a command on this machine with execa (no shell), streaming and capturing its output, cancellable.
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

// Imported on first use (startup stays cheap), once: each import() call resolves the module again.
let execaModule: Promise<typeof import('execa')> | undefined

/** Why a command could not start at all (missing program, not executable), in one sentence. */
function startFailure(file: string, code: string | undefined, message: string | undefined): string {
  if (code === 'ENOENT') return `command not found: ${file}`
  if (code === 'EACCES') return `permission denied: ${file} is not executable`
  return (message || 'the command could not be started').split('\n')[0]
}

export async function runLocal(options: LocalRunOptions): Promise<RunOutcome> {
  const {execa} = await (execaModule ??= import('execa'))
  const supervisor = new CommandSupervisor(options)
  // Its own process group, so that a cancel reaches everything the command started.
  const child = profiledSync('spawn', () =>
    execa(options.file, options.args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: true,
      shell: false,
      detached: true,
      stdin: 'ignore',
      buffer: false,
      reject: false,
    }),
  )
  child.stdout?.on('data', supervisor.forward('stdout'))
  child.stderr?.on('data', supervisor.forward('stderr'))
  supervisor.stopOnAbort((signal) => {
    try {
      if (child.pid) process.kill(-child.pid, signal)
    } catch {
      // already gone
    }
  })
  try {
    const result = await child
    if (!supervisor.wasCancelled && result.failed && result.exitCode === undefined && !result.signal) {
      const code = (result.cause as NodeJS.ErrnoException | undefined)?.code
      return supervisor.failed(startFailure(options.file, code, result.originalMessage || result.shortMessage))
    }
    return supervisor.ended(result.exitCode ?? null, result.signal ?? null)
  } finally {
    supervisor.dispose()
  }
}
