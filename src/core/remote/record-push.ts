// How a remote worker's records reach the remote's branch: fetch, merge, and ONE atomic push of the branch with the
// release of every claim whose run it records, each release expecting our claim's value. A record whose claim was
// taken over (fenced) never reaches the branch: it is dropped from the unpushed history, a copy kept in the cache.
import {existsSync} from 'node:fs'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import * as path from 'node:path'

import {commitIdentity, runGit} from '../../base/git-cli.js'
import type {MetaRepo} from '../meta-repo.js'
import {type RunRecord, runFile, runLogFile} from '../model/run.js'
import type {HeldClaim, RemoteSession} from './remote-session.js'
import {claimKey, CLAIMS_NAMESPACE} from './shared-refs.js'

export interface RecordPush {
  /** Runs whose records (and claim releases) the push carried. */
  pushed: number
  /** Pushes tried, the last one included. */
  attempts: number
  /** Records refused because their claims are no longer ours: dropped here, a copy under `.dkt/cache/fenced/`. */
  fenced: RemoteClaimed[]
  /** Files the merges brought in (readers of what changed refresh them). */
  merged: string[]
  /** False when every attempt was rejected because the branch kept moving: try again later. */
  done: boolean
}

/** The run a fenced record was of. */
export interface RemoteClaimed {
  node: string
  run: string
}

/** Rejected pushes (the branch moved meanwhile) are retried after a jittered backoff, this many times in all. */
const PUSH_ATTEMPTS = 12
const BACKOFF_BASE_MS = 50
const BACKOFF_CAP_MS = 2_000

const jittered = (attempt: number) => Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt)

/** Pushes what this worker committed; an unreachable remote throws RemoteUnreachableError (the commits stay). */
export async function pushRecords(session: RemoteSession): Promise<RecordPush> {
  const result: RecordPush = {pushed: 0, attempts: 0, fenced: [], merged: [], done: false}
  for (;;) {
    result.done = await session.repo.exclusive(() => pushOnce(session, result))
    if (result.done || result.attempts >= PUSH_ATTEMPTS) return result
    await new Promise((resolve) => setTimeout(resolve, jittered(result.attempts)))
  }
}

/** One attempt, the lock held: true when everything is on the remote (or nothing was to push). */
async function pushOnce(session: RemoteSession, result: RecordPush): Promise<boolean> {
  const {repo} = session
  result.merged.push(...(await session.fetchAndMergeLocked()))
  const runs = await unpushedRuns(session)
  const guarded = runs.flatMap((id) => session.held.get(id) ?? [])
  const fenced = guarded.filter((hold) => session.mirror.claims.get(hold.key)?.object !== hold.object)
  if (fenced.length > 0) {
    await dropRecords(session, fenced.map((hold) => ({node: hold.claim.node, run: hold.claim.run.id})))
    for (const hold of fenced) session.held.delete(hold.claim.run.id)
    result.fenced.push(...fenced.map((hold) => ({node: hold.claim.node, run: hold.claim.run.id})))
  }
  const holding = guarded.filter((hold) => !fenced.includes(hold))
  const head = await repo.head()
  if (head === session.mergedTip && holding.length === 0) return true
  result.attempts++
  const outcome = await session.push(
    [{ref: `refs/heads/${session.branch}`, source: head}, ...holding.map((hold) => ({ref: hold.ref, expect: hold.object}))],
    {atomic: true},
  )
  if (![...outcome.refs.values()].every((ref) => ref.ok)) return false
  session.pushed(head)
  for (const hold of holding) {
    session.held.delete(hold.claim.run.id)
    session.mirror.claims.delete(hold.key)
  }
  result.pushed += runs.length
  return true
}

/** The remote's tip as of the last fetch (merged here), or as we pushed it. */
const trackingHead = (session: RemoteSession) => session.mergedTip

/** The run IDs whose manifests differ between the remote's branch and HEAD: what a push would record. */
async function unpushedRuns(session: RemoteSession): Promise<string[]> {
  const files = await changedSinceRemote(session, 'runs')
  return files.filter((file) => file.endsWith('.json')).map((file) => path.basename(file, '.json'))
}

async function changedSinceRemote(session: RemoteSession, folder: string): Promise<string[]> {
  const tracking = trackingHead(session)
  if (tracking === undefined) return []
  return (await session.repo.git(['diff', '--name-only', tracking, 'HEAD', '--', folder])).split('\n').filter(Boolean)
}

/**
 * Takes fenced runs' records out of what is not pushed yet: their manifests, logs and output observations go (a
 * copy to `.dkt/cache/fenced/`), and the unpushed commits become one commit on the remote's branch without them
 * (none, when nothing else is left). The lock is held; nothing is uncommitted.
 */
export async function dropRecords(session: RemoteSession, runs: RemoteClaimed[]): Promise<void> {
  const {repo} = session
  const fencedDir = path.join(repo.project.cacheDir, 'fenced')
  await mkdir(fencedDir, {recursive: true})
  const ids = new Set(runs.map((run) => run.run))
  const tracking = trackingHead(session)
  for (const {node, run} of runs) {
    for (const rel of [runFile(node, run), runLogFile(node, run)]) {
      const text = await readFile(repo.abs(rel), 'utf8').catch(() => undefined)
      if (text !== undefined) await writeFile(path.join(fencedDir, path.basename(rel)), text)
      // The remote's own record of that run (the taker's `worker lost`) stays as the remote has it.
      const theirs = tracking === undefined ? undefined : await showFile(session, tracking, rel)
      if (theirs === undefined) await rm(repo.abs(rel), {force: true})
      else await writeFile(repo.abs(rel), theirs)
    }
  }
  for (const rel of await changedSinceRemote(session, 'versions')) await dropObservations(repo, rel, ids)
  await repo.git(['add', '-A', '--', ...['runs', 'versions'].filter((folder) => existsSync(repo.abs(folder)))])
  if (tracking === undefined) return
  const tree = (await repo.git(['write-tree'])).trim()
  const trackingTree = (await repo.git(['rev-parse', `${tracking}^{tree}`])).trim()
  const message = `records of this worker (fenced, not recorded: ${[...ids].join(', ')})`
  const commit = tree === trackingTree ? tracking : (await repo.git(['commit-tree', tree, '-p', tracking, '-m', message], await commitIdentity(repo.dir))).trim()
  await repo.git(['reset', '-q', '--soft', commit])
}

/** Removes the observations a fenced run made of its outputs. */
async function dropObservations(repo: MetaRepo, rel: string, runs: Set<string>): Promise<void> {
  const text = await readFile(repo.abs(rel), 'utf8').catch(() => undefined)
  if (text === undefined) return
  const kept = text.split('\n').filter((line) => {
    try {
      return !runs.has((JSON.parse(line) as {run?: string}).run ?? '')
    } catch {
      return true
    }
  })
  if (kept.length !== text.split('\n').length) await writeFile(repo.abs(rel), kept.join('\n'))
}

/**
 * At a worker's start: the runs it recorded before (a previous process of this worker) that are not pushed. Those
 * whose claim is still this worker's are held again; those whose claim another worker took over (or recorded
 * already) are fenced. The mirror must be fresh.
 */
export async function adoptUnpushed(session: RemoteSession): Promise<RemoteClaimed[]> {
  const fenced: RemoteClaimed[] = []
  const tracking = trackingHead(session)
  for (const file of (await changedSinceRemote(session, 'runs')).filter((f) => f.endsWith('.json'))) {
    const run = await session.repo.readJson<RunRecord>(file)
    if (!run || run.status === 'running') continue
    const key = claimKey(run.node, run.ref)
    const claim = session.mirror.claims.get(key)
    if (claim?.value.run.id === run.id && claim.value.worker === session.worker.name) {
      const hold: HeldClaim = {key, ref: `${CLAIMS_NAMESPACE}${key}`, object: claim.object, claim: claim.value}
      session.held.set(run.id, hold)
    } else if (claim?.value.run.id === run.id || (tracking !== undefined && (await recordedOn(session, tracking, file)))) {
      fenced.push({node: run.node, run: run.id})
    }
  }
  if (fenced.length > 0) await session.repo.exclusive(() => dropRecords(session, fenced))
  return fenced
}

async function showFile(session: RemoteSession, commit: string, file: string): Promise<string | undefined> {
  const result = await runGit(['show', `${commit}:${file}`], {cwd: session.repo.dir, allowFailure: true})
  return result.exitCode === 0 ? result.stdout : undefined
}

async function recordedOn(session: RemoteSession, commit: string, file: string): Promise<boolean> {
  const result = await runGit(['cat-file', '-e', `${commit}:${file}`], {cwd: session.repo.dir, allowFailure: true})
  return result.exitCode === 0
}
