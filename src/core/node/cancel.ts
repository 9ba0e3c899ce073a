// Cancelling a run that another process on this machine executes (`dkt scheduler`, `dkt node run`): a request file
// (`.dkt/cache/cancel/RUN`, never committed) that the executing process looks for while the run goes, and then
// cancels that one run as its own Ctrl-C would (SIGTERM to the command's process group or container, SIGKILL after
// the grace period; recorded `cancelled`). A scheduler goes on with its other runs.
import {existsSync} from 'node:fs'
import * as path from 'node:path'

import {unlinkIfPresent, writeFileAtomic} from '../../base/atomic-write.js'
import {InUseError, InvalidArgumentError, NotFoundError} from '../../base/errors.js'
import {shortId} from '../ids.js'
import type {Project} from '../project.js'
import {type Claim, liveClaims} from './claims.js'
import {machineName} from '../../base/host.js'

/** How often a running run looks for a request to cancel it: a cancel takes effect within this. */
const REQUEST_POLL_MS = 250

function requestFile(project: Project, run: string): string {
  // A run ID is what names the file: never a path from elsewhere.
  if (!/^[0-9a-f]{64}$/.test(run)) throw new InvalidArgumentError(`\`${run}\` is not a run ID`)
  return path.join(project.cacheDir, 'cancel', run)
}

/** Where a run of another machine runs (`runs on HOST (pid N)`), or undefined for one of this machine. */
export function runsElsewhere(claim: Claim): string | undefined {
  return claim.host === machineName() ? undefined : `runs on ${claim.host} (pid ${claim.pid})`
}

/**
 * Asks the process executing `run` to cancel it, and answers its claim. Only on the machine it runs on: a claim of
 * another host (a shared `.dkt/`) is refused in one sentence saying where it runs.
 */
export async function requestCancel(project: Project, run: string): Promise<Claim> {
  const claim = (await liveClaims(project)).get(run)
  if (!claim) throw new NotFoundError(`run ${shortId(run)} is not running`)
  const elsewhere = runsElsewhere(claim)
  if (elsewhere) throw new InUseError(`run ${shortId(run)} ${elsewhere}; cancel it there`)
  await writeFileAtomic(requestFile(project, run), `${JSON.stringify({requestedAt: new Date().toISOString(), by: process.pid})}\n`)
  return claim
}

/**
 * A signal that aborts when `signal` does (Ctrl-C) or when a cancel of `run` is requested; `stop` once the run has
 * ended (it removes a request that came too late).
 */
export function followCancelRequests(project: Project, run: string, signal?: AbortSignal): {signal: AbortSignal; stop: () => void} {
  const controller = new AbortController()
  const file = requestFile(project, run)
  const abort = () => controller.abort()
  if (signal?.aborted) abort()
  signal?.addEventListener('abort', abort, {once: true})
  const timer = setInterval(() => {
    if (existsSync(file)) abort()
  }, REQUEST_POLL_MS)
  timer.unref()
  return {
    signal: controller.signal,
    stop: () => {
      clearInterval(timer)
      signal?.removeEventListener('abort', abort)
      unlinkIfPresent(file)
    },
  }
}
