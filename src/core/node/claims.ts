// Claims on runs (`.dkt/cache/claims/RUN.json`, never committed): which live process is executing a run, so that
// two workers never execute the same run, and a run whose process died (kill -9) is found and recorded.
import {randomBytes} from 'node:crypto'
import {linkSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

import {atomicWriterPid, creatingFolder, unlinkIfPresent} from '../../base/atomic-write.js'
import {isAlive} from '../../base/lock.js'
import type {RunRecord} from '../model/run.js'
import type {Project} from '../project.js'
import {machineName} from '../../base/host.js'

export interface Claim {
  pid: number
  host: string
  /** The run as it started: what gets recorded if its process died. */
  run: RunRecord
}

const claimsDir = (project: Project) => path.join(project.cacheDir, 'claims')
const claimFile = (project: Project, run: string) => path.join(claimsDir(project), `${run}.json`)

function isLive(claim: Claim): boolean {
  return claim.host !== machineName() || isAlive(claim.pid)
}

// Synchronous: a claim is a small file and the scheduler reads every claim between runs; a promise read is four
// thread-pool round trips (see meta-repo.ts).
function readClaim(file: string): Claim | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Claim
  } catch {
    return undefined
  }
}

/** Claims are linked into place whole: one that is there but cannot be read lost its content in a power cut. */
function lostContent(file: string): boolean {
  try {
    JSON.parse(readFileSync(file, 'utf8'))
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT'
  }
}

// The claims this process holds, by file: the scheduler lists the live claims between runs, and runs waiting
// for their group commit still hold theirs; it knows its own without reading them back. Only another process
// could change such a file, by taking it over once this one is dead.
const own = new Map<string, Claim>()

/**
 * Places a claim only if none is there: a complete temporary file (named as atomic-write names its own, so that
 * staleClaims removes it if this process dies first) linked into place, never seen half-written, even after a
 * kill -9. Not fsynced: a claim only says which live process runs what, and after a power cut none is alive; a
 * claim that lost its content then is unreadable, and removed as such (see staleClaims). Synchronous: a few
 * microseconds each, where promise calls would queue behind the group commit's writes on the thread pool, and
 * every run waits for its claim before it starts.
 */
function placeClaim(file: string, text: string): void {
  const temporary = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  creatingFolder(temporary, () => writeFileSync(temporary, text))
  try {
    linkSync(temporary, file)
  } finally {
    unlinkIfPresent(temporary)
  }
}

/**
 * Claims a run for this process. Returns a release function, or the live claim of another process (undefined when
 * the claim there cannot be read or removed: the run is never taken as ours unless our claim is in place). A claim
 * left by a dead process is taken over (the caller records that run anyway).
 */
export async function claimRun(project: Project, run: RunRecord): Promise<{release: () => Promise<void>} | {heldBy: Claim | undefined}> {
  const file = claimFile(project, run.id)
  const claim: Claim = {pid: process.pid, host: machineName(), run}
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      placeClaim(file, JSON.stringify(claim))
      own.set(file, claim)
      return {
        release: async () => {
          unlinkIfPresent(file)
          own.delete(file)
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const held = readClaim(file)
    if (held && isLive(held)) return {heldBy: held}
    if (!removeClaim(file)) break
  }
  // Three tries failed (another process claims it as fast as we remove it), or the claim cannot be removed.
  return {heldBy: readClaim(file)}
}

/** Removes a dead or unreadable claim; false when it cannot be (e.g. something else than a file is there). */
function removeClaim(file: string): boolean {
  try {
    rmSync(file, {force: true})
    return true
  } catch {
    return false
  }
}

/** Claims whose process is gone (on this machine): runs that were interrupted. */
export async function staleClaims(project: Project): Promise<{claim: Claim; remove: () => Promise<void>}[]> {
  const names = listClaims(project)
  const stale: {claim: Claim; remove: () => Promise<void>}[] = []
  // Temporary files of processes that died between writing a claim and linking it into place.
  for (const name of names) {
    const writer = atomicWriterPid(name)
    if (writer !== undefined && !isAlive(writer)) await fs.rm(path.join(claimsDir(project), name), {force: true})
  }
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = path.join(claimsDir(project), name)
    // This process's own claims are live: not read back at every hold of the lock.
    if (own.has(file)) continue
    const claim = readClaim(file)
    if (!claim && lostContent(file)) await fs.rm(file, {force: true})
    else if (claim && !isLive(claim)) stale.push({claim, remove: () => fs.rm(file, {force: true})})
  }
  return stale
}

function listClaims(project: Project): string[] {
  try {
    return readdirSync(claimsDir(project))
  } catch {
    return []
  }
}

/** Runs this machine is executing right now, by run ID. */
export async function liveClaims(project: Project): Promise<Map<string, Claim>> {
  const names = listClaims(project)
  const live = new Map<string, Claim>()
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = path.join(claimsDir(project), name)
    const mine = own.get(file)
    const claim = mine ?? readClaim(file)
    if (claim && (mine || isLive(claim))) live.set(claim.run.id, claim)
  }
  return live
}
