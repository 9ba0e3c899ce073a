// The scheduler: keeps sources up to date and runs every due node, in dependency order, up to a concurrency
// limit, as a worker for the nodes whose labels it has. Stops on request; cancels running runs on a second one.
import {setMaxListeners} from 'node:events'

import {AlreadyRunningError} from '../base/errors.js'
import {sendQueuedStatuses} from '../core/commit-status/report.js'
import {profiled} from '../base/profile.js'
import {machineName} from '../base/host.js'
import {withHostLabel} from '../core/labels.js'
import type {MetaRepo} from '../core/meta-repo.js'
import type {RunRecord} from '../core/model/run.js'
import {executeRun} from '../core/node/execute.js'
import {useSpawner} from '../base/spawner.js'
import {recoverInterrupted} from '../core/node/recover.js'
import {GroupCommitter} from './commit-batch.js'
import {planRuns} from './plan.js'
import type {RemoteEvent, RemoteWorker} from './remote-worker.js'
import {type SourceEvent, SourceWatcher} from './sources.js'
import {type NodeState, NodeStates} from './states.js'

export type SchedulerEvent =
  | SourceEvent
  | {type: 'recovered'; runs: RunRecord[]}
  | {type: 'run-started'; run: RunRecord}
  | {type: 'run-finished'; run: RunRecord; durationMs: number}
  | {type: 'run-error'; node: string; message: string}
  | {type: 'summary'; running: number; pending: number; waitingForLabels: number; done: number; failed: number}
  | {type: 'stopping'; running: number}
  | RemoteEvent

/** How often the commit statuses waiting in the outbox are looked at (each is sent when its backoff has passed). */
const STATUS_RETRY_MS = 5_000
/** How long an exiting scheduler waits for the statuses being sent before it gives up on them (they stay queued). */
const STATUS_EXIT_WAIT_MS = 2_000

export interface SchedulerOptions {
  labels: string[]
  concurrency: number
  /** Run until nothing is due, then return. */
  once: boolean
  /** Polling interval for remote sources, in seconds (overrides the per-kind defaults). */
  intervalSeconds?: number
  dktVersion: string
  /** Aborted: start no new runs, wait for the running ones, return. */
  stop: AbortSignal
  /** Aborted: cancel the running runs (their process groups are killed; they are recorded `cancelled`). */
  cancel: AbortSignal
  onEvent: (event: SchedulerEvent) => void
  /** Remote mode (`--remote`): claims, pushes, heartbeats and takeovers through the metadata remote. */
  remote?: RemoteWorker
}

export interface SchedulerResult {
  runs: RunRecord[]
  failed: number
}

export class Scheduler {
  /** Runs that ended in this session (memoized ones aside). */
  private readonly finished: RunRecord[] = []
  /** Runs that could not even start (bad input, unrecorded), counted as failures. */
  private errors = 0
  /** Nodes with a run in progress, until its final state is recorded (their outputs are not recorded before that). */
  private readonly running = new Map<string, Promise<void>>()
  /**
   * Runs whose command is still executing: what --concurrency limits. A run that has ended frees its slot while
   * its final state is being recorded.
   */
  private readonly executing = new Set<string>()
  /**
   * Runs that could not start in this session, or were cancelled (their keys, by node): not retried until their
   * inputs change. By node: every planning round looks up each ready node, which must cost no string building.
   */
  private readonly rejected = new Map<string, Set<string | null>>()
  /** Until every followed source has been checked once in this session (see checkFirst): those checked so far. */
  private checkedSoFar: Set<string> | undefined = new Set()
  private checkingTheRest: Promise<void> | undefined
  /** Lets the check of the other sources begin once nothing is executing: the first runs have ended, or none started (see checkFirst). */
  private releaseTheRest: () => void = () => {}
  private checkFailure: unknown
  /** The recording of runs a dead process left running (see recoverLeftRunning), and whether it is done. */
  private recovering: Promise<void> | undefined
  private recovered = false
  /** Something changed since the last planning round. */
  private dirty = true
  /** Ends the current idle wait. */
  private wake: () => void = () => {}
  private readonly states: NodeStates
  private readonly committer: GroupCommitter
  private readonly watcher: SourceWatcher
  /** Commit statuses not sent yet: one pass at a time, retried on a timer. */
  private statusPass: Promise<void> = Promise.resolve()
  private statusTimer: NodeJS.Timeout | undefined
  /** Aborted at exit: the requests an API does not answer give up, and their statuses stay queued. */
  private readonly statusAbort = new AbortController()

  constructor(
    private readonly repo: MetaRepo,
    private readonly options: SchedulerOptions,
  ) {
    // Every run and every git call in flight listens to these signals until it ends: with a high concurrency that is
    // legitimately more than Node's default of 10 (which would print a leak warning).
    setMaxListeners(0, options.stop, options.cancel)
    this.states = new NodeStates(repo)
    this.committer = new GroupCommitter(repo, () => options.remote?.afterCommit())
    repo.onInterrupted = (runs) => options.onEvent({type: 'recovered', runs})
    this.watcher = new SourceWatcher(repo, {
      intervalSeconds: options.intervalSeconds,
      observeRemote: () => options.remote?.observe ?? true,
      onEvent: (event) => {
        if (event.type === 'version-found') {
          this.states.changed([event.source])
          // A remote worker shares what it observed.
          options.remote?.afterCommit()
        }
        options.onEvent(event)
      },
      onChange: () => this.poke(),
    })
  }

  async run(): Promise<SchedulerResult> {
    const maintain = this.repo.deferMaintenance()
    // Commands are forked by a small helper process, not by this large one (see spawner.ts).
    const stopSpawner = useSpawner({concurrency: this.options.concurrency})
    try {
      await profiled('scheduler start-up', () => this.begin())
      for (;;) {
        if (this.dirty && !this.options.stop.aborted && (await profiled('scheduler round', () => this.round()))) break
        if (this.options.stop.aborted && this.running.size === 0) break
        await this.idle()
      }
    } finally {
      await this.stop().finally(stopSpawner)
      // Housekeeping only: a failure here loses nothing, and the runs are recorded already.
      await maintain().catch(() => {})
    }
    return {runs: this.finished, failed: this.failedCount()}
  }

  /** Puts right what dead writers left and follows the sources (unless --once); see checkFirst for their check. */
  private async begin(): Promise<void> {
    this.options.stop.addEventListener('abort', () => {
      this.options.onEvent({type: 'stopping', running: this.running.size})
      this.wake()
    })
    // What dead writers left is put right (under the lock) before the first look at the nodes.
    await this.repo.exclusive(async () => {})
    // A new process tries what earlier ones could not send at once, whatever their backoff said; in the background,
    // as every status the scheduler sends.
    void this.sendStatuses(true)
    this.statusTimer = setInterval(() => void this.sendStatuses(), STATUS_RETRY_MS).unref()
    await this.options.remote?.begin({poke: () => this.poke(), changed: (paths) => this.remoteChanged(paths), onEvent: this.options.onEvent})
    // Watching before checking: a change made while a source is checked is seen all the same.
    if (!this.options.once) await this.watcher.start(await this.watcher.followed())
  }

  /** One planning round. Returns true when --once has nothing left to do. */
  private async round(): Promise<boolean> {
    if (this.checkFailure) throw this.checkFailure
    this.dirty = false
    const scannedFully = await profiled('scheduler node states', () => this.states.refresh(this.running))
    const ready = await this.plan()
    this.recovering ??= this.recoverLeftRunning()
    if (this.running.size > 0 || ready.length > 0 || this.checkedSoFar || !this.recovered) return false
    if (scannedFully) return this.options.once && (this.options.remote?.settled() ?? true)
    // Nothing due as far as the last changes tell; another worker may have changed things: look at every node.
    this.states.scanFullyNext()
    this.dirty = true
    return false
  }

  /**
   * Every followed source is checked once at start, before any node that reads or writes it runs: the sources of
   * the first runs first (checking two thousand folders first would hold up the first run for seconds), then all the
   * others, once the first runs have ended: checking is mostly synchronous work, which would hold up the first runs'
   * start and end. Returns the ready nodes whose sources are checked.
   */
  private async checkFirst(ready: NodeState[]): Promise<NodeState[]> {
    const checked = this.checkedSoFar
    if (!checked) return ready
    const sourcesOf = (state: NodeState) => [...state.inputs, ...state.outputs]
    if (!this.checkingTheRest) {
      const first = [...new Set(ready.slice(0, this.options.concurrency - this.executing.size).flatMap(sourcesOf))]
      await profiled('scheduler first sources', async () => this.watcher.check(await this.watcher.followedAmong(first)))
      for (const name of first) checked.add(name)
      const released = new Promise<void>((resolve) => (this.releaseTheRest = resolve))
      this.checkingTheRest = released.then(() => this.checkTheRest(checked))
      // A new version was found: its readers are stale, plan again.
      if (this.dirty) return []
    }
    return ready.filter((state) => sourcesOf(state).every((name) => checked.has(name)))
  }

  /**
   * Records the runs a dead process left `running` here as interrupted: after the first runs have started, as it
   * reads every run; the due rule counts them as interrupted meanwhile (see core/node/due.ts).
   */
  private async recoverLeftRunning(): Promise<void> {
    try {
      const recovered = await recoverInterrupted(this.repo, {now: new Date()})
      if (recovered.length === 0) return
      this.options.onEvent({type: 'recovered', runs: recovered})
      void this.sendStatuses(true)
      for (const run of recovered) this.states.changed([], run.node)
    } catch (error) {
      // Reported by the next round, as a failure to recover at start always was.
      this.checkFailure = error
    } finally {
      this.recovered = true
      this.poke()
    }
  }

  private async checkTheRest(checked: Set<string>): Promise<void> {
    try {
      const rest = (await this.watcher.followed()).filter((def) => !checked.has(def.name))
      await this.watcher.check(rest.map((def) => def.name), rest)
      this.checkedSoFar = undefined
    } catch (error) {
      // Reported by the next round, as a failure to check the sources at start always was.
      this.checkFailure = error
    } finally {
      this.poke()
    }
  }

  /** Starts the ready runs, up to the concurrency limit, and reports the summary. Returns the ready nodes. */
  private async plan(): Promise<NodeState[]> {
    // Every scheduler has the implicit label of its machine: the nodes of its path sources run here.
    const plan = planRuns(this.states.graph(this.running), withHostLabel(this.options.labels, machineName()))
    const remote = this.options.remote
    const ready = plan.ready
      .map((id) => this.states.get(id) as NodeState)
      .filter((state) => !this.rejected.get(state.id)?.has(state.key) && (remote?.mayStart(state) ?? true))
    for (const state of await this.checkFirst(ready)) {
      if (this.executing.size >= this.options.concurrency) break
      this.start(state)
    }
    if (this.executing.size === 0) this.releaseTheRest()
    this.options.onEvent({
      type: 'summary',
      running: this.running.size,
      pending: Math.max(0, ready.length + plan.waiting.length - this.running.size),
      waitingForLabels: plan.otherWorker.length,
      done: this.finished.length,
      failed: this.failedCount(),
    })
    return ready
  }

  private start(state: NodeState): void {
    const begun = Date.now()
    const task = executeRun(this.repo, state.node, {
      // One ref of a node fanned out over refs: the next one is due once this run is recorded.
      ...(state.ref ? {inputs: state.ref.versions, ref: state.ref.ref} : {}),
      dktVersion: this.options.dktVersion,
      recorder: this.committer.runRecorder(() => {
        this.executing.delete(state.id)
        this.poke()
      }),
      signal: this.options.cancel,
      // Queued only: a status is sent in the background, so an API that hangs holds neither the run nor its slot.
      onStatusQueued: () => void this.sendStatuses(),
      remoteClaim: this.options.remote?.remoteClaim,
      onEvent: (event) => {
        if (event.type !== 'run-started') return
        this.releaseTheRest()
        this.options.onEvent({type: 'run-started', run: event.run})
      },
    })
      .then(({run, memoized}) => {
        this.states.changed(Object.keys(run.outputs), state.id)
        // Cancelled from elsewhere (the web view) while this scheduler goes on: not started again on these inputs.
        if (run.status === 'cancelled') this.reject(state)
        if (memoized) return
        this.finished.push(run)
        this.options.onEvent({type: 'run-finished', run, durationMs: Date.now() - begun})
      })
      .catch((error: unknown) => {
        // Claimed by another worker meanwhile: that worker records it.
        if (error instanceof AlreadyRunningError) return
        this.errors++
        this.reject(state)
        this.states.changed([], state.id)
        this.options.onEvent({type: 'run-error', node: state.id, message: (error as Error).message})
      })
      .finally(() => {
        this.releaseTheRest()
        this.executing.delete(state.id)
        this.running.delete(state.id)
        this.poke()
      })
    this.executing.add(state.id)
    this.running.set(state.id, task)
  }

  private reject(state: NodeState): void {
    const keys = this.rejected.get(state.id)
    if (keys) keys.add(state.key)
    else this.rejected.set(state.id, new Set([state.key]))
  }

  /** Waits until something changes (a run ends, a source gets a new version) or a stop is asked for. */
  private async idle(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wake = resolve
      if (this.dirty && !this.options.stop.aborted) resolve()
    })
    this.wake = () => {}
  }

  /** Waits for the runs in progress, stops following the sources and commits what is left. */
  private async stop(): Promise<void> {
    await Promise.allSettled(this.running.values())
    await this.checkingTheRest
    await this.recovering
    await this.watcher.close()
    await this.committer.flush()
    await this.options.remote?.stop()
    clearInterval(this.statusTimer)
    const lastPass = this.sendStatuses()
    let waited: NodeJS.Timeout | undefined
    await Promise.race([lastPass, new Promise((resolve) => (waited = setTimeout(resolve, STATUS_EXIT_WAIT_MS)))])
    clearTimeout(waited)
    this.statusAbort.abort()
    await lastPass
  }

  /** Sends the commit statuses waiting in the outbox; a failure there is the outbox's to report and retry. */
  private sendStatuses(ignoreBackoff = false): Promise<void> {
    const signal = this.statusAbort.signal
    this.statusPass = this.statusPass.then(() => sendQueuedStatuses(this.repo, {ignoreBackoff, signal})).catch(() => {})
    return this.statusPass
  }

  /** A merge from the remote changed these files of `.dkt/`: refresh their readers (everything, for a definition). */
  private remoteChanged(paths: string[]): void {
    if (paths.length === 0) return
    for (const file of paths) {
      const [folder, name] = file.split('/')
      if (folder === 'versions') this.states.changed([name.replace(/\.jsonl$/, '')])
      else if (folder === 'runs') this.states.changed([], name)
      else if (folder === 'nodes' || folder === 'sources' || folder === 'links') this.states.scanFullyNext()
    }
    this.poke()
  }

  private poke(): void {
    this.dirty = true
    this.wake()
  }

  private failedCount(): number {
    return this.finished.filter((run) => run.status !== 'success').length + this.errors
  }
}

export function runScheduler(repo: MetaRepo, options: SchedulerOptions): Promise<SchedulerResult> {
  return new Scheduler(repo, options).run()
}
