// The metadata repository `.dkt/.git`: plain JSON files read from the work tree, and every change applied as one
// commit under the project lock, all or nothing.
import {type Dirent, readdirSync, readFileSync} from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

import {writeFileAtomic} from '../base/atomic-write.js'
import {canonicalJson} from '../base/canonical-json.js'
import {DiskFullError, DktError, GitFailedError, InvalidArgumentError} from '../base/errors.js'
import {commitIdentity, runGit} from '../base/git-cli.js'
import {acquireLock} from '../base/lock.js'
import {completeLines, parseMetadataJson, parseMetadataLines} from './metadata-parse.js'
import type {Project} from './project.js'

/** Top-level folders of `.dkt/` that hold committed metadata. Nothing outside them is ever staged. */
export const MANAGED_DIRS = ['sources', 'versions', 'nodes', 'runs', 'links'] as const
const MANAGED_FILES = ['format', '.gitignore', '.gitattributes']


const DEFAULT_LOCK_TIMEOUT_MS = 20_000
/** Below this much free space, a failed commit is put down to a full disk. */
const LOW_SPACE_BYTES = 256 * 1024
/** The index a commit stages into (in `.git/`), until the commit is made; see stageAndCommit. */
const STAGING_INDEX = 'index.dkt-staging'
/** While maintenance is deferred, git still checks whether it is due at every this many commits. */
const MAINTENANCE_EVERY = 100

/** Pending writes of one transaction: file contents to write, `null` to delete. */
export class Transaction {
  readonly writes = new Map<string, string | null>()
  readonly appends = new Map<string, string[]>()

  constructor(private readonly dktDir: string) {}

  writeJson(relPath: string, value: unknown): void {
    this.writes.set(checkManaged(relPath), canonicalJson(value))
  }

  writeText(relPath: string, text: string): void {
    this.writes.set(checkManaged(relPath), text)
  }

  /** Appends one line to a JSON-lines file (created if missing). */
  appendLine(relPath: string, line: string): void {
    const lines = this.appends.get(checkManaged(relPath)) ?? []
    lines.push(line)
    this.appends.set(relPath, lines)
  }

  remove(relPath: string): void {
    this.writes.set(checkManaged(relPath), null)
  }

  get isEmpty(): boolean {
    return this.writes.size === 0 && this.appends.size === 0
  }

  /** Absolute path of a metadata file, for reads inside the transaction. */
  abs(relPath: string): string {
    return path.join(this.dktDir, relPath)
  }
}

function checkManaged(relPath: string): string {
  const normal = path.posix.normalize(relPath)
  const top = normal.split('/')[0]
  if (normal.startsWith('..') || path.posix.isAbsolute(normal) || !(MANAGED_DIRS as readonly string[]).includes(top)) {
    if (!MANAGED_FILES.includes(normal)) throw new InvalidArgumentError(`refusing to write \`${relPath}\` outside the metadata folders`)
  }
  return normal
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function listIfExists(dir: string): Dirent[] {
  try {
    return readdirSync(dir, {withFileTypes: true})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

export class MetaRepo {
  /** See deferMaintenance. */
  private maintenanceDeferred = false
  private deferredCommits = 0

  /** Where readers report what they skipped (a torn last line); the command renders it, core never prints. */
  onWarning: (message: string) => void = () => {}

  constructor(readonly project: Project) {}

  /**
   * Commits stop running git's automatic maintenance (`git commit` spawns `git maintenance run --auto` every
   * time, one more process per commit) until the returned function runs it once. For a session that commits
   * many times (the scheduler); maintenance is only housekeeping (packing), so skipping it if the session dies
   * loses nothing. Every MAINTENANCE_EVERY-th commit still lets git check, so that a scheduler running for
   * weeks does not pile up loose objects (git packs from 6700 on).
   */
  deferMaintenance(): () => Promise<void> {
    this.maintenanceDeferred = true
    return async () => {
      this.maintenanceDeferred = false
      await this.git(['maintenance', 'run', '--auto', '--quiet'])
    }
  }

  get dir(): string {
    return this.project.dktDir
  }

  abs(relPath: string): string {
    return path.join(this.dir, relPath)
  }

  // Metadata files are small and read by the thousand (a scheduler refreshing a node with many inputs): one
  // synchronous read costs a few microseconds, a promise-based one four thread-pool round trips.
  async readJson<T>(relPath: string): Promise<T | undefined> {
    const text = readIfExists(this.abs(relPath))
    return text === undefined ? undefined : parseMetadataJson<T>(relPath, text)
  }

  /** The records of a JSON-lines file; a torn last line is skipped with a warning (the next append drops it). */
  async readJsonLines<T>(relPath: string): Promise<T[]> {
    const text = readIfExists(this.abs(relPath))
    if (text === undefined) return []
    return parseMetadataLines<T>(relPath, text, () =>
      this.onWarning(`\`.dkt/${relPath}\` ends with a torn line (a writer was interrupted); it is ignored, and the next change to this file drops it`),
    )
  }

  /** Names of the `*.json` files in a metadata folder, without the extension, sorted. */
  async listJson(relDir: string): Promise<string[]> {
    return listIfExists(this.abs(relDir))
      .filter((e) => !e.isDirectory() && e.name.endsWith('.json'))
      .map((e) => e.name.slice(0, -5))
      .sort()
  }

  /** Names of the sub-folders of a metadata folder, sorted. */
  async listDirs(relDir: string): Promise<string[]> {
    return listIfExists(this.abs(relDir))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort()
  }

  async git(args: string[], env?: Record<string, string>): Promise<string> {
    return (await runGit(args, {cwd: this.dir, env})).stdout
  }

  /** Number of commits, and the work tree status: used by tests and by `dkt` itself to prove nothing changed. */
  async head(): Promise<string> {
    return (await this.git(['rev-parse', 'HEAD'])).trim()
  }

  /**
   * Runs `body` under the project lock and applies what it staged as exactly one commit with `message`
   * (a function of the body's result, or a string). Validation inside `body` may throw: nothing is written then.
   * If the commit fails, the files are put back as they were.
   */
  async transaction<T>(
    message: string | ((result: T) => string),
    body: (tx: Transaction) => Promise<T> | T,
  ): Promise<T> {
    const timeoutMs = Number(process.env.DKT_LOCK_TIMEOUT_MS ?? DEFAULT_LOCK_TIMEOUT_MS)
    const lock = await acquireLock(this.abs('lock'), {timeoutMs}).catch(async (error) => {
      throw await this.explainFailure(error)
    })
    try {
      if (lock.recovered) await this.rollBackInterrupted()
      const tx = new Transaction(this.dir)
      const result = await body(tx)
      if (!tx.isEmpty) await this.commit(tx, typeof message === 'function' ? message(result) : message)
      return result
    } finally {
      await lock.release()
    }
  }

  /** A writer died while holding the lock: discard whatever it left uncommitted in the metadata folders. */
  private async rollBackInterrupted(): Promise<void> {
    await this.removeGitLocks()
    await fs.rm(path.join(this.dir, '.git', STAGING_INDEX), {force: true})
    await this.git(['reset', '-q', '--hard', 'HEAD'])
    await this.git(['clean', '-q', '-f', '-d', '--', ...MANAGED_DIRS])
  }

  /**
   * Git's own lock files (`index.lock`, `HEAD.lock`, `refs/heads/main.lock`, …) left by a git killed with its dkt:
   * every dkt git command runs under dkt's lock, whose owner is known dead here, so they are all stale, and while
   * they stay every later commit fails.
   */
  private async removeGitLocks(): Promise<void> {
    const gitDir = path.join(this.dir, '.git')
    const top = listIfExists(gitDir).filter((e) => e.isFile() && e.name.endsWith('.lock')).map((e) => e.name)
    const refs = (await fs.readdir(path.join(gitDir, 'refs'), {recursive: true}).catch(() => [] as string[]))
      .filter((name) => name.endsWith('.lock'))
      .map((name) => path.join('refs', name))
    await Promise.all([...top, ...refs].map((rel) => fs.rm(path.join(gitDir, rel), {force: true})))
  }

  private async commit(tx: Transaction, message: string): Promise<void> {
    const before = new Map<string, string | null>()
    for (const rel of new Set([...tx.writes.keys(), ...tx.appends.keys()])) {
      before.set(rel, await fs.readFile(this.abs(rel), 'utf8').catch(() => null))
    }
    // Writing what is already there, or removing what does not exist, is no change: no empty commits.
    const paths = [...before.keys()].filter((rel) => tx.appends.has(rel) || tx.writes.get(rel) !== before.get(rel)).sort()
    if (paths.length === 0) return
    try {
      await this.writeFiles(tx, before)
      await this.stageAndCommit(paths, message)
    } catch (error) {
      await this.restoreFiles(before)
      throw await this.explainFailure(error)
    }
  }

  /** Whether the disk holding the project has almost no space left (git does not always say ENOSPC). */
  private async lowOnSpace(): Promise<boolean> {
    const stats = await fs.statfs(this.dir).catch(() => undefined)
    return stats !== undefined && stats.bavail * stats.bsize < LOW_SPACE_BYTES
  }

  /** A full disk fails in many places (a write, git's objects, its ref locks): one sentence says so for all. */
  private async explainFailure(error: unknown): Promise<unknown> {
    // dkt's own sentences (busy, bad input) stay as they are; a write or git failing may be the disk.
    if (error instanceof DktError && !(error instanceof GitFailedError)) return error
    const saysFull = (error as NodeJS.ErrnoException).code === 'ENOSPC' || /no space left|out of diskspace/i.test(String(error))
    const full = saysFull || (await this.lowOnSpace())
    if (!full) return error
    return new DiskFullError(`the disk holding ${this.dir} is full: nothing was recorded; free some space and run the command again`, {cause: error})
  }

  private async writeFiles(tx: Transaction, before: Map<string, string | null>): Promise<void> {
    for (const [rel, content] of tx.writes) {
      if (content === null) await fs.rm(this.abs(rel), {force: true})
      else await writeFileAtomic(this.abs(rel), content)
    }
    for (const [rel, lines] of tx.appends) {
      const base = tx.writes.has(rel) ? (tx.writes.get(rel) ?? '') : (before.get(rel) ?? '')
      // A torn last line (a writer killed mid-append) is dropped here, under the lock, instead of being buried.
      const kept = completeLines(base).filter((line) => line.trim() !== '')
      const joined = kept.map((line) => `${line}\n`).join('')
      await writeFileAtomic(this.abs(rel), `${joined}${lines.map((line) => `${line}\n`).join('')}`)
    }
  }

  /**
   * Stages into a copy of the index and commits from it; the copy replaces the real index only once the commit is
   * made. A commit that fails (a full disk) thus leaves the real index as it was: no roll-back that could itself fail
   * to write, and nothing staged for the next command to commit under its own message.
   */
  private async stageAndCommit(paths: string[], message: string): Promise<void> {
    const index = path.join(this.dir, '.git', 'index')
    const staging = path.join(this.dir, '.git', STAGING_INDEX)
    const env = {...(await commitIdentity(this.dir)), GIT_INDEX_FILE: staging}
    try {
      // A new repository has no index yet: git then starts the staging one empty.
      await fs.copyFile(index, staging).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error
      })
      // Explicit paths only (never -A): config, secrets/ and cache/ cannot be staged even if .gitignore is edited.
      await this.git(['add', '--all', '--', ...paths], env)
      const maintenance = this.maintenanceDeferred && ++this.deferredCommits % MAINTENANCE_EVERY !== 0 ? ['-c', 'maintenance.auto=false'] : []
      await this.git([...maintenance, 'commit', '-q', '--no-verify', '-m', message], env)
      await fs.rename(staging, index)
    } finally {
      await fs.rm(staging, {force: true})
    }
  }

  /** Puts the files back as they were: removals first, which free the space that rewriting the others needs. */
  private async restoreFiles(before: Map<string, string | null>): Promise<void> {
    const entries = [...before].sort(([, a], [, b]) => Number(a !== null) - Number(b !== null))
    for (const [rel, content] of entries) {
      if (content === null) await fs.rm(this.abs(rel), {force: true})
      else await writeFileAtomic(this.abs(rel), content)
    }
  }
}
