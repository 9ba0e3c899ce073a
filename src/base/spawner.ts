// The scheduler's process starters: forking the scheduler's own large process blocks its main thread for tens of ms
// each time (the kernel copies its page tables), so a small helper process, started once, starts its commands and
// git instead and relays their output and end. The helper is in Python where python3 (3.10 or later) is found: it
// starts processes with vfork, which copies nothing (see python-spawner.ts); else it is a few lines of plain
// Node with a small heap, which forks, and relays over its IPC channel.
import {type ChildProcess, spawn} from 'node:child_process'
import {availableParallelism} from 'node:os'

import {type Launch, type LaunchRequest, SpawnHelper, exitOf, exitedOrAfter, launchDirect} from './launch.js'
import {PythonSpawner, pythonProgram} from './python-spawner.js'

export {type Launch, type LaunchListeners, type LaunchRequest, type LaunchedCommand, environmentOf, launchDirect} from './launch.js'

// The Node helper's whole program (CommonJS, run with `node -e`: no file to ship, nothing of the bundle loaded). Its
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

/** The helper in Node, where there is no Python 3.10. */
export class NodeSpawner extends SpawnHelper {
  private readonly helper: ChildProcess
  private readonly exited: Promise<void>

  constructor(killGraceMs: number) {
    super()
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
    this.exited = exitOf(this.helper)
    this.helper.on('message', (message: HelperMessage) => this.receive(message))
    this.helper.on('error', () => this.lost())
    this.helper.on('exit', () => this.lost())
    this.helper.on('disconnect', () => this.lost())
    this.post({t: 'env', env: process.env, grace: killGraceMs})
    this.helper.unref()
    this.busy(false)
  }

  async close(waitMs = 2000): Promise<void> {
    if (this.alive) {
      this.alive = false
      this.helper.disconnect()
    }
    await exitedOrAfter(this.exited, waitMs)
  }

  protected sendRun(id: number, request: LaunchRequest): void {
    this.post({t: 'run', id, ...request})
  }

  protected sendKill(id: number, signal: 'SIGTERM' | 'SIGKILL'): void {
    this.post({t: 'kill', id, signal})
  }

  protected busy(busy: boolean): void {
    if (busy) this.helper.channel?.ref()
    else this.helper.channel?.unref()
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
    if (message.t === 'started') this.started(message.id)
    else if (message.t === 'out') this.output(message.id, message.s === 1 ? 'stdout' : 'stderr', Buffer.from(message.d.buffer, message.d.byteOffset, message.d.byteLength))
    else if (message.t === 'error') this.failedToStart(message.id, message.code, message.message)
    else this.closed(message.id, message.code, message.signal)
  }
}

let active: SpawnHelper[] = []

/** Set once python3 turned out not to run: later schedulers in this process use the Node helper at once. */
let pythonUnavailable = false

/** More helpers than this only hold memory: each starts processes at the rate of a core. */
const MAX_HELPERS = 4

/** A helper: in Python when there is one, replaced by a Node helper if it turns out not to run. */
function startHelper(killGraceMs: number): SpawnHelper {
  const python = pythonUnavailable ? undefined : pythonProgram()
  if (!python) return new NodeSpawner(killGraceMs)
  const helper: SpawnHelper = new PythonSpawner(python, killGraceMs, () => {
    pythonUnavailable = true
    const replacement = new NodeSpawner(killGraceMs)
    const at = active.indexOf(helper)
    if (at >= 0) active[at] = replacement
    return replacement.launch
  })
  return helper
}

/**
 * From now on, the commands and git processes this process starts are started by helper processes (see above),
 * until the returned function is called: one per process expected at once (`concurrency`), up to one per core, as
 * each starts one process at a time. For a process that starts many (the scheduler); started twice, the first serve.
 */
export function useSpawner(options: {concurrency?: number; killGraceMs?: number} = {}): () => Promise<void> {
  if (active.some((spawner) => spawner.usable)) return async () => {}
  const helpers = Math.max(1, Math.min(options.concurrency ?? 1, availableParallelism(), MAX_HELPERS))
  const spawners = Array.from({length: helpers}, () => startHelper(options.killGraceMs ?? 5000))
  active = spawners
  return async () => {
    if (active === spawners) active = []
    await Promise.all(spawners.map((spawner) => spawner.close()))
  }
}

/** How this process starts a process now: through the least busy helper while one serves, else directly. */
export function currentLaunch(): Launch {
  let best: SpawnHelper | undefined
  for (const spawner of active) if (spawner.usable && (!best || spawner.load < best.load)) best = spawner
  return best ? best.launch : launchDirect
}
