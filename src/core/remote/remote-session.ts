// A remote worker's view of the metadata remote: one fetch mirrors the branch and every shared ref; claims are
// created and taken over by compare-and-swap pushes; a beat says the worker lives. Records go out in record-push.ts.
import {RemoteUnreachableError} from '../../base/errors.js'
import {runGit} from '../../base/git-cli.js'
import type {MetaRepo} from '../meta-repo.js'
import type {RunRecord} from '../model/run.js'
import {cannotReach, fetch, merge, remoteName} from '../sync.js'
import {type PushOutcome, type RefUpdate, pushRefs} from './push.js'
import {
  CLAIMS_NAMESPACE,
  claimKey,
  mirrorNamespace,
  mirrorRefspec,
  parseSharedRefs,
  type RemoteClaim,
  type SharedRef,
  WORKERS_NAMESPACE,
  type WorkerBeat,
  writeSharedValue,
} from './shared-refs.js'

/** Who this worker is, as its beat tells. */
export interface WorkerIdentity {
  name: string
  host: string
  labels: string[]
  concurrency: number
  observe: boolean
  leaseSeconds: number
  dktVersion: string
}

/** A claim this worker holds: released by the push that records its run, guarded by its value. */
export interface HeldClaim {
  /** The claim key (see claimKey) and the remote ref. */
  key: string
  ref: string
  /** The claim's value on the remote: what a release or a record push expects. */
  object: string
  claim: RemoteClaim
}

/** The remote's claims and beats as of the last fetch, with when this observer first saw each value. */
interface Mirror {
  claims: Map<string, SharedRef<RemoteClaim>>
  beats: Map<string, SharedRef<WorkerBeat>>
}

export class RemoteSession {
  /** Claims this worker holds, by run ID. */
  readonly held = new Map<string, HeldClaim>()
  mirror: Mirror = {claims: new Map(), beats: new Map()}
  /** Per worker (or per claim of a worker without a beat): the value seen and the local time it was first seen. */
  private readonly seen = new Map<string, {object: string; since: number}>()
  private readonly startedAt = new Date().toISOString()
  /** The remote tip last merged here (or pushed from here); undefined until the first fetch. */
  mergedTip: string | undefined

  private constructor(
    readonly repo: MetaRepo,
    readonly remote: string,
    readonly branch: string,
    readonly worker: WorkerIdentity,
  ) {}

  static async open(repo: MetaRepo, remote: string | undefined, worker: WorkerIdentity): Promise<RemoteSession> {
    const name = await remoteName(repo, remote)
    const branch = (await repo.git(['symbolic-ref', '--short', 'HEAD'])).trim()
    return new RemoteSession(repo, name, branch, worker)
  }

  get trackingRef(): string {
    return `refs/remotes/${this.remote}/${this.branch}`
  }

  /**
   * Fetches the branch and the shared refs (one connection) and merges the branch; the project lock must be held.
   * Returns the files the remote changed since the last merge (their readers are refreshed).
   */
  async fetchAndMergeLocked(): Promise<string[]> {
    await fetch(this.repo, this.remote, [`+refs/heads/${this.branch}:${this.trackingRef}`, mirrorRefspec(this.remote)])
    const tip = await this.readMirror()
    if (tip === undefined || tip === this.mergedTip) return []
    await merge(this.repo, this.remote, this.trackingRef)
    const changed = this.mergedTip === undefined ? [] : (await this.repo.git(['diff', '--name-only', this.mergedTip, tip])).split('\n').filter(Boolean)
    this.mergedTip = tip
    return changed
  }

  /** fetchAndMergeLocked under the project lock (what this process recorded is committed first). */
  fetchAndMerge(): Promise<string[]> {
    return this.repo.exclusive(() => this.fetchAndMergeLocked())
  }

  /** Reads the mirrored claims and beats, and the remote branch's tip, with one `for-each-ref`. */
  private async readMirror(): Promise<string | undefined> {
    const namespace = mirrorNamespace(this.remote)
    const format = '--format=%(refname)%00%(objectname)%00%(contents)%00'
    const {stdout} = await runGit(['for-each-ref', format, namespace, this.trackingRef], {cwd: this.repo.dir})
    const refs = parseSharedRefs<unknown>(stdout)
    const claims = refs.filter((ref) => ref.ref.startsWith(`${namespace}claims/`)) as SharedRef<RemoteClaim>[]
    const beats = refs.filter((ref) => ref.ref.startsWith(`${namespace}workers/`)) as SharedRef<WorkerBeat>[]
    this.mirror = {claims: new Map(claims.map((claim) => [claim.name, claim])), beats: new Map(beats.map((beat) => [beat.name, beat]))}
    const now = Date.now()
    for (const [id, object] of [...beats.map((b) => [`worker:${b.name}`, b.object]), ...claims.map((c) => [`claim:${c.name}`, c.object])]) {
      if (this.seen.get(id)?.object !== object) this.seen.set(id, {object, since: now})
    }
    // The branch's commit message is no JSON: parseSharedRefs leaves it out, so it is looked up in the raw fields.
    const fields = stdout.split('\0')
    const at = fields.findIndex((field) => field.replace(/^\n/, '') === this.trackingRef)
    return at >= 0 ? fields[at + 1] : undefined
  }

  /** Our HEAD now contains this remote tip (a push of HEAD, or a merge): the next fetch merges only what is newer. */
  pushed(head: string): void {
    this.mergedTip = head
  }

  /** Whether another worker holds the claim of this node (or ref of a node) as of the last fetch. */
  claimedByOther(node: string, ref?: string): boolean {
    const claim = this.mirror.claims.get(claimKey(node, ref))
    return claim !== undefined && claim.value.worker !== this.worker.name
  }

  /** Claims runs, one compare-and-swap per claim (created only if absent), in one push. Returns the IDs won. */
  async claim(runs: RunRecord[]): Promise<Set<string>> {
    const wanted = await Promise.all(
      runs.map(async (run) => {
        const claim: RemoteClaim = {worker: this.worker.name, host: this.worker.host, node: run.node, ...(run.ref === undefined ? {} : {ref: run.ref}), run, claimedAt: new Date().toISOString()}
        return this.toHold(claim, '')
      }),
    )
    return this.pushClaims(wanted)
  }

  /** Takes over lost workers' claims (each expected at its old value: exactly one taker wins). Returns those won. */
  async takeOver(lost: SharedRef<RemoteClaim>[]): Promise<HeldClaim[]> {
    const wanted = await Promise.all(
      lost.map((old) => {
        const claim: RemoteClaim = {...old.value, worker: this.worker.name, host: this.worker.host, claimedAt: new Date().toISOString(), takenOverFrom: {worker: old.value.worker, claim: old.object}}
        return this.toHold(claim, old.object)
      }),
    )
    const won = await this.pushClaims(wanted)
    return wanted.filter(({hold}) => won.has(hold.claim.run.id)).map(({hold}) => hold)
  }

  private async toHold(claim: RemoteClaim, expect: string): Promise<{hold: HeldClaim; expect: string}> {
    const key = claimKey(claim.node, claim.ref)
    const object = await writeSharedValue(this.repo.dir, claim)
    return {hold: {key, ref: `${CLAIMS_NAMESPACE}${key}`, object, claim}, expect}
  }

  private async pushClaims(wanted: {hold: HeldClaim; expect: string}[]): Promise<Set<string>> {
    if (wanted.length === 0) return new Set()
    const outcome = await this.push(wanted.map(({hold, expect}) => ({ref: hold.ref, source: hold.object, expect})))
    const won = new Set<string>()
    for (const {hold} of wanted) {
      if (!outcome.refs.get(hold.ref)?.ok) continue
      this.held.set(hold.claim.run.id, hold)
      won.add(hold.claim.run.id)
    }
    return won
  }

  /** Gives up claims whose runs were not recorded (nothing to push): each deleted if it is still ours. */
  async release(runIds: string[]): Promise<void> {
    const holds = runIds.flatMap((id) => this.held.get(id) ?? [])
    for (const id of runIds) this.held.delete(id)
    if (holds.length > 0) await this.push(holds.map((hold) => ({ref: hold.ref, expect: hold.object})))
  }

  /** Pushes this worker's beat (a new value each time); returns false when the remote could not be reached. */
  async beat(): Promise<boolean> {
    const running = [...this.held.values()].map(({claim}) => ({node: claim.node, run: claim.run.id, ...(claim.ref === undefined ? {} : {ref: claim.ref}), since: claim.claimedAt}))
    const {name, host, labels, observe, concurrency, leaseSeconds, dktVersion} = this.worker
    const beat: WorkerBeat = {name, host, labels, observe, concurrency, running, beatAt: new Date().toISOString(), startedAt: this.startedAt, pid: process.pid, dktVersion, leaseSeconds}
    const object = await writeSharedValue(this.repo.dir, beat)
    const outcome = await pushRefs(this.repo.dir, this.remote, [{ref: `${WORKERS_NAMESPACE}${name}`, source: object, force: true}])
    return outcome.reachable
  }

  /** A clean stop: the beat goes (a stopped worker is not a lost one). */
  async removeBeat(): Promise<void> {
    await pushRefs(this.repo.dir, this.remote, [{ref: `${WORKERS_NAMESPACE}${this.worker.name}`}])
  }

  /**
   * Claims of other workers that are lost: the worker's beat (or, without a beat, the claim itself) has not changed
   * for that worker's lease, by this observer's clock.
   */
  lostClaims(now = Date.now()): SharedRef<RemoteClaim>[] {
    return [...this.mirror.claims.values()].filter((claim) => {
      if (claim.value.worker === this.worker.name) return false
      const beat = this.mirror.beats.get(claim.value.worker)
      const since = this.seen.get(beat ? `worker:${beat.name}` : `claim:${claim.name}`)?.since ?? now
      return now - since > (beat?.value.leaseSeconds ?? this.worker.leaseSeconds) * 1000
    })
  }

  /** Other workers whose beats are live by their own clocks (approximate: for choosing a default at start). */
  liveOthers(now = Date.now()): WorkerBeat[] {
    return [...this.mirror.beats.values()]
      .map((beat) => beat.value)
      .filter((beat) => beat.name !== this.worker.name && now - Date.parse(beat.beatAt) <= beat.leaseSeconds * 1000)
  }

  /** A push to this remote; an unreachable remote throws. */
  async push(updates: RefUpdate[], options: {atomic?: boolean} = {}): Promise<PushOutcome> {
    const outcome = await pushRefs(this.repo.dir, this.remote, updates, options)
    if (!outcome.reachable) throw await this.unreachable(outcome.stderr)
    return outcome
  }

  private async unreachable(stderr: string): Promise<RemoteUnreachableError> {
    return new RemoteUnreachableError(await cannotReach(this.repo, this.remote, stderr))
  }
}
