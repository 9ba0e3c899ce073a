// A fleet of remote workers for tests: one dkt project whose metadata is served by a real git daemon on 127.0.0.1,
// cloned N times with `dkt clone`, each clone worked by `dkt scheduler --remote` under a host name of its own
// (DKT_HOST), so that one machine plays several. Workers are stopped by PID; the remote is read with plain git.
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {afterEach} from 'vitest'

import {dktOk} from './cli.js'
import {bareRepo, git} from './git.js'
import {gitDaemonForSuite} from './git-daemon.js'
import {newProject} from './project.js'
import {type RunningScheduler, type SchedulerEvent, startScheduler} from './scheduler.js'
import {tempDir} from './tmp.js'

/** How long a worker may live at most: a watchdog kills it (SIGKILL) then, even if the test process died. */
const WORKER_LIFE_SECONDS = 600
/** How long a stopped worker may take to finish after SIGINT before it is killed. */
const STOP_BOUND_MS = 20_000

/** A node of a pipeline file (`dkt apply`), as the tests declare them. */
export interface NodeSpec {
  command: string[]
  inputs?: string[]
  outputs?: string[]
  labels?: string[]
}

export interface WorkerOptions {
  /** `--name` (also the default host: `host-NAME`). */
  name: string
  labels: string[]
  /** DKT_HOST of the worker (default `host-NAME`). */
  host?: string
  /**
   * `--lease` (default 10): short (2 s) for a worker a test kills or freezes; longer for the others, so that a beat
   * delayed on a busy 2-core machine never looks like a lost worker.
   */
  leaseSeconds?: number
  /** `--heartbeat` (default 1). */
  heartbeatSeconds?: number
  /** More flags, e.g. `--concurrency 1` or `--no-observe`. */
  args?: string[]
  /** The clone it works in (default: a new clone of the project). */
  clone?: string
}

export interface FleetWorker extends RunningScheduler {
  name: string
  host: string
  clone: string
  pid: number
  /** SIGINT, then SIGKILL if it has not exited within `boundMs`; resolves to its exit code (null if killed). */
  stop(boundMs?: number): Promise<number | null>
  /** Sends a signal to the worker's own process (not to the commands it runs, which have process groups of their own). */
  signal(signal: NodeJS.Signals): void
  /** Whether it has exited. */
  readonly exitCode: number | null | undefined
}

/** The project's metadata repository as the daemon serves it, read with plain git. */
export class Remote {
  constructor(
    /** The bare repository's folder. */
    readonly dir: string,
    /** `git://127.0.0.1:PORT/NAME`. */
    readonly url: string,
  ) {}

  git(args: string[]): string {
    return git(this.dir, [`--git-dir=${this.dir}`, ...args])
  }

  /** The branch the metadata is on (the bare repository's HEAD). */
  get branch(): string {
    return this.git(['symbolic-ref', '--short', 'HEAD'])
  }

  head(): string {
    return this.git(['rev-parse', `refs/heads/${this.branch}`])
  }

  /** Paths on the branch under `folder` (e.g. `runs/`). */
  files(folder: string, commit = this.head()): string[] {
    const out = this.git(['ls-tree', '-r', '--name-only', commit, '--', folder])
    return out ? out.split('\n') : []
  }

  /** The contents of many files at `commit` in one git call (a missing file is absent from the map). */
  read(files: string[], commit = this.head()): Map<string, string> {
    const contents = new Map<string, string>()
    if (files.length === 0) return contents
    const out = execFileSync('git', [`--git-dir=${this.dir}`, 'cat-file', '--batch'], {input: files.map((file) => `${commit}:${file}\n`).join(''), maxBuffer: 256 * 1024 * 1024})
    let at = 0
    for (const file of files) {
      const newline = out.indexOf(10, at)
      const header = out.subarray(at, newline).toString()
      at = newline + 1
      if (header.endsWith(' missing')) continue
      const size = Number(header.split(' ')[2])
      contents.set(file, out.subarray(at, at + size).toString())
      at += size + 1
    }
    return contents
  }

  /** Every run manifest on the branch (`runs/NODE/RUN.json`), parsed. */
  runs(commit = this.head()): RemoteRun[] {
    const manifests = this.files('runs/', commit).filter((file) => file.endsWith('.json'))
    return [...this.read(manifests, commit).values()].map((text) => JSON.parse(text) as RemoteRun)
  }

  /** Every version a file had on the branch, newest first (e.g. a run manifest recorded `error`, then `success`). */
  history(file: string): string[] {
    const commits = this.git(['log', '--format=%H', this.branch, '--', file])
    return commits ? commits.split('\n').flatMap((commit) => [...this.read([file], commit).values()]) : []
  }

  /** Shared refs of the workers on the remote (`refs/dkt/claims/…`, `refs/dkt/workers/…`): full name → message JSON. */
  sharedRefs(namespace: 'claims' | 'workers'): Map<string, Record<string, unknown>> {
    const out = this.git(['for-each-ref', '--format=%(refname)%00%(contents)%00', `refs/dkt/${namespace}/`])
    const refs = new Map<string, Record<string, unknown>>()
    const fields = out.split('\0')
    for (let i = 0; i + 1 < fields.length; i += 2) refs.set(fields[i].trim(), JSON.parse(fields[i + 1]) as Record<string, unknown>)
    return refs
  }

  /** `git fsck --strict` of the bare repository: throws with git's message unless it is clean. */
  fsck(): string {
    return this.git(['fsck', '--strict', '--no-progress'])
  }
}

/** What the tests read of a run manifest. */
export interface RemoteRun {
  id: string
  key: string
  attempt: number
  node: string
  status: string
  reason: string | null
  labels: string[]
  inputs: Record<string, string>
  machine: {hostname: string}
  startedAt: string
  worker?: string
  otherExecutions?: unknown[]
}

export interface FleetProject {
  /** The project the metadata was made in (the clones' origin). */
  origin: string
  remote: Remote
}

/**
 * Fleets for a test file: one git daemon for the file; the workers a test starts are stopped after it (SIGCONT, in
 * case a test left one stopped, then SIGINT, then SIGKILL after a bound).
 */
export function fleetForSuite() {
  const daemon = gitDaemonForSuite()
  const workers: FleetWorker[] = []
  let served = 0
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => (worker.signal('SIGCONT'), worker.stop())))
  })

  return {
    get url() {
      return daemon.url
    },

    /** A git repository served by the daemon (a `git` source to follow), and `advance()` to push a new commit to it. */
    upstream(): {url: string; advance: () => void} {
      const name = `upstream-${++served}.git`
      const {advance} = bareRepo(daemon.served, name)
      return {url: `${daemon.url}/${name}`, advance}
    },

    /**
     * A project with these sources and nodes (`dkt apply` of a pipeline file: one commit), its metadata pushed to a
     * new bare repository the daemon serves.
     */
    async project(pipeline: {sources?: Record<string, {kind?: string; location?: string; tag?: string}>; nodes: Record<string, NodeSpec>}): Promise<FleetProject> {
      const origin = await newProject()
      // JSON is YAML: the pipeline file is written as JSON.
      writeFileSync(path.join(origin, 'dkt.yml'), JSON.stringify({format: 1, ...pipeline}))
      await dktOk(['apply', '--yes'], {cwd: origin, env: {DKT_HOST: 'origin-host'}})
      const name = `meta-${++served}.git`
      const dir = path.join(daemon.served, name)
      git(daemon.served, ['clone', '-q', '--bare', path.join(origin, '.dkt'), dir])
      return {origin, remote: new Remote(dir, `${daemon.url}/${name}`)}
    },

    /** A new `dkt clone` of the project (through `url` if given, e.g. a proxy in front of the daemon). */
    async clone(project: FleetProject, url = project.remote.url): Promise<string> {
      const parent = tempDir('dkt-fleet-')
      await dktOk(['clone', url, 'clone'], {cwd: parent})
      return path.join(parent, 'clone')
    },

    /** Waits until the project's remote holds `count` run manifests that satisfy `match` (see untilRemoteRuns). */
    untilRuns(project: FleetProject, match: (run: RemoteRun) => boolean, count: number, what: string, timeoutMs?: number): Promise<RemoteRun[]> {
      return untilRemoteRuns(project.remote, match, count, what, {timeoutMs, workers: [...workers]})
    },

    /** Waits until these workers' heartbeats are on the project's remote. */
    async untilBeating(project: FleetProject, names: string[], timeoutMs = 30_000): Promise<void> {
      const beating = () => [...project.remote.sharedRefs('workers').values()].map((beat) => beat.name)
      await poll(() => names.every((name) => beating().includes(name)), () => `heartbeats of ${names.join(', ')} (beating: ${beating().join(', ')})\n${diagnose(workers)}`, timeoutMs)
    },

    /** Starts a worker (in a new clone unless one is given): `dkt scheduler --remote --name … --json`. */
    async worker(project: FleetProject, options: WorkerOptions): Promise<FleetWorker> {
      const clone = options.clone ?? (await this.clone(project))
      const worker = startWorker(clone, options)
      workers.push(worker)
      return worker
    },
  }
}

export type Fleet = ReturnType<typeof fleetForSuite>

function startWorker(clone: string, options: WorkerOptions): FleetWorker {
  const host = options.host ?? `host-${options.name}`
  const flags = ['--remote', 'origin', '--name', options.name, '--labels', options.labels.join(','), '--interval', '1']
  flags.push('--lease', String(options.leaseSeconds ?? 10), '--heartbeat', String(options.heartbeatSeconds ?? 1), ...(options.args ?? []))
  const scheduler = startScheduler(clone, flags, {DKT_HOST: host})
  const pid = scheduler.child.pid as number
  const watchdog = spawnWatchdog(pid)
  let exitCode: number | null | undefined
  void scheduler.exited.then((code) => {
    exitCode = code
    if (watchdog.pid && watchdog.exitCode === null) watchdog.kill('SIGKILL')
  })
  return Object.assign(scheduler, {
    name: options.name,
    host,
    clone,
    pid,
    get exitCode() {
      return exitCode
    },
    signal(signal: NodeJS.Signals) {
      if (exitCode === undefined) process.kill(pid, signal)
    },
    async stop(boundMs = STOP_BOUND_MS) {
      return stopByPid(scheduler.child, scheduler.exited, boundMs)
    },
  })
}

/** Kills `pid` after WORKER_LIFE_SECONDS unless it is killed first itself: a worker never outlives its bound. */
function spawnWatchdog(pid: number): ChildProcess {
  const watchdog = spawn('sh', ['-c', `sleep ${WORKER_LIFE_SECONDS}; kill -KILL ${pid} 2>/dev/null`], {stdio: 'ignore', detached: true})
  watchdog.unref()
  return watchdog
}

async function stopByPid(child: ChildProcess, exited: Promise<number | null>, boundMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return exited
  child.kill('SIGINT')
  const timer = setTimeout(() => child.kill('SIGKILL'), boundMs)
  try {
    return await exited
  } finally {
    clearTimeout(timer)
  }
}

/** Events of a given type printed by any of these workers, each with the name of the worker that printed it (`by`). */
export function eventsOf(workers: FleetWorker[], type: string): (SchedulerEvent & {by: string})[] {
  return workers.flatMap((worker) => worker.events.filter((event) => event.type === type).map((event) => ({...event, by: worker.name})))
}

/** What the workers did so far, for a failed wait's message: each one's event types, last events and stderr. */
export function diagnose(workers: FleetWorker[]): string {
  return workers
    .map((worker) => {
      const counts = new Map<string, number>()
      for (const event of worker.events) counts.set(event.type, (counts.get(event.type) ?? 0) + 1)
      const last = worker.events.slice(-8).map((event) => JSON.stringify(event).slice(0, 200))
      return `worker ${worker.name} (${worker.exitCode === undefined ? 'running' : `exited ${worker.exitCode ?? worker.child.signalCode}`}): ${[...counts].map(([type, n]) => `${type} ×${n}`).join(', ')}\n  last: ${last.join('\n        ')}\n  stderr: ${worker.stderr().slice(-800)}`
    })
    .join('\n')
}

/** Waits until `check()` holds, every 250 ms (reading the remote costs git calls), or throws after `timeoutMs`. */
async function poll(check: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/**
 * Waits (bounded) until the remote holds at least `count` run manifests that satisfy `match`; a timeout tells what
 * `workers` did meanwhile.
 */
export async function untilRemoteRuns(
  remote: Remote,
  match: (run: RemoteRun) => boolean,
  count: number,
  what: string,
  options: {timeoutMs?: number; workers?: FleetWorker[]} = {},
): Promise<RemoteRun[]> {
  let found: RemoteRun[] = []
  const check = () => {
    found = remote.runs().filter(match)
    return found.length >= count
  }
  await poll(check, () => `${what} (${count} run manifests on the remote; ${found.length} so far)\n${diagnose(options.workers ?? [])}`, options.timeoutMs ?? 120_000)
  return found
}

/**
 * A shell command for a node that appends `MARKER HOST start` to `log` (HOST: the worker's DKT_HOST) and, with
 * `sleep`, sleeps and then appends `MARKER HOST end`: one line (or two) per execution. It sleeps `seconds`, or on
 * `onHost.host` up to `onHost.seconds`, ending early once the file `onHost.until` exists (a test releases it).
 */
export function markCommand(log: string, marker: string, sleep?: {seconds: number; onHost?: {host: string; seconds: number; until?: string}}): string[] {
  const mark = (phase: string) => `echo "$1 $DKT_HOST ${phase}" >> '${log}'`
  if (!sleep) return ['sh', '-c', mark('start'), 'mark', marker]
  const there = sleep.onHost
  const wait = there?.until ? `i=0; while [ ! -e '${there.until}' ] && [ $i -lt ${there.seconds * 5} ]; do sleep 0.2; i=$((i+1)); done` : `sleep ${there?.seconds}`
  const nap = there ? `if [ "$DKT_HOST" = '${there.host}' ]; then ${wait}; else sleep ${sleep.seconds}; fi` : `sleep ${sleep.seconds}`
  return ['sh', '-c', `${mark('start')}; ${nap}; ${mark('end')}`, 'mark', marker]
}

/** What `markCommand` logged, in order. */
export function executions(log: string): {marker: string; host: string; phase: string}[] {
  if (!existsSync(log)) return []
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [marker, host, phase] = line.split(' ')
      return {marker, host, phase}
    })
}
