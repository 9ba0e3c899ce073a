// What the scheduler's checks of each source found (`.dkt/cache/checks.json`, never committed): when it was last
// checked and last checked successfully, its last error (one sentence, redacted), how many checks failed in a row
// and when the next one is due. The web view shows sources in error or backoff and counts checks in /metrics.
import {readFileSync} from 'node:fs'
import * as path from 'node:path'

import {writeFileAtomic} from '../../base/atomic-write.js'
import {redact} from '../../base/redact.js'
import type {MetaRepo} from '../meta-repo.js'
import type {Project} from '../project.js'
import {driverCache} from './store.js'

export interface SourceCheck {
  /** When it was last checked (ISO time). */
  lastCheck: string
  lastSuccess: string | null
  /** Why the last check failed (its first line, secrets and private values removed); null once one succeeds. */
  lastError: string | null
  /** Checks that failed in a row (0: the last one succeeded). */
  consecutiveFailures: number
  /** When the scheduler tries again after a failure (its backoff); null after a success. */
  nextRetry: string | null
  /** Checks and failed checks, counted since the cache was last emptied. */
  checks: number
  failures: number
}

export interface CheckOutcome {
  name: string
  /** The error of a failed check, and when it is tried again. */
  failure?: {message: string; retryAt: Date}
}

/**
 * One file for every source: a scheduler checks all its sources at start, and a file per source cost it two thousand
 * writes there (seconds) where one write of the whole table costs milliseconds.
 */
const checksFile = (project: Project) => path.join(project.cacheDir, 'checks.json')

function readAll(project: Project): Record<string, SourceCheck> {
  try {
    const checks = JSON.parse(readFileSync(checksFile(project), 'utf8')) as unknown
    return checks && typeof checks === 'object' && !Array.isArray(checks) ? (checks as Record<string, SourceCheck>) : {}
  } catch {
    // Missing, or garbled: it is only a cache.
    return {}
  }
}

/** The next state of a source's check record. Pure. */
function nextCheck(previous: SourceCheck | undefined, at: Date, failure?: {message: string; retryAt: Date}): SourceCheck {
  const checks = (previous?.checks ?? 0) + 1
  const failures = (previous?.failures ?? 0) + (failure ? 1 : 0)
  if (!failure) return {lastCheck: at.toISOString(), lastSuccess: at.toISOString(), lastError: null, consecutiveFailures: 0, nextRetry: null, checks, failures}
  return {
    lastCheck: at.toISOString(),
    lastSuccess: previous?.lastSuccess ?? null,
    lastError: failure.message,
    consecutiveFailures: (previous?.consecutiveFailures ?? 0) + 1,
    nextRetry: failure.retryAt.toISOString(),
    checks,
    failures,
  }
}

/** Records one round of checks (the one writer is the scheduler, which checks one source at a time). */
export async function recordChecks(repo: MetaRepo, at: Date, outcomes: CheckOutcome[]): Promise<void> {
  if (outcomes.length === 0) return
  const {config, secrets} = await driverCache(repo).settings()
  const hidden = [...Object.values(config), ...Object.values(secrets).filter((value): value is string => Boolean(value))]
  const checks = readAll(repo.project)
  for (const {name, failure} of outcomes) {
    const message = failure && redact(failure.message.split('\n')[0], hidden)
    checks[name] = nextCheck(checks[name], at, failure && {message: message as string, retryAt: failure.retryAt})
  }
  await writeFileAtomic(checksFile(repo.project), `${JSON.stringify(checks)}\n`)
}

/** The recorded checks, by source name (sources never checked by a scheduler have none). */
export function readChecks(project: Project): Map<string, SourceCheck> {
  return new Map(Object.entries(readAll(project)))
}

/** The recorded check of one source, if a scheduler checked it. */
export function readCheckOf(project: Project, name: string): SourceCheck | undefined {
  const checks = readAll(project)
  return Object.hasOwn(checks, name) ? checks[name] : undefined
}
