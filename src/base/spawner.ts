// A small helper process that starts a scheduler's processes (commands, git): forking the scheduler's own large
// process blocks its main thread for tens of ms each time (the kernel copies its page tables); the helper, a few lines
// of plain Node with a small heap, started once, forks instead, and relays output and exit over its IPC channel.
import {type ChildProcess, spawn} from 'node:child_process'
import {availableParallelism} from 'node:os'

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

// The helper's whole program (CommonJS, run with `node -e`: no file to ship, nothing of the bundle loaded). Its
// environment is the scheduler's, sent once; each request says what to change. When the channel closes (its scheduler exited or was
// killed), it stops the commands still running (SIGTERM, SIGKILL after the grace): with nothing left to wait for, it
// ends, so it never outlives its scheduler.
const HELPER_SOURCE = `'use strict'
const {spawn} = require('node:child_process')
let base = process.env
let grace = 5000
const children = new Map()
const send = (message) => { if (process.connected) process.send(message) }
const signalGroup = (child, signal) => { try { if (child.pid) process.kill(child.group ? -child.pid : child.pid, signal) } catch {} }
process.on('message', (m) => {
  if (m.t === 'env') { base = m.env; grace = m.grace }
  else if (m.t === 'kill') { const child = children.get(m.id); if (child) signalGroup(child, m.signal) }
  else if (m.t === 'run') {
    let child
    try {
      const env = {...base}
      for (const [name, value] of Object.entries(m.env)) { if (value === null) delete env[name]; else env[name] = value }
      child = spawn(m.file, m.args, {cwd: m.cwd, env, detached: m.detached, stdio: ['ignore', 'pipe', 'pipe']})
      child.group = m.detached
    } catch (error) { send({t: 'error', id: m.id, code: error.code, message: String(error.message)}); return }
    children.set(m.id, child)
    send({t: 'started', id: m.id})
    child.stdout.on('data', (d) => send({t: 'out', id: m.id, s: 1, d}))
    child.stderr.on('data', (d) => send({t: 'out', id: m.id, s: 2, d}))
    child.on('error', (error) => { children.delete(m.id); send({t: 'error', id: m.id, code: error.code, message: String(error.message)}) })
    child.on('close', (code, signal) => { children.delete(m.id); send({t: 'close', id: m.id, code, signal}) })
  }
})
process.on('disconnect', () => {
  for (const child of children.values()) signalGroup(child, 'SIGTERM')
  setTimeout(() => {
    for (const child of children.values()) { signalGroup(child, 'SIGKILL'); child.stdout.destroy(); child.stderr.destroy() }
  }, grace).unref()
})
`

type HelperMessage =
  | {t: 'started'; id: number}
  | {t: 'out'; id: number; s: 1 | 2; d: Uint8Array}
  | {t: 'error'; id: number; code?: string; message: string}
  | {t: 'close'; id: number; code: number | null; signal: string | null}

interface Pending {
  request: LaunchRequest
  listeners: LaunchListeners
  /** The helper said it started the command (else, if the helper goes, it is launched directly instead). */
  started: boolean
  /** Set when the helper went before starting it: the direct launch that took over. */
  direct?: LaunchedCommand
  /** Signals asked for through the helper: sent again to a direct launch that takes over. */
  kills: Array<'SIGTERM' | 'SIGKILL'>
}

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

/** The reason recorded for a command the helper started and lost (it died): its outcome is unknown. */
const HELPER_LOST = 'the helper process that started the command stopped; its outcome is unknown'

export class Spawner {
  private readonly helper: ChildProcess
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private alive = true
  private readonly exited: Promise<void>

  constructor(killGraceMs: number) {
    // Nothing of the scheduler's Node options or CA bundle: the helper only forks. The commands get this process's
    // environment, sent once.
    const env = {...process.env}
    delete env.NODE_OPTIONS
    delete env.NODE_EXTRA_CA_CERTS
    this.helper = spawn(process.execPath, ['--max-semi-space-size=1', '-e', HELPER_SOURCE], {
      env,
      // Its own process group: a Ctrl-C at the terminal is the scheduler's to handle, not the helper's.
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'advanced',
    })
    this.exited = new Promise((resolve) => {
      this.helper.once('exit', () => resolve())
      this.helper.once('error', () => resolve())
    })
    this.helper.on('message', (message: HelperMessage) => this.receive(message))
    this.helper.on('error', () => this.lost())
    this.helper.on('exit', () => this.lost())
    this.helper.on('disconnect', () => this.lost())
    this.post({t: 'env', env: process.env, grace: killGraceMs})
    this.helper.unref()
    this.unrefChannel()
  }

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
    if (this.pending.size === 1) this.helper.channel?.ref()
    this.post({t: 'run', id, ...request})
    return {
      kill: (signal) => {
        if (entry.direct) entry.direct.kill(signal)
        else if (this.pending.has(id)) {
          entry.kills.push(signal)
          this.post({t: 'kill', id, signal})
        }
      },
    }
  }

  /** Lets the helper go; resolves once it has exited (it does as soon as its channel closes), or after `waitMs`. */
  async close(waitMs = 2000): Promise<void> {
    if (this.alive) {
      this.alive = false
      this.helper.disconnect()
    }
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))])
    clearTimeout(timer)
  }

  /** A message to the helper; a channel that broke is a helper gone. */
  private post(message: object): void {
    if (!this.alive) return
    try {
      this.helper.send(message)
    } catch {
      this.lost()
    }
  }

  private receive(message: HelperMessage): void {
    const entry = this.pending.get(message.id)
    if (!entry) return
    if (message.t === 'started') entry.started = true
    else if (message.t === 'out') entry.listeners.output(message.s === 1 ? 'stdout' : 'stderr', Buffer.from(message.d.buffer, message.d.byteOffset, message.d.byteLength))
    else {
      this.settle(message.id)
      if (message.t === 'error') entry.listeners.failedToStart(message.code, message.message)
      else entry.listeners.closed(message.code, message.signal)
    }
  }

  private settle(id: number): void {
    this.pending.delete(id)
    if (this.pending.size === 0) this.unrefChannel()
  }

  private unrefChannel(): void {
    this.helper.channel?.unref()
  }

  /**
   * The helper went (it could not start, or died): from now on commands are started directly. A command it had not
   * started yet is started directly; one it had started is reported as an error, its outcome lost with the helper.
   */
  private lost(): void {
    this.alive = false
    for (const [id, entry] of this.pending) {
      if (entry.direct) continue
      if (entry.started) {
        this.settle(id)
        entry.listeners.failedToStart(undefined, HELPER_LOST)
        continue
      }
      entry.direct = launchDirect(entry.request, {
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
}

let active: Spawner[] = []

/** More helpers than this only hold memory: each forks at the rate of a core. */
const MAX_HELPERS = 4

/**
 * From now on, the commands and git processes this process starts are started by helper processes (see Spawner),
 * until the returned function is called: one per process expected at once (`concurrency`), up to one per core, as
 * each forks one process at a time. For a process that starts many (the scheduler); started twice, the first serve.
 */
export function useSpawner(options: {concurrency?: number; killGraceMs?: number} = {}): () => Promise<void> {
  if (active.some((spawner) => spawner.usable)) return async () => {}
  const helpers = Math.max(1, Math.min(options.concurrency ?? 1, availableParallelism(), MAX_HELPERS))
  const spawners = Array.from({length: helpers}, () => new Spawner(options.killGraceMs ?? 5000))
  active = spawners
  return async () => {
    if (active === spawners) active = []
    await Promise.all(spawners.map((spawner) => spawner.close()))
  }
}

/** How this process starts a process now: through the least busy helper while one serves, else directly. */
export function currentLaunch(): Launch {
  let best: Spawner | undefined
  for (const spawner of active) if (spawner.usable && (!best || spawner.load < best.load)) best = spawner
  return best ? best.launch : launchDirect
}
