// The refs workers share through the metadata remote, besides the main branch: one claim per running node
// (`refs/dkt/claims/KEY`) and one heartbeat per worker (`refs/dkt/workers/NAME`). Each points at a commit on the
// empty tree whose message is the JSON below, so one `git for-each-ref` reads them all, and each new value is a new
// object: a compare-and-swap push (`--force-with-lease=REF:EXPECTED`) tells exactly one writer it won.
import {DKT_IDENTITY, runGit} from '../../base/git-cli.js'
import type {RunRecord} from '../model/run.js'

export const CLAIMS_NAMESPACE = 'refs/dkt/claims/'
export const WORKERS_NAMESPACE = 'refs/dkt/workers/'
/** Where a fetch mirrors the remote's shared refs: `refs/dkt-remote/REMOTE/claims/…`, `…/workers/…`. */
export const mirrorNamespace = (remote: string) => `refs/dkt-remote/${remote}/`
/** `git fetch REMOTE` refspec that mirrors (with --prune) every shared ref of the remote. */
export const mirrorRefspec = (remote: string) => `+refs/dkt/*:${mirrorNamespace(remote)}*`

/** A worker's heartbeat: a new value every beat, judged by observers on their own clock (see WORKER lease). */
export interface WorkerBeat {
  name: string
  /** machineName() of the worker (DKT_HOST or the OS host name). */
  host: string
  labels: string[]
  /** Whether this worker polls the remote sources (`--observe`). */
  observe: boolean
  concurrency: number
  /** What it runs now. */
  running: {node: string; run: string; ref?: string; since: string}[]
  /** The worker's own clock: shown, never used to judge liveness (clocks differ between machines). */
  beatAt: string
  startedAt: string
  pid: number
  dktVersion: string
  /** Seconds after which observers may take over its claims if its beat has not changed. */
  leaseSeconds: number
}

/** A claim on one node's run: the run as it started, so a worker that takes it over can record it `error`. */
export interface RemoteClaim {
  worker: string
  host: string
  node: string
  ref?: string
  run: RunRecord
  claimedAt: string
  /** Set when this claim replaced a lost worker's claim (the taker then records that run `error`, worker lost). */
  takenOverFrom?: {worker: string; claim: string}
}

export interface SharedRef<T> {
  /** Full ref name, e.g. `refs/dkt-remote/origin/workers/linux-1`. */
  ref: string
  /** Last path segment: the worker name or the claim key. */
  name: string
  /** The commit the ref points at: the value a compare-and-swap push expects. */
  object: string
  value: T
}

/** Claim key of a node (or of one ref of a node fanned out over refs): a valid, short ref name segment. */
export function claimKey(node: string, ref?: string): string {
  return ref === undefined ? node : `${node}-${Buffer.from(ref).toString('base64url')}`
}

/** A worker name is a ref name segment: letters, digits, `.`, `_`, `-`, not starting with `.` or `-`. Pure. */
export function isValidWorkerName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/.test(name) && !name.endsWith('.lock') && !name.includes('..')
}

/** Parses `for-each-ref` output (`%(refname)%00%(objectname)%00%(contents)%00` per ref); unreadable values are skipped. Pure. */
export function parseSharedRefs<T>(output: string): SharedRef<T>[] {
  const fields = output.split('\0')
  const refs: SharedRef<T>[] = []
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const ref = fields[i].replace(/^\n/, '')
    try {
      refs.push({ref, name: ref.slice(ref.lastIndexOf('/') + 1), object: fields[i + 1], value: JSON.parse(fields[i + 2]) as T})
    } catch {
      // A ref dkt did not write (or a future format): not a claim or a beat this version can judge.
    }
  }
  return refs
}

/** Reads every shared ref under a namespace of the local repository (a mirror, after a fetch). */
export async function readSharedRefs<T>(gitDir: string, namespace: string): Promise<SharedRef<T>[]> {
  const result = await runGit(['for-each-ref', '--format=%(refname)%00%(objectname)%00%(contents)%00', namespace], {cwd: gitDir})
  return parseSharedRefs<T>(result.stdout)
}

/** Writes a value as a commit on the empty tree (not on any branch) and returns its ID, for a push to a shared ref. */
export async function writeSharedValue(gitDir: string, value: unknown): Promise<string> {
  const emptyTree = await emptyTreeOf(gitDir)
  const {name, email} = DKT_IDENTITY
  const env = {GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email}
  return (await runGit(['commit-tree', emptyTree, '-m', JSON.stringify(value)], {cwd: gitDir, env})).stdout.trim()
}

// A worker writes a claim per run and a beat every few seconds: the empty tree's ID is asked for once per repository.
const emptyTrees = new Map<string, Promise<string>>()

function emptyTreeOf(gitDir: string): Promise<string> {
  let tree = emptyTrees.get(gitDir)
  if (!tree) {
    tree = runGit(['hash-object', '-t', 'tree', '-w', '/dev/null'], {cwd: gitDir}).then((result) => result.stdout.trim())
    tree.catch(() => emptyTrees.delete(gitDir))
    emptyTrees.set(gitDir, tree)
  }
  return tree
}
