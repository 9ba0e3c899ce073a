// Runs a command on this machine with execa (no shell), streaming and capturing its output, cancellable.
import {BoundedCapture} from './capture.js'
import type {OutputListener, RunOutcome} from './outcome.js'

export interface LocalRunOptions {
  file: string
  args: string[]
  cwd: string
  /** Added to the inherited environment. */
  env: Record<string, string>
  signal?: AbortSignal
  onOutput?: OutputListener
  captureLimit?: number
  /** How long a cancelled command has between SIGTERM and SIGKILL. */
  killGraceMs?: number
}

// Imported on first use (startup stays cheap), once: each import() call resolves the module again.
let execaModule: Promise<typeof import('execa')> | undefined

export async function runLocal(options: LocalRunOptions): Promise<RunOutcome> {
  const {execa} = await (execaModule ??= import('execa'))
  const capture = new BoundedCapture(options.captureLimit)
  const startedAt = new Date()
  // Its own process group, so that a cancel reaches everything the command started.
  const child = execa(options.file, options.args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    shell: false,
    detached: true,
    stdin: 'ignore',
    buffer: false,
    reject: false,
  })
  const forward = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    capture.add(chunk)
    options.onOutput?.(stream, chunk)
  }
  child.stdout?.on('data', forward('stdout'))
  child.stderr?.on('data', forward('stderr'))

  let cancelled = false
  let killTimer: NodeJS.Timeout | undefined
  const cancel = () => {
    cancelled = true
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal)
      } catch {
        // already gone
      }
    }
    kill('SIGTERM')
    killTimer = setTimeout(() => kill('SIGKILL'), options.killGraceMs ?? 5000)
  }
  if (options.signal?.aborted) cancel()
  options.signal?.addEventListener('abort', cancel, {once: true})
  try {
    const result = await child
    const endedAt = new Date()
    const base = {output: capture.text(), truncated: capture.truncated, startedAt, endedAt}
    if (cancelled) {
      return {...base, status: 'cancelled', exitCode: result.exitCode ?? null, signal: result.signal ?? null, reason: 'cancelled by the user'}
    }
    if (result.failed && result.exitCode === undefined && !result.signal) {
      // Could not start at all (missing program, not executable).
      const code = (result.cause as NodeJS.ErrnoException | undefined)?.code
      const reason =
        code === 'ENOENT'
          ? `command not found: ${options.file}`
          : code === 'EACCES'
            ? `permission denied: ${options.file} is not executable`
            : (result.originalMessage || result.shortMessage || 'the command could not be started').split('\n')[0]
      return {...base, status: 'error', exitCode: null, signal: null, reason}
    }
    const ok = result.exitCode === 0
    return {...base, status: ok ? 'success' : 'failure', exitCode: result.exitCode ?? null, signal: result.signal ?? null, reason: null}
  } finally {
    if (killTimer) clearTimeout(killTimer)
    options.signal?.removeEventListener('abort', cancel)
  }
}
