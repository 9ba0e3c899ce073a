// The runs recorded `running` on this machine, found without reading every run file: `.dkt/cache/running.json` keeps,
// as git's index keeps file stats, each runs folder's listing with its stamp and each run file's verdict with its own.
import {readFileSync} from 'node:fs'
import * as path from 'node:path'

import {writeFileAtomic} from '../../base/atomic-write.js'
import {machineName} from '../../base/host.js'
import {RACY_MS, stampSettled, statStamp} from '../../base/file-stamp.js'
import type {MetaRepo} from '../meta-repo.js'
import {type RunRecord, runFile} from '../model/run.js'

const CACHE_FILE = 'running.json'
const FORMAT = 1

interface CachedFolder {
  stamp: string
  /** Run ID → the stamp of its file and whether it was recorded `running` on this machine then. */
  runs: Record<string, [stamp: string, running: boolean]>
}

interface CacheFile {
  format: number
  host: string
  folders: Record<string, CachedFolder>
}

const cacheFile = (repo: MetaRepo) => path.join(repo.project.cacheDir, CACHE_FILE)

function readCache(repo: MetaRepo): Record<string, CachedFolder> {
  try {
    const cache = JSON.parse(readFileSync(cacheFile(repo), 'utf8')) as CacheFile
    return cache.format === FORMAT && cache.host === machineName() && cache.folders ? cache.folders : {}
  } catch {
    // Missing, or garbled: it is only a cache.
    return {}
  }
}

/** Whether a stamp is of a file, last changed before `settledBefore` (see stampSettled): a vanished one is not kept. */
const settled = (stamp: string, settledBefore: number) => stamp !== 'absent' && stampSettled(stamp, settledBefore)

/**
 * The runs recorded `running` on this machine whose IDs `skip` does not hold (the live claims), with their records.
 * A runs folder whose stamp is unchanged is not listed again, and a run file whose stamp is unchanged is not read.
 * `racyMs` (tests): see RACY_MS.
 */
export async function runningHere(repo: MetaRepo, skip: {has(id: string): boolean}, racyMs = RACY_MS): Promise<RunRecord[]> {
  const host = machineName()
  const cached = readCache(repo)
  const next: Record<string, CachedFolder> = {}
  const settledBefore = Date.now() - racyMs
  let changed = false
  const runs: RunRecord[] = []
  for (const node of await repo.listDirs('runs')) {
    const stamp = statStamp(repo.abs(`runs/${node}`))
    const known = cached[node]
    const reusable = known !== undefined && known.stamp === stamp
    const ids = reusable ? Object.keys(known.runs) : await repo.listJson(`runs/${node}`)
    const folder: CachedFolder = {stamp, runs: {}}
    // The folder's listing is kept only with every run's verdict: an ID left out would be missed next time.
    let complete = true
    for (const id of ids) {
      const fileStamp = statStamp(repo.abs(runFile(node, id)))
      const knownRun = known?.runs[id]
      // Read only when its stamp changed, or when it is one of the runs asked for.
      let run: RunRecord | undefined
      let running: boolean
      if (knownRun && knownRun[0] === fileStamp) running = knownRun[1]
      else {
        changed = true
        run = await repo.readJson<RunRecord>(runFile(node, id))
        running = run?.status === 'running' && run.machine?.hostname === host
      }
      if (running && !skip.has(id)) {
        run ??= await repo.readJson<RunRecord>(runFile(node, id))
        if (run?.status === 'running') runs.push(run)
      }
      if (settled(fileStamp, settledBefore)) folder.runs[id] = [fileStamp, running]
      else complete = false
    }
    if (complete && settled(stamp, settledBefore)) next[node] = folder
    else changed = true
    if (!reusable) changed = true
  }
  if (changed || Object.keys(cached).length !== Object.keys(next).length) {
    // Only a cache: one that cannot be written (a read-only project, a full disk) is rebuilt next time.
    await writeFileAtomic(cacheFile(repo), JSON.stringify({format: FORMAT, host, folders: next} satisfies CacheFile)).catch(() => {})
  }
  return runs
}
