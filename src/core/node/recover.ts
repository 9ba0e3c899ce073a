// Finds runs whose dkt process died (kill -9, a crash, a reboot) and records them as `error` (interrupted).
import {rm} from 'node:fs/promises'

import {reportEnded} from '../commit-status/report.js'
import {shortId} from '../ids.js'
import type {MetaRepo, Transaction} from '../meta-repo.js'
import {type RunRecord, runFile} from '../model/run.js'
import {liveClaims, staleClaims} from './claims.js'
import {liveLogFile} from './live-log.js'
import {runningHere} from './running-scan.js'

export const INTERRUPTED = 'interrupted: the dkt process running it stopped before it ended'
/** The reason of a run whose remote worker stopped beating: recorded `error` by the worker that took its claim over. */
export const WORKER_LOST = 'worker lost: '
export const workerLostReason = (worker: string, host: string) => `${WORKER_LOST}${worker} on ${host}`

/** Applies a change as one commit, the project lock being held already. */
export type ApplyUnderLock = (message: (runs: RunRecord[]) => string, body: (tx: Transaction) => Promise<RunRecord[]>) => Promise<RunRecord[]>

const interruptedMessage = (runs: RunRecord[]) =>
  `recover ${runs.length} interrupted run${runs.length === 1 ? '' : 's'}: ${runs.map((r) => shortId(r.id)).join(', ')}`

const interrupted = (run: RunRecord, now: Date): RunRecord => ({...run, status: 'error', reason: INTERRUPTED, endedAt: now.toISOString()})

/**
 * Run by every writer once it holds the lock: the runs this machine's dead processes still claim are recorded as
 * `error` (interrupted) in one commit, unless their final state is recorded already; their claims and live logs go.
 * Claims of other machines are never judged here. Such runs are due again.
 */
export async function recoverAbandonedClaims(repo: MetaRepo, apply: ApplyUnderLock, now: Date): Promise<RunRecord[]> {
  const stale = await staleClaims(repo.project)
  if (stale.length === 0) return []
  const recovered = await apply(interruptedMessage, async (tx) => {
    const runs: RunRecord[] = []
    for (const {claim} of stale) {
      const recorded = await repo.readJson<RunRecord>(runFile(claim.run.node, claim.run.id))
      if (!recorded || recorded.status === 'running') runs.push(interrupted(recorded ?? claim.run, now))
    }
    for (const run of runs) tx.writeJson(runFile(run.node, run.id), run)
    return runs
  })
  for (const {claim, remove} of stale) {
    await remove()
    // `dkt serve` follows a run's live log while it goes: that run is over.
    await rm(liveLogFile(repo.project, claim.run.id), {force: true})
  }
  await reportEnded(repo, recovered)
  return recovered
}

/** The runs recorded `running` on this machine that no live process claims. */
async function unclaimedRunning(repo: MetaRepo): Promise<RunRecord[]> {
  return runningHere(repo, await liveClaims(repo.project))
}

/**
 * At a scheduler's start: besides what every writer recovers (see recoverAbandonedClaims), the runs recorded
 * `running` on this machine that no live process claims (their claim is gone, e.g. with the cache), in one commit.
 * Looked for without the lock first: there are none almost always, and then no lock is taken.
 */
export async function recoverInterrupted(repo: MetaRepo, options: {now: Date}): Promise<RunRecord[]> {
  if ((await unclaimedRunning(repo)).length === 0) return []
  const recovered = await repo.transaction(interruptedMessage, async (tx) => {
    const runs = (await unclaimedRunning(repo)).map((run) => interrupted(run, options.now))
    for (const run of runs) tx.writeJson(runFile(run.node, run.id), run)
    return runs
  })
  for (const run of recovered) await rm(liveLogFile(repo.project, run.id), {force: true})
  await reportEnded(repo, recovered)
  return recovered
}
