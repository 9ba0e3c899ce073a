// How a process is started for dkt (a run's command, git): the request, how it reports, a start from this very
// process, and what a helper process that starts them instead (see spawner.ts) keeps track of.
import {type ChildProcess, spawn} from 'node:child_process'

/** What starting one process needs. */
export interface LaunchRequest {
  file: string
  args: string[]
  cwd: string
  /** Changes to this process's environment: a value replaces, `null` removes. */
  env: Record<string, string | null>
  /** Its own process group (a command: a cancel reaches all it started), or its starter's (git). */
  detached: boolean
}

/** This process's environment with a request's changes. */
export function environmentOf(changes: LaunchRequest['env'], base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = {...base}
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) delete env[name]
    else env[name] = value
  }
  return env
}

/** How a launched command reports: output as it comes, then exactly one of `failedToStart` and `closed`. */
export interface LaunchListeners {
  output(stream: 'stdout' | 'stderr', chunk: Buffer): void
  failedToStart(code: string | undefined, message: string): void
  closed(exitCode: number | null, signal: string | null): void
}

/** A launched process: `kill` signals its process group when detached, else the process (already gone: no error). */
export interface LaunchedCommand {
  kill(signal: 'SIGTERM' | 'SIGKILL'): void
}

export type Launch = (request: LaunchRequest, listeners: LaunchListeners) => LaunchedCommand

/** Starts a process from this one (Node's own spawn). */
export const launchDirect: Launch = (request, listeners) => {
  const {file, args, cwd, detached} = request
  const child = spawn(file, args, {cwd, env: environmentOf(request.env), detached, stdio: ['ignore', 'pipe', 'pipe']})
  child.stdout.on('data', (chunk: Buffer) => listeners.output('stdout', chunk))
  child.stderr.on('data', (chunk: Buffer) => listeners.output('stderr', chunk))
  // The first of the two settles: a command that could not start has no exit status.
  let settled = false
  child.on('error', (error: NodeJS.ErrnoException) => {
    if (!settled) listeners.failedToStart(error.code, error.message)
    settled = true
  })
  child.on('close', (exitCode, signal) => {
    if (!settled) listeners.closed(exitCode, signal)
    settled = true
  })
  return {
    kill(signal) {
      try {
        if (child.pid) process.kill(detached ? -child.pid : child.pid, signal)
      } catch {
        // already gone
      }
    },
  }
}

/** Resolves once a helper process has exited, or could not start. */
export function exitOf(helper: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    helper.once('exit', () => resolve())
    helper.once('error', () => resolve())
  })
}

/** Resolves once `exited` does, or after `waitMs` (a helper that does not end in time is left to end alone). */
export async function exitedOrAfter(exited: Promise<void>, waitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))])
  clearTimeout(timer)
}

interface Pending {
  request: LaunchRequest
  listeners: LaunchListeners
  /** The helper said it started the command (else, if the helper goes, another launch takes it over). */
  started: boolean
  /** Set when the helper went before starting it: the launch that took over. */
  direct?: LaunchedCommand
  /** Signals asked for through the helper: sent again to a launch that takes over. */
  kills: Array<'SIGTERM' | 'SIGKILL'>
}

/** The reason recorded for a command the helper started and lost (it died): its outcome is unknown. */
const HELPER_LOST = 'the helper process that started the command stopped; its outcome is unknown'

/**
 * A helper process that starts processes for this one and relays their output and end (its transport is the
 * subclass's): what is in flight, and what happens to it when the helper goes.
 */
export abstract class SpawnHelper {
  protected alive = true
  private readonly pending = new Map<number, Pending>()
  private nextId = 1

  get usable(): boolean {
    return this.alive
  }

  /** Processes started through it that have not ended yet. */
  get load(): number {
    return this.pending.size
  }

  readonly launch: Launch = (request, listeners) => {
    if (!this.alive) return launchDirect(request, listeners)
    const id = this.nextId++
    const entry: Pending = {request, listeners, started: false, kills: []}
    this.pending.set(id, entry)
    if (this.pending.size === 1) this.busy(true)
    this.sendRun(id, request)
    return {
      kill: (signal) => {
        if (entry.direct) entry.direct.kill(signal)
        else if (this.pending.has(id)) {
          entry.kills.push(signal)
          this.sendKill(id, signal)
        }
      },
    }
  }

  /** Lets the helper go; resolves once it has exited (it does as soon as its channel closes), or after `waitMs`. */
  abstract close(waitMs?: number): Promise<void>

  protected abstract sendRun(id: number, request: LaunchRequest): void
  protected abstract sendKill(id: number, signal: 'SIGTERM' | 'SIGKILL'): void
  /** Whether this process waits for the helper: while something is in flight, not when idle. */
  protected abstract busy(busy: boolean): void

  protected started(id: number): void {
    const entry = this.pending.get(id)
    if (entry) entry.started = true
  }

  protected output(id: number, stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this.pending.get(id)?.listeners.output(stream, chunk)
  }

  protected failedToStart(id: number, code: string | undefined, message: string): void {
    const entry = this.pending.get(id)
    if (!entry) return
    this.settle(id)
    entry.listeners.failedToStart(code, message)
  }

  protected closed(id: number, exitCode: number | null, signal: string | null): void {
    const entry = this.pending.get(id)
    if (!entry) return
    this.settle(id)
    entry.listeners.closed(exitCode, signal)
  }

  /**
   * The helper went (it could not start, or died): from now on `takeOver` starts what it had not started yet, and this
   * helper is no longer used; a command it had started is reported as an error, its outcome lost with the helper.
   */
  protected lost(takeOver: Launch = launchDirect): void {
    this.alive = false
    for (const [id, entry] of this.pending) {
      if (entry.direct) continue
      if (entry.started) {
        this.failedToStart(id, undefined, HELPER_LOST)
        continue
      }
      entry.direct = takeOver(entry.request, {
        ...entry.listeners,
        failedToStart: (code, message) => {
          this.settle(id)
          entry.listeners.failedToStart(code, message)
        },
        closed: (exitCode, signal) => {
          this.settle(id)
          entry.listeners.closed(exitCode, signal)
        },
      })
      // A cancel asked for before the helper went: it still holds.
      for (const signal of entry.kills) entry.direct.kill(signal)
    }
  }

  private settle(id: number): void {
    this.pending.delete(id)
    if (this.pending.size === 0) this.busy(false)
  }
}
