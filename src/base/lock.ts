// An exclusive lock on a project's metadata (`.dkt/lock`), as git's index.lock: created with O_EXCL, holding the
// owner's pid and host, so a lock left by a process that died (kill -9) is recognised and taken over.
import {randomBytes} from 'node:crypto'
import * as fs from 'node:fs/promises'

import {BusyError} from './errors.js'
import {machineName} from './host.js'

export interface LockOwner {
  pid: number
  host: string
  token: string
  since: string
}

export interface HeldLock {
  /** True when the previous owner died holding the lock: what it left half-done must be put right (see MetaRepo). */
  recovered: boolean
  release(): Promise<void>
}

export interface LockOptions {
  /** How long to wait for another writer before giving up with BusyError. */
  timeoutMs: number
  now?: () => number
}

/** Whether a process of this machine is alive (EPERM: alive, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as LockOwner
  } catch {
    // Unreadable or half-written: the writer is between open() and write(); treat as alive.
    return undefined
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Takes over a lock whose owner is dead. The rename moves the file away atomically; if the file we moved is not
 * the one we judged stale (another process took it over and relocked meanwhile), it is put back.
 */
async function takeOverStale(file: string, stale: LockOwner): Promise<boolean> {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await fs.rename(file, aside)
  } catch {
    return false
  }
  const moved = await readOwner(aside)
  if (moved?.token === stale.token) {
    await fs.rm(aside, {force: true})
    await fs.rm(`${file}.${stale.token}`, {force: true})
    return true
  }
  await fs.link(aside, file).catch(() => {})
  await fs.rm(aside, {force: true})
  return false
}

export async function acquireLock(file: string, options: LockOptions): Promise<HeldLock> {
  const now = options.now ?? Date.now
  const deadline = now() + options.timeoutMs
  const owner: LockOwner = {pid: process.pid, host: machineName(), token: randomBytes(8).toString('hex'), since: new Date(now()).toISOString()}
  // The lock appears with its content at once (a hard link to a file written beforehand): a writer killed
  // between creating the lock and writing its owner would leave an anonymous lock nobody could take over.
  const draft = `${file}.${owner.token}`
  await fs.writeFile(draft, JSON.stringify(owner), {mode: 0o644})
  try {
    return await acquire(file, draft, owner, deadline, now)
  } finally {
    await fs.rm(draft, {force: true})
  }
}

async function acquire(file: string, draft: string, owner: LockOwner, deadline: number, now: () => number): Promise<HeldLock> {
  let recovered = false
  let delay = 5
  for (;;) {
    try {
      await fs.link(draft, file)
      return {
        recovered,
        async release() {
          const current = await readOwner(file)
          if (current?.token === owner.token) await fs.rm(file, {force: true})
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const holder = await readOwner(file)
    if (holder && holder.host === owner.host && !isAlive(holder.pid)) {
      if (await takeOverStale(file, holder)) recovered = true
      continue
    }
    if (now() >= deadline) {
      const who = holder ? ` (held by pid ${holder.pid} on ${holder.host} since ${holder.since})` : ''
      throw new BusyError(`the project is busy: another dkt command is writing to it${who}; retry in a moment`, {
        data: {lock: file},
      })
    }
    await sleep(delay + Math.random() * delay)
    delay = Math.min(delay * 2, 100)
  }
}
