// Finds runs whose dkt process died (kill -9, a crash, a reboot) and records them as `error` (interrupted).
import {rm} from 'node:fs/promises'

import {reportEnded} from '../commit-status/report.js'
import {shortId} from '../ids.js'
import type {MetaRepo} from '../meta-repo.js'
import {type RunRecord, runFile} from '../model/run.js'
import {liveClaims, staleClaims} from './claims.js'
import {liveLogFile} from './live-log.js'

export const INTERRUPTED = 'interrupted: the dkt process running it stopped before it ended'

/** Records every interrupted run as `error` in one commit; returns them. Such runs are due again. */
export async function recoverInterrupted(repo: MetaRepo, options: {now: Date}): Promise<RunRecord[]> {
  const stale = await staleClaims(repo.project)
  const live = await liveClaims(repo.project)
  const recovered = await repo.transaction(
    (recovered: RunRecord[]) => `recover ${recovered.length} interrupted run${recovered.length === 1 ? '' : 's'}: ${recovered.map((r) => shortId(r.id)).join(', ')}`,
    async (tx) => {
      const recovered = new Map<string, RunRecord>()
      const interrupted = (run: RunRecord): RunRecord => ({...run, status: 'error', reason: INTERRUPTED, endedAt: options.now.toISOString()})
      for (const {claim} of stale) {
        const recorded = await repo.readJson<RunRecord>(runFile(claim.run.node, claim.run.id))
        if (!recorded || recorded.status === 'running') recovered.set(claim.run.id, interrupted(recorded ?? claim.run))
      }
      // `running` manifests committed by a process that no longer holds a claim (e.g. `dkt node run` killed).
      for (const node of await repo.listDirs('runs')) {
        for (const id of await repo.listJson(`runs/${node}`)) {
          if (recovered.has(id) || live.has(id)) continue
          const run = await repo.readJson<RunRecord>(runFile(node, id))
          if (run?.status === 'running') recovered.set(id, interrupted(run))
        }
      }
      for (const run of recovered.values()) tx.writeJson(runFile(run.node, run.id), run)
      return [...recovered.values()]
    },
  ).finally(async () => {
    for (const {remove} of stale) await remove()
  })
  // The live logs dead runners left (`dkt serve` follows one while its run goes): those runs are over.
  const over = new Set([...stale.map(({claim}) => claim.run.id), ...recovered.map((run) => run.id)])
  for (const id of over) await rm(liveLogFile(repo.project, id), {force: true})
  await reportEnded(repo, recovered)
  return recovered
}
