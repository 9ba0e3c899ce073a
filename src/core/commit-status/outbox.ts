// The commit statuses GitHub has not accepted yet, in `.dkt/cache/statuses/`: one file per (API, repository, commit,
// context) holding the newest state to send, so a later state replaces one never sent and no older state can land
// after a newer one. Per file, one lock guards its content (held only briefly, so queueing never waits for the API)
// and another lets one process at a time send it; whoever runs next drains them.
import {createHash, randomUUID} from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

import {writeFileAtomic} from '../../base/atomic-write.js'
import {backoffDelay} from '../../base/backoff.js'
import {acquireLock} from '../../base/lock.js'
import {type CommitStatus, type Delivery, postCommitStatus, type StatusTarget} from '../../kinds/github/statuses.js'
import type {Project} from '../project.js'

export interface QueuedStatus {
  /** Which enqueue this is: a newer one replaces the file. */
  id: string
  target: StatusTarget
  status: CommitStatus
  run: string
  queuedAt: string
  attempts: number
  nextAttemptAt: string
  lastError: string | null
}

/** What one attempt at sending a queued status gave. */
export type Attempt = {entry: QueuedStatus} & ({delivered: true} | {delivered: false; message: string; retryAt: number | null})

const BACKOFF_BASE_MS = 5_000
const BACKOFF_CAP_MS = 3_600_000
/** A status not accepted within a day is dropped: by then the run it describes is old news. */
const GIVE_UP_AFTER_MS = 86_400_000
/** Longer than one request may take (its timeout), so a waiting process outlasts the one sending. */
const LOCK_TIMEOUT_MS = 30_000

export const outboxDir = (project: Project) => path.join(project.cacheDir, 'statuses')
const digest = (parts: string[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32)
const entryFile = (project: Project, target: StatusTarget, context: string) =>
  path.join(outboxDir(project), `${digest([target.apiBase, target.owner, target.repo, target.sha, context])}.json`)
/** Until when an API said (by a rate limit) not to send it anything. */
const holdFile = (project: Project, apiBase: string) => path.join(outboxDir(project), `hold-${digest([apiBase])}.json`)

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T
  } catch {
    return undefined
  }
}

async function locked<T>(file: string, fn: () => Promise<T>, lockSuffix = '.lock'): Promise<T> {
  await fs.mkdir(path.dirname(file), {recursive: true})
  const lock = await acquireLock(`${file}${lockSuffix}`, {timeoutMs: LOCK_TIMEOUT_MS})
  try {
    return await fn()
  } finally {
    await lock.release()
  }
}

/** Queues the newest state of a status (replacing one not sent yet); returns its file, to send it now. */
export async function enqueueStatus(project: Project, target: StatusTarget, status: CommitStatus, run: string, now: number): Promise<string> {
  const file = entryFile(project, target, status.context)
  const at = new Date(now).toISOString()
  const entry: QueuedStatus = {id: randomUUID(), target, status, run, queuedAt: at, attempts: 0, nextAttemptAt: at, lastError: null}
  await locked(file, () => writeFileAtomic(file, `${JSON.stringify(entry, null, 2)}\n`))
  return file
}

/** Every queued status's file. */
export async function queuedFiles(project: Project): Promise<string[]> {
  const names = await fs.readdir(outboxDir(project)).catch(() => [] as string[])
  return names.filter((name) => name.endsWith('.json') && !name.startsWith('hold-')).map((name) => path.join(outboxDir(project), name))
}

/**
 * Sends the queued statuses of `files` that are due (all of them with `ignoreBackoff`, except while their API holds
 * us off): a delivered or hopeless one leaves the queue; the others wait for their next attempt.
 */
export async function sendQueued(project: Project, files: string[], token: string, options: SendOptions): Promise<Attempt[]> {
  const attempts: Attempt[] = []
  for (const file of files) {
    if (options.signal?.aborted) break
    // One sender at a time per status: no older state can land after a newer one sent by someone else.
    const attempt = await locked(file, () => sendOne(project, file, token, options), '.sending').catch(() => undefined)
    if (attempt) attempts.push(attempt)
  }
  return attempts
}

interface SendOptions {
  now: () => number
  ignoreBackoff?: boolean
  /** Aborted: the requests under way give up (recorded as failed attempts). */
  signal?: AbortSignal
}

async function sendOne(project: Project, file: string, token: string, options: SendOptions): Promise<Attempt | undefined> {
  const entry = await readJson<QueuedStatus>(file)
  if (!entry) return undefined
  const hold = await readJson<{until: number}>(holdFile(project, entry.target.apiBase))
  const now = options.now()
  if ((hold && hold.until > now) || (!options.ignoreBackoff && Date.parse(entry.nextAttemptAt) > now)) return undefined
  const delivery: Delivery = await postCommitStatus(entry.target, entry.status, token, options.signal)
  if (delivery.delivered) return settle(file, entry, undefined, {entry, delivered: true})
  if (delivery.giveUp || now - Date.parse(entry.queuedAt) > GIVE_UP_AFTER_MS) {
    return settle(file, entry, undefined, {entry, delivered: false, message: delivery.message, retryAt: null})
  }
  if (delivery.retryAt) await writeFileAtomic(holdFile(project, entry.target.apiBase), JSON.stringify({until: delivery.retryAt}))
  const retryAt = delivery.retryAt ?? now + backoffDelay(entry.attempts + 1, BACKOFF_BASE_MS, BACKOFF_CAP_MS)
  const next: QueuedStatus = {...entry, attempts: entry.attempts + 1, nextAttemptAt: new Date(retryAt).toISOString(), lastError: delivery.message}
  return settle(file, entry, next, {entry: next, delivered: false, message: delivery.message, retryAt})
}

/** The attempt's outcome in the queue (`next` kept, else removed), unless a newer state replaced it meanwhile. */
function settle(file: string, sent: QueuedStatus, next: QueuedStatus | undefined, attempt: Attempt): Promise<Attempt> {
  return locked(file, async () => {
    if ((await readJson<QueuedStatus>(file))?.id !== sent.id) return attempt
    if (next) await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`)
    else await fs.rm(file, {force: true})
    return attempt
  })
}
