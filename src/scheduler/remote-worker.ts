// Remote mode of the scheduler (`dkt scheduler --remote`): claims each run on the metadata remote before it starts,
// pushes the records after each group commit (releasing their claims), fetches and merges every tick, beats a
// heartbeat, takes over the claims of lost workers, and starts nothing while the remote cannot be reached.
import {RemoteUnreachableError} from '../base/errors.js'
import {backoffDelay} from '../base/backoff.js'
import type {MetaRepo} from '../core/meta-repo.js'
import {type RunRecord, runFile} from '../core/model/run.js'
import {settles} from '../core/node/due.js'
import {workerLostReason} from '../core/node/recover.js'
import {runCommitMessage} from '../core/node/recorder.js'
import {loadRuns} from '../core/node/store.js'
import {adoptUnpushed, pushRecords, type RemoteClaimed} from '../core/remote/record-push.js'
import {type HeldClaim, RemoteSession, type WorkerIdentity} from '../core/remote/remote-session.js'
import {claimKey} from '../core/remote/shared-refs.js'
import type {NodeState} from './states.js'

export type RemoteEvent =
  | {type: 'remote-pushed'; runs: number; attempts: number}
  | {type: 'remote-unreachable'; message: string}
  | {type: 'remote-back'}
  /** We took over a lost worker's claim (and recorded its run `error`, worker lost). */
  | {type: 'claim-taken-over'; node: string; run: string; worker: string}
  /** Our record was refused: the claim was taken over. */
  | {type: 'fenced'; node: string; run: string}

/** What the scheduler lends remote mode: waking it, telling it what a merge changed, printing. */
export interface RemoteHost {
  poke(): void
  /** Files of `.dkt/` a merge changed: their readers are refreshed. */
  changed(paths: string[]): void
  onEvent(event: RemoteEvent): void
}

export interface RemoteWorkerOptions extends Omit<WorkerIdentity, 'observe'> {
  /** The remote's name; undefined: the `sync.remote` setting, else `origin`. */
  remote?: string
  heartbeatSeconds: number
  /** Poll the remote sources; undefined: when no other live worker does. */
  observe?: boolean
}

/** How often the remote is fetched (new work, other workers' records, lost claims) while the scheduler runs. */
const TICK_MS = 1000
const RETRY_BASE_MS = 1000
const RETRY_CAP_MS = 30_000

interface PendingClaim {
  run: RunRecord
  resolve: (ended: (() => Promise<void>) | undefined) => void
}

export class RemoteWorker {
  private host: RemoteHost = {poke: () => {}, changed: () => {}, onEvent: () => {}}
  private offline = false
  private failures = 0
  /** Claims another worker won since the last fetch (the mirror does not show them yet). */
  private readonly lostRaces = new Set<string>()
  private pending: PendingClaim[] = []
  /** A claim push is under way or about to be made. */
  private claiming = false
  /** Pushes run one at a time; `pushAgain` asks for one more once the current one ends. */
  private pushing: Promise<void> | undefined
  private pushAgain = false
  private readonly timers: NodeJS.Timeout[] = []
  private retryTimer: NodeJS.Timeout | undefined
  private stopped = false
  private ticking: Promise<void> | undefined
  private beating: Promise<void> | undefined
  /** The last settled() said no (--once). */
  private unsettled = false
  observe = true

  private constructor(
    private readonly repo: MetaRepo,
    private readonly session: RemoteSession,
    private readonly options: RemoteWorkerOptions,
  ) {}

  static async open(repo: MetaRepo, options: RemoteWorkerOptions): Promise<RemoteWorker> {
    const session = await RemoteSession.open(repo, options.remote, {...options, observe: options.observe ?? true})
    return new RemoteWorker(repo, session, options)
  }

  /** At start: fetch and merge, hold again (or fence) what an earlier process of this worker left unpushed, beat. */
  async begin(host: RemoteHost): Promise<void> {
    this.host = host
    await this.fetch()
    this.observe = this.options.observe ?? !this.session.liveOthers().some((beat) => beat.observe)
    this.session.worker.observe = this.observe
    if (!this.offline) {
      this.reportFenced(await adoptUnpushed(this.session))
      // Claims of this worker's name that no unpushed record holds: a previous process of it died with them.
      const orphans = [...this.session.mirror.claims.values()].filter((c) => c.value.worker === this.session.worker.name && !this.session.held.has(c.value.run.id))
      await this.takeOver(orphans)
      await this.beat()
      if (this.session.held.size > 0) this.pushSoon()
    }
    // Not unref'd: while it waits for other workers, a --once scheduler has nothing else keeping it alive.
    this.timers.push(setInterval(() => this.tick(), TICK_MS), setInterval(() => void this.beat(), this.options.heartbeatSeconds * 1000))
  }

  /** Whether this ready node may start here now. */
  mayStart(state: NodeState): boolean {
    if (this.offline || this.stopped) return false
    return !this.session.claimedByOther(state.id, state.ref?.ref) && !this.lostRaces.has(claimKey(state.id, state.ref?.ref))
  }

  /** executeRun's remote claim: batched with the other runs starting in the same turn, one push for all. */
  readonly remoteClaim = (run: RunRecord): Promise<(() => Promise<void>) | undefined> =>
    new Promise((resolve) => {
      this.pending.push({run, resolve})
      if (this.claiming) return
      this.claiming = true
      setImmediate(() => void this.claimPending())
    })

  /** Claims what is pending in one push; runs asking meanwhile are claimed by the next one. */
  private async claimPending(): Promise<void> {
    const batch = this.pending.splice(0)
    const won = new Map<string, () => Promise<void>>()
    try {
      if (!this.offline && !this.stopped) {
        const ids = await this.session.claim(batch.map((p) => p.run))
        for (const {run} of batch) if (!ids.has(run.id)) this.lostRaces.add(claimKey(run.node, run.ref))
        for (const run of await this.stillToRun(batch.map((p) => p.run).filter((run) => ids.has(run.id)))) won.set(run.id, () => this.ended(run))
      }
    } catch (error) {
      this.unreachable(error)
    } finally {
      for (const {run, resolve} of batch) resolve(won.get(run.id))
      if (this.pending.length > 0) setImmediate(() => void this.claimPending())
      else this.claiming = false
    }
  }

  /**
   * The claimed runs that are still to run: our view was one fetch old when we claimed, and another worker may have
   * recorded a run on the same inputs and released its claim meanwhile. One more fetch tells; those are released.
   */
  private async stillToRun(claimed: RunRecord[]): Promise<RunRecord[]> {
    if (claimed.length === 0) return []
    this.host.changed(await this.session.fetchAndMerge())
    const done: RunRecord[] = []
    for (const run of claimed) {
      const runs = await loadRuns(this.repo, run.node)
      if (runs.some((other) => other.key === run.key && (other.id === run.id || settles(other)))) done.push(run)
    }
    if (done.length > 0) await this.session.release(done.map((run) => run.id))
    return claimed.filter((run) => !done.includes(run))
  }

  /** A run is over: recorded, its claim goes with the next push; else it is released now. */
  private async ended(run: RunRecord): Promise<void> {
    const recorded = await this.repo.readJson<RunRecord>(runFile(run.node, run.id))
    if (recorded && recorded.status !== 'running') return
    await this.session.release([run.id]).catch(() => {})
  }

  /** After a group commit: push (one push at a time; a commit during a push asks for one more). */
  afterCommit(): void {
    this.pushSoon()
  }

  private pushSoon(): void {
    if (this.pushing) {
      this.pushAgain = true
      return
    }
    this.pushing = this.pushNow().finally(() => {
      this.pushing = undefined
      if (this.pushAgain) {
        this.pushAgain = false
        this.pushSoon()
      }
      this.host.poke()
    })
  }

  private async pushNow(): Promise<void> {
    try {
      const result = await pushRecords(this.session)
      this.back()
      this.host.changed(result.merged)
      this.reportFenced(result.fenced)
      if (result.attempts > 0) this.host.onEvent({type: 'remote-pushed', runs: result.pushed, attempts: result.attempts})
      if (!result.done) this.retryLater()
    } catch (error) {
      this.unreachable(error)
    }
  }

  private reportFenced(fenced: RemoteClaimed[]): void {
    for (const {node, run} of fenced) this.host.onEvent({type: 'fenced', node, run})
    if (fenced.length > 0) this.host.changed(fenced.map(({node, run}) => runFile(node, run)))
  }

  /** Every tick: fetch and merge, take over lost workers' claims, and push what waits while the remote was away. */
  private tick(): void {
    // One at a time, and none while a push or a claim fetches anyway: on a busy machine a fetch can outlast a tick.
    if (this.stopped || this.ticking || this.pushing || this.claiming) return
    this.ticking = this.fetchAndTakeOver().finally(() => (this.ticking = undefined))
  }

  private async fetchAndTakeOver(): Promise<void> {
    const wasOffline = this.offline
    const claimsBefore = [...this.session.mirror.claims.keys()].join()
    await this.fetch()
    if (this.offline) return
    if (wasOffline || this.unsettled || [...this.session.mirror.claims.keys()].join() !== claimsBefore) this.host.poke()
    await this.takeOver(this.session.lostClaims())
  }

  private async fetch(): Promise<void> {
    try {
      const changed = await this.session.fetchAndMerge()
      this.lostRaces.clear()
      this.back()
      this.host.changed(changed)
    } catch (error) {
      this.unreachable(error)
    }
  }

  /** Takes over these claims (exactly one worker wins each) and records their runs `error` (worker lost). */
  private async takeOver(lost: Parameters<RemoteSession['takeOver']>[0]): Promise<void> {
    if (lost.length === 0) return
    let won: HeldClaim[]
    try {
      won = await this.session.takeOver(lost)
    } catch (error) {
      return this.unreachable(error)
    }
    for (const hold of won) {
      const from = hold.claim.takenOverFrom?.worker ?? ''
      const host = lost.find((claim) => claim.value.run.id === hold.claim.run.id)?.value.host ?? ''
      const run: RunRecord = {...hold.claim.run, status: 'error', reason: workerLostReason(from, host), endedAt: new Date().toISOString()}
      await this.repo.record(runCommitMessage(run), (tx) => tx.writeJson(runFile(run.node, run.id), run))
      this.host.onEvent({type: 'claim-taken-over', node: run.node, run: run.id, worker: from})
      this.host.changed([runFile(run.node, run.id)])
    }
    if (won.length > 0) {
      await this.repo.commitRecorded()
      this.pushSoon()
    }
  }

  private beat(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    // One beat at a time: on a busy machine a push can outlast the interval, and beats started every interval
    // regardless piled up (hundreds of concurrent pushes of one ref, seen in the workers benchmark).
    if (this.beating) return this.beating
    // Kept: a beat still on its way when the worker stops must not land after the beat's removal.
    this.beating = this.session
      .beat()
      .then(
        (reached) => (reached ? undefined : this.unreachable(new RemoteUnreachableError(`cannot reach \`${this.session.remote}\` to beat`))),
        (error: unknown) => this.unreachable(error),
      )
      .finally(() => (this.beating = undefined))
    return this.beating
  }

  private unreachable(error: unknown): void {
    if (!(error instanceof RemoteUnreachableError)) {
      this.repo.onWarning(`remote mode: ${(error as Error).message}`)
      return
    }
    this.failures++
    if (!this.offline) this.host.onEvent({type: 'remote-unreachable', message: error.message})
    this.offline = true
    this.retryLater()
  }

  /** Pushes again after a jittered backoff (the remote was away, or the branch kept moving). */
  private retryLater(): void {
    if (this.retryTimer || this.stopped) return
    const delay = backoffDelay(Math.max(1, this.failures), RETRY_BASE_MS, RETRY_CAP_MS) * (0.5 + Math.random() / 2)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.pushSoon()
    }, delay).unref()
  }

  private back(): void {
    this.failures = 0
    if (!this.offline) return
    this.offline = false
    this.host.onEvent({type: 'remote-back'})
    // What was recorded meanwhile goes out now (if its claims still hold).
    this.pushSoon()
    this.host.poke()
  }

  /** --once: nothing of ours left to push, and no run claimed by anyone (its record may make more runs due). */
  settled(): boolean {
    const settled = !this.offline && !this.pushing && this.session.held.size === 0 && !this.repo.hasRecorded && this.session.mirror.claims.size === 0
    // Asked again at each tick until it is (nothing else may wake a scheduler that has nothing left to run).
    this.unsettled = !settled
    return settled
  }

  /** At the end: the last push (the runs' records are committed by then), unheld claims released, the beat removed. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const timer of this.timers) clearInterval(timer)
    clearTimeout(this.retryTimer)
    await this.ticking
    await this.beating
    await this.pushing
    await this.pushNow()
    if (this.offline) {
      this.repo.onWarning(`the records of this worker are committed here but not pushed to \`${this.session.remote}\`; the next \`dkt scheduler --remote\` pushes them (if their claims still hold)`)
      return
    }
    await this.session.removeBeat().catch(() => {})
  }
}
