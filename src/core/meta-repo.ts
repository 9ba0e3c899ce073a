// The metadata repository `.dkt/.git`: plain JSON files read from the work tree. A command's change is one commit under
// the project lock, all or nothing; a scheduler's runs are recorded durably first and committed in groups after.
import {type Dirent, existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

import {atomicWriterPid, foldersToSync, openCreating, syncFolder, writeFileAtomic} from '../base/atomic-write.js'
import {canonicalJson} from '../base/canonical-json.js'
import {RACY_MS, stampSettled, statStamp} from '../base/file-stamp.js'
import {DiskFullError, DktError, GitFailedError, InvalidArgumentError} from '../base/errors.js'
import {commitIdentity, runGit} from '../base/git-cli.js'
import {acquireLock, isAlive} from '../base/lock.js'
import {profiled} from '../base/profile.js'
import {shortId} from './ids.js'
import {type ForeignJournal, Journal, type JournalEntry, foreignJournals} from './journal.js'
import {completeLines, parseMetadataJson, parseMetadataLines, parses} from './metadata-parse.js'
import type {RunRecord} from './model/run.js'
import {ensureMergeDrivers, missingAttributes} from './merge-rules.js'
import {recoverAbandonedClaims} from './node/recover.js'
import {pushIfSet} from './sync.js'
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
/** Where each process journals what it recorded but has not committed yet (in `.git/`: never committed). */
const JOURNAL_DIR = 'dkt-journal'

/** A record waiting for the lock (see MetaRepo.record). */
interface WaitingRecord {
  message: string
  body: (tx: Transaction) => Promise<void> | void
  resolve: () => void
  reject: (error: unknown) => void
}

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
  /** The computations being traced (see traceReads): every metadata file and folder read, with its stamp before the read. */
  private readonly traces = new Set<Map<string, string>>()
  /** See deferMaintenance. */
  private maintenanceDeferred = false
  private deferredCommits = 0
  /** This process's writers queue here, rather than poll the lock file against each other. */
  private queue: Promise<unknown> = Promise.resolve()
  /** What this process recorded and has not committed yet (see record). */
  private readonly journal: Journal
  /** The index and HEAD as this process's last commit left them (see indexState): the index is HEAD's then. */
  private indexAtHead: string | undefined
  /** Metadata files as this process last read or wrote them, with their stamps then (see readText). */
  private readonly texts = new Map<string, {stamp: string; text: string}>()
  /** Records waiting for the lock, written together once it is theirs (see record). */
  private readonly waitingRecords: WaitingRecord[] = []
  /** The batch of waiting records: none, one waiting for its turn under the lock, or one being written. */
  private recordBatch: 'none' | 'queued' | 'writing' = 'none'
  /** While a group commit of this process holds the lock: the files it commits, and the batches written meanwhile. */
  private groupCommit: {paths: Set<string>; batches: Promise<void>[]} | undefined
  /** Records that touch a file the group commit in progress commits: written once it is over. */
  private readonly afterCommit: WaitingRecord[] = []

  /**
   * The command that runs dkt (`'node' '/…/bin/run.js'`), for the merge drivers every writer makes sure this clone
   * has (see merge-rules.ts); undefined: a library caller, which sets up none.
   */
  mergeDriver: string | undefined
  /** Whether a commit was made under the current hold of the lock (the push setting pushes then, see sync.ts). */
  private committedUnderLock = false

  /** Where readers report what they skipped (a torn last line); the command renders it, core never prints. */
  onWarning: (message: string) => void = () => {}

  /** Told of the runs a dead process left that were just recorded `error` (interrupted); by default, a warning each. */
  onInterrupted: (runs: RunRecord[]) => void = (runs) => {
    for (const run of runs) {
      this.onWarning(`run ${shortId(run.id)} of node ${shortId(run.node)} was interrupted (the dkt process running it stopped); it is recorded as error and due again`)
    }
  }

  constructor(readonly project: Project) {
    this.journal = new Journal(path.join(project.dktDir, '.git', JOURNAL_DIR))
  }

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
    const text = this.readText(relPath)
    return text === undefined ? undefined : parseMetadataJson<T>(relPath, text)
  }

  /** The records of a JSON-lines file; a torn last line is skipped with a warning (the next append drops it). */
  async readJsonLines<T>(relPath: string): Promise<T[]> {
    const text = this.readText(relPath)
    if (text === undefined) return []
    return parseMetadataLines<T>(relPath, text, () =>
      this.onWarning(`\`.dkt/${relPath}\` ends with a torn line (a writer was interrupted); it is ignored, and the next change to this file drops it`),
    )
  }

  /** Names of the `*.json` files in a metadata folder, without the extension, sorted. */
  async listJson(relDir: string): Promise<string[]> {
    this.trace(relDir)
    return listIfExists(this.abs(relDir))
      .filter((e) => !e.isDirectory() && e.name.endsWith('.json'))
      .map((e) => e.name.slice(0, -5))
      .sort()
  }

  /** Names of the sub-folders of a metadata folder, sorted. */
  async listDirs(relDir: string): Promise<string[]> {
    this.trace(relDir)
    return listIfExists(this.abs(relDir))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort()
  }

  /** Whether a metadata file exists (traced like a read). */
  exists(relPath: string): boolean {
    this.trace(relPath)
    return existsSync(this.abs(relPath))
  }

  /**
   * Runs `work`, noting the stamp (see statStamp) of every metadata file and folder it reads through this repository,
   * taken before the read: if none has changed since, neither has what `work` read. Reads made meanwhile by other work
   * of this process are noted too (a stamp too many costs a recomputation, never a stale answer).
   */
  async traceReads<T>(work: () => Promise<T>): Promise<{result: T; reads: Map<string, string>}> {
    const reads = new Map<string, string>()
    this.traces.add(reads)
    try {
      return {result: await work(), reads}
    } finally {
      this.traces.delete(reads)
    }
  }

  private trace(relPath: string, stamp?: string): void {
    if (this.traces.size === 0) return
    stamp ??= statStamp(this.abs(relPath))
    for (const reads of this.traces) if (!reads.has(relPath)) reads.set(relPath, stamp)
  }

  /**
   * A metadata file's text; read again only when its stamp (see statStamp) changed since this process last read or
   * wrote it: a scheduler reads the same definitions and observations many times per run, and a stat costs a fraction
   * of an open and a read. Stamped before reading: a change made meanwhile makes the next call read again.
   */
  private readText(relPath: string): string | undefined {
    const stamp = statStamp(this.abs(relPath))
    this.trace(relPath, stamp)
    const known = this.texts.get(relPath)
    if (known?.stamp === stamp) return known.text
    const text = stamp === 'absent' ? undefined : readIfExists(this.abs(relPath))
    // A file changed this recently may change again within the same tick of the file system's clock without changing
    // its stamp (see RACY_MS): it is read again until it has settled.
    if (text === undefined || !stampSettled(stamp, Date.now() - RACY_MS)) this.texts.delete(relPath)
    else this.texts.set(relPath, {stamp, text})
    return text
  }

  /**
   * What this process just wrote to a metadata file, under the lock (nobody else writes it meanwhile). A file rewritten
   * later gets a new inode (atomic writes) or size (appends): its stamp tells.
   */
  private wrote(relPath: string, text: string | null): void {
    if (text === null) this.texts.delete(relPath)
    else this.texts.set(relPath, {stamp: statStamp(this.abs(relPath)), text})
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
    return this.underLock(() => this.apply(message, body))
  }

  /**
   * Records a change without waiting for git (a scheduler's run): under the project lock, `body`'s files are written
   * and fsynced (temp file, fsync, rename, fsync of the folder; appends fsynced), then journaled. From then on they are facts every
   * command reads and none rolls back; commitRecorded commits them, or, if this process dies first, whichever command
   * takes the lock next ("recovered"). Records that wait for the lock together are written under one hold of it and
   * made durable by the same folder fsyncs and one journal append: a scheduler finishing many runs is not bound by
   * one lock, recovery check and journal fsync per run.
   */
  record(message: string, body: (tx: Transaction) => Promise<void> | void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waitingRecords.push({message, body, resolve, reject})
      this.scheduleRecords()
    })
  }

  /**
   * Writes the waiting records, one batch at a time: under the lock, in their own turn, or at once while this
   * process's group commit holds the lock (see commitRecorded): a run that ends then need not wait for git.
   */
  private scheduleRecords(): void {
    if (this.recordBatch !== 'none' || this.waitingRecords.length === 0) return
    const commit = this.groupCommit
    if (commit) {
      commit.batches.push(this.writeRecordBatch(commit.paths))
      return
    }
    this.recordBatch = 'queued'
    let taken = false
    const write = () => {
      taken = true
      return this.writeRecordBatch()
    }
    // A group commit that starts before this turn comes writes the batch itself: the turn then takes no lock.
    const turn = this.queue.then(() => (this.recordBatch === 'queued' ? this.withLock(write) : undefined))
    this.queue = turn.catch(() => {})
    turn.catch((error: unknown) => {
      // No lock (busy): the records that waited for it fail; once they were taken, their failures are their own.
      if (taken) return
      this.recordBatch = 'none'
      for (const waiting of this.waitingRecords.splice(0)) waiting.reject(error)
    })
  }

  /** Writes the records waiting now (those touching `busy` files wait for the group commit); then the next batch. */
  private async writeRecordBatch(busy?: Set<string>): Promise<void> {
    this.recordBatch = 'writing'
    const batch = this.waitingRecords.splice(0)
    try {
      // Whatever went wrong fails each record not settled yet (a settled one ignores it).
      await this.recordAll(batch, busy).catch((error: unknown) => batch.forEach((waiting) => waiting.reject(error)))
    } finally {
      this.recordBatch = 'none'
      this.scheduleRecords()
    }
  }

  /** Records in order: each one's files written (fsynced), then their folders flushed and all journaled together. */
  private async recordAll(batch: WaitingRecord[], busy?: Set<string>): Promise<void> {
    const written: Array<{record: WaitingRecord; before: Map<string, string | null>; entry: JournalEntry}> = []
    const folders = new Set<string>()
    for (const record of batch) {
      const tx = new Transaction(this.dir)
      try {
        await record.body(tx)
      } catch (error) {
        record.reject(error)
        continue
      }
      const before = this.contentsBefore(tx)
      const paths = changedPaths(tx, before)
      if (paths.length === 0) {
        record.resolve()
        continue
      }
      // Git may be reading this file for the group commit in progress: written after it.
      if (busy && paths.some((rel) => busy.has(rel))) {
        this.afterCommit.push(record)
        continue
      }
      try {
        for (const folder of await this.writeFiles(tx, before, true)) folders.add(folder)
        written.push({record, before, entry: {message: record.message, paths}})
      } catch (error) {
        await this.restoreFiles(before)
        record.reject(await this.explainFailure(error))
      }
    }
    if (written.length === 0) return
    try {
      // The journal lines follow the files in place; the folders are flushed alongside them: a power cut in between
      // leaves a journaled file missing, which recovery leaves out (the run was not reported finished).
      await profiled('fsync', () => Promise.all([...[...folders].map(syncFolder), this.journal.append(written.map((w) => w.entry))]))
    } catch (error) {
      // Put back newest first: a file two records changed gets its content from before the first.
      for (const {before} of written.reverse()) await this.restoreFiles(before)
      const failure = await this.explainFailure(error)
      for (const {record} of written) record.reject(failure)
      return
    }
    for (const {record} of written) record.resolve()
  }

  /** Whether this process recorded changes that are not committed yet. */
  get hasRecorded(): boolean {
    return !this.journal.isEmpty
  }

  /**
   * Commits what this process recorded (see record), as one commit. Meanwhile the records this process makes are
   * written at once, under this hold of the lock, unless they touch a file being committed: git reads only the files
   * it commits, and the journal keeps the entries recorded meanwhile (see Journal.drop).
   */
  async commitRecorded(): Promise<void> {
    if (this.journal.isEmpty) return
    await this.underLock(() => this.commitOwnRecords(true))
  }

  private underLock<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.queue.then(() => this.withLock(work))
    this.queue = turn.catch(() => {})
    return turn
  }

  /**
   * `work` under the project lock, after recovery, as a writer that commits by other means than a transaction
   * (`dkt sync`'s merge). `work` may run git in the repository; it must leave no uncommitted change behind.
   */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    // What this process recorded is committed first: a merge must not meet the recorded files uncommitted.
    return this.underLock(async () => {
      await this.commitOwnRecords()
      return work()
    })
  }

  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    const timeoutMs = Number(process.env.DKT_LOCK_TIMEOUT_MS ?? DEFAULT_LOCK_TIMEOUT_MS)
    const lock = await acquireLock(this.abs('lock'), {timeoutMs}).catch(async (error) => {
      throw await this.explainFailure(error)
    })
    try {
      this.committedUnderLock = false
      await this.recover(lock.recovered)
      await this.ensureMergeRules()
      const result = await work()
      if (this.committedUnderLock && this.mergeDriver !== undefined) await pushIfSet(this)
      return result
    } finally {
      await lock.release()
    }
  }

  /** `body`, then its changes as one commit; the lock is held. */
  private async apply<T>(message: string | ((result: T) => string), body: (tx: Transaction) => Promise<T> | T): Promise<T> {
    const tx = new Transaction(this.dir)
    const result = await body(tx)
    if (!tx.isEmpty) await this.commit(tx, typeof message === 'function' ? message(result) : message)
    return result
  }

  /**
   * What dead writers left, put right before any work under the lock. A writer that died holding the lock leaves
   * git's lock files, maybe an index behind HEAD, and unfinished writes: a command's change that was never committed
   * never happened, so those go back. Records journaled by dead processes are facts: committed as "recovered". Runs
   * a dead process of this machine was executing are recorded as interrupted.
   */
  private async recover(ownerDied: boolean): Promise<void> {
    const others = foreignJournals(this.journal)
    if (ownerDied) await this.clearAfterDeadOwner(others)
    const dead = others.filter((journal) => !journal.alive)
    const entries = dead.flatMap((journal) => journal.entries)
    if (entries.length > 0) await this.commitEntries(entries, recoveredMessage(entries.map((entry) => entry.message)))
    for (const journal of dead) await journal.remove()
    const interrupted = await recoverAbandonedClaims(this, (message, body) => this.apply(message, body), new Date())
    if (interrupted.length > 0) this.onInterrupted(interrupted)
  }

  /** A project made before a merge rule existed gets it at its first write: `.gitattributes` and the drivers. */
  private async ensureMergeRules(): Promise<void> {
    if (this.mergeDriver === undefined) return
    await ensureMergeDrivers(this.dir, this.mergeDriver)
    const current = this.readText('.gitattributes')
    const missing = missingAttributes(current)
    if (missing.length === 0) return
    const text = `${current === undefined || current === '' || current.endsWith('\n') ? (current ?? '') : `${current}\n`}${missing.join('\n')}\n`
    await this.apply('merge rules for sharing the project (.gitattributes)', (tx) => tx.writeText('.gitattributes', text))
  }

  private async clearAfterDeadOwner(others: ForeignJournal[]): Promise<void> {
    await this.removeGitLocks()
    await fs.rm(path.join(this.dir, '.git', STAGING_INDEX), {force: true})
    // Killed at git's `committed` point, the commit is made but the index is not yet its own: make it HEAD's again.
    if (await this.hasHead()) await this.git(['reset', '-q'])
    const journaled = new Set([...this.journal.entries, ...others.flatMap((journal) => journal.entries)].flatMap((entry) => entry.paths))
    await this.discardUnfinished(journaled)
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

  /**
   * The uncommitted changes in the metadata folders of a writer that died holding the lock, journaled records apart:
   * put back as committed (temp files and new files removed), with a warning naming them. A journaled file only loses
   * a torn last line.
   */
  private async discardUnfinished(journaled: Set<string>): Promise<void> {
    const status = await this.git(['--no-optional-locks', 'status', '--porcelain', '-z', '--untracked-files=all', '--', ...MANAGED_DIRS])
    const changed = status
      .split('\0')
      .filter(Boolean)
      .map((entry) => ({rel: entry.slice(3), tracked: !entry.startsWith('??')}))
    for (const {rel} of changed.filter((c) => journaled.has(c.rel))) await this.dropTornLine(rel)
    // Temp files of atomic writes are ignored by git (`.gitignore`): found by their name, which holds their writer's pid.
    const temporary = (await this.leftoverTempFiles()).map((rel) => ({rel, tracked: false}))
    const unfinished = [...changed.filter((c) => !journaled.has(c.rel)), ...temporary]
    if (unfinished.length === 0) return
    const tracked = unfinished.filter((c) => c.tracked).map((c) => c.rel)
    if (tracked.length > 0) await this.git(['checkout', '-q', 'HEAD', '--', ...tracked])
    for (const {rel} of unfinished.filter((c) => !c.tracked)) {
      await fs.rm(this.abs(rel), {force: true})
      await fs.rmdir(path.dirname(this.abs(rel))).catch(() => {})
    }
    const names = unfinished.map((c) => `\`.dkt/${c.rel}\``).join(', ')
    this.onWarning(`a dkt process stopped before committing its change; what it left unfinished is discarded: ${names}`)
  }

  private async leftoverTempFiles(): Promise<string[]> {
    const found: string[] = []
    for (const dir of MANAGED_DIRS) {
      const names = await fs.readdir(this.abs(dir), {recursive: true}).catch(() => [] as string[])
      for (const name of names) {
        const writer = atomicWriterPid(path.basename(name))
        if (writer !== undefined && !isAlive(writer)) found.push(path.posix.join(dir, name.split(path.sep).join('/')))
      }
    }
    return found
  }

  /** Cuts a torn last line (a writer killed mid-append) off a JSON-lines file, with a warning naming it. */
  private async dropTornLine(rel: string): Promise<void> {
    if (!rel.endsWith('.jsonl')) return
    const text = readIfExists(this.abs(rel))
    if (text === undefined || text === '' || text.endsWith('\n')) return
    let torn = false
    const kept = completeLines(text, () => (torn = true))
    if (!torn) return
    await fs.truncate(this.abs(rel), Buffer.byteLength(kept.map((line) => `${line}\n`).join('')))
    this.onWarning(`\`.dkt/${rel}\` ended with a torn line (a writer was interrupted); it is discarded`)
  }

  /** The files of journaled records, as they are now, in one commit (none if they are all committed already). */
  private async commitEntries(entries: JournalEntry[], message: string): Promise<void> {
    const paths = await this.recordedFiles([...new Set(entries.flatMap((entry) => entry.paths))].sort())
    if (paths.length === 0) return
    // Git does not fsync loose objects and refs by default: this commit must reach the disk before the journal goes.
    await this.stageAndCommit(paths, message, ['-c', 'core.fsync=committed']).catch(async (error) => {
      throw await this.explainFailure(error)
    })
  }

  /**
   * Which recorded files can be committed: a torn last line is cut off first; a file that is not valid JSON (edited
   * by hand, or garbled by a power cut) is left out with a warning, for its readers to name; a missing one counts
   * only if it is committed (its removal was recorded).
   */
  private async recordedFiles(paths: string[]): Promise<string[]> {
    const present: string[] = []
    const missing: string[] = []
    for (const rel of paths) {
      const text = readIfExists(this.abs(rel))
      if (text === undefined) missing.push(rel)
      else if (rel.endsWith('.jsonl')) await this.dropTornLine(rel).then(() => present.push(rel))
      else if (!rel.endsWith('.json') || parses(text)) present.push(rel)
      else this.onWarning(`\`.dkt/${rel}\` is not valid JSON; it is left out of the commit of recorded runs`)
    }
    if (missing.length === 0) return present
    const tracked = (await this.git(['ls-files', '-z', '--', ...missing])).split('\0').filter(Boolean)
    return [...present, ...tracked].sort()
  }

  /** `recordMeanwhile`: see commitRecorded. */
  private async commitOwnRecords(recordMeanwhile = false): Promise<void> {
    const entries = [...this.journal.entries]
    if (entries.length === 0) return
    const foreign = this.foreignRecordsAmong(entries.flatMap((entry) => entry.paths))
    if (recordMeanwhile) this.recordDuringCommit([...entries, ...foreign.flat()].flatMap((entry) => entry.paths))
    try {
      for (const records of foreign) await this.commitEntries(records, groupMessage(records.map((entry) => entry.message)))
      await this.commitEntries(entries, groupMessage(entries.map((entry) => entry.message)))
    } finally {
      if (recordMeanwhile) await this.endRecordingDuringCommit()
    }
    await this.journal.drop(entries)
  }

  /** From now until endRecordingDuringCommit, records are written at once, but for those touching these files. */
  private recordDuringCommit(paths: string[]): void {
    this.groupCommit = {paths: new Set(paths), batches: []}
    // A batch waiting for its turn under the lock is written now instead (its turn then passes).
    if (this.recordBatch === 'queued') this.recordBatch = 'none'
    this.scheduleRecords()
  }

  private async endRecordingDuringCommit(): Promise<void> {
    const commit = this.groupCommit
    this.groupCommit = undefined
    // Batches go on until none is left: each one that ends starts the next, which, after this, waits for its turn.
    if (commit) await Promise.all(commit.batches)
    this.waitingRecords.unshift(...this.afterCommit.splice(0))
    this.scheduleRecords()
  }

  /**
   * Records of live processes (another scheduler) in files a commit is about to take along: committed first, under
   * their own messages, as a commit names only its own change.
   */
  private foreignRecordsAmong(paths: string[]): JournalEntry[][] {
    const wanted = new Set(paths)
    return foreignJournals(this.journal)
      .filter((journal) => journal.entries.some((entry) => entry.paths.some((rel) => wanted.has(rel))))
      .map((journal) => journal.entries)
  }

  private async commitForeignRecordsAmong(paths: string[]): Promise<void> {
    for (const records of this.foreignRecordsAmong(paths)) await this.commitEntries(records, groupMessage(records.map((entry) => entry.message)))
  }

  private async commit(tx: Transaction, message: string): Promise<void> {
    const before = this.contentsBefore(tx)
    const paths = changedPaths(tx, before)
    if (paths.length === 0) return
    const wanted = new Set(paths)
    if (this.journal.entries.some((entry) => entry.paths.some((rel) => wanted.has(rel)))) await this.commitOwnRecords()
    else await this.commitForeignRecordsAmong(paths)
    try {
      await this.writeFiles(tx, before)
      await this.stageAndCommit(paths, message)
    } catch (error) {
      await this.restoreFiles(before)
      throw await this.explainFailure(error)
    }
  }

  /** What each file a transaction changes holds before it (`null`: absent). */
  private contentsBefore(tx: Transaction): Map<string, string | null> {
    const before = new Map<string, string | null>()
    for (const rel of new Set([...tx.writes.keys(), ...tx.appends.keys()])) before.set(rel, this.readText(rel) ?? null)
    return before
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

  /**
   * Writes a transaction's files: whole files atomically, appends in place (a torn last line is dropped first, under
   * the lock, instead of being buried). `durable`: each is fsynced; returns the folders whose entries changed.
   */
  private async writeFiles(tx: Transaction, before: Map<string, string | null>, durable = false): Promise<Set<string>> {
    const folders = new Set<string>()
    const place = async (rel: string, content: string | null) => {
      const file = this.abs(rel)
      if (content === null) {
        await fs.rm(file, {force: true})
        this.wrote(rel, null)
        folders.add(path.dirname(file))
        return
      }
      const created = await profiled(durable ? 'write (fsynced)' : 'write', () => writeFileAtomic(file, content, {fsync: durable}))
      this.wrote(rel, content)
      for (const folder of foldersToSync(file, created)) folders.add(folder)
    }
    const append = async (rel: string, base: string, text: string) => {
      const file = this.abs(rel)
      const {handle, created} = await openCreating(file, 'a')
      try {
        await handle.writeFile(text)
        if (durable) await profiled('fsync', () => handle.datasync())
      } finally {
        await handle.close()
      }
      this.wrote(rel, `${base}${text}`)
      if (before.get(rel) === null) for (const folder of foldersToSync(file, created)) folders.add(folder)
    }
    await Promise.all(
        [...before.keys()].map((rel) => {
          const lines = tx.appends.get(rel)
          if (!lines) return place(rel, tx.writes.get(rel) as string | null)
          const added = lines.map((line) => `${line}\n`).join('')
          const base = tx.writes.has(rel) ? (tx.writes.get(rel) ?? '') : (before.get(rel) ?? '')
          if (!tx.writes.has(rel) && (base === '' || base.endsWith('\n'))) return append(rel, base, added)
          const kept = completeLines(base).filter((line) => line.trim() !== '')
          return place(rel, `${kept.map((line) => `${line}\n`).join('')}${added}`)
      }),
    )
    return folders
  }

  /**
   * Stages into an index made from HEAD and commits from it; it replaces the real index only once the commit is
   * made. A commit thus depends only on HEAD and its paths: a real index behind HEAD (a power cut) cannot revert
   * files. A commit that fails (a full disk) leaves the real index as it was: no roll-back that could itself fail to
   * write, and nothing staged for the next command to commit under its own message. Nothing staged (the files are
   * committed already): no commit.
   */
  private async stageAndCommit(paths: string[], message: string, config: string[] = []): Promise<void> {
    const index = path.join(this.dir, '.git', 'index')
    const staging = path.join(this.dir, '.git', STAGING_INDEX)
    const env = {...(await commitIdentity(this.dir)), GIT_INDEX_FILE: staging}
    try {
      await this.stagingFromHead(index, staging, env)
      // Explicit paths only (never -A): config, secrets/ and cache/ cannot be staged even if .gitignore is edited.
      // update-index takes exactly these (a missing one is removed), where `add` would match each against the tree.
      await this.git([...config, 'update-index', '--add', '--remove', '--', ...paths], env)
      const maintenance = this.maintenanceDeferred && ++this.deferredCommits % MAINTENANCE_EVERY !== 0 ? ['-c', 'maintenance.auto=false'] : []
      const committed = await this.git([...config, ...maintenance, 'commit', '-q', '--no-verify', '-m', message], env).then(
        () => true,
        async (error: unknown) => {
          if (await this.nothingStaged(env)) return false
          throw error
        },
      )
      if (committed) {
        await fs.rename(staging, index)
        this.committedUnderLock = true
        this.indexAtHead = indexState(this.dir)
      }
    } finally {
      await fs.rm(staging, {force: true})
    }
  }

  /**
   * HEAD's tree as the staging index. It starts as a copy of the real index so that `read-tree --reset` keeps the
   * stat data of the entries that match HEAD (no rehash of a big tree later); the content is HEAD's alone. A real
   * index git cannot read (torn by a power cut) is not needed: HEAD alone then. No HEAD yet: an empty index.
   */
  private async stagingFromHead(index: string, staging: string, env: Record<string, string>): Promise<void> {
    await fs.copyFile(index, staging).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
    // The index this process made at its last commit, untouched since, with HEAD still that commit: it is HEAD's.
    const known = this.indexAtHead
    this.indexAtHead = undefined
    if (known !== undefined && known === indexState(this.dir)) return
    await this.git(['read-tree', '--reset', 'HEAD'], env).catch(async () => {
      await fs.rm(staging, {force: true})
      if (await this.hasHead()) await this.git(['read-tree', 'HEAD'], env)
    })
  }

  private async hasHead(): Promise<boolean> {
    return this.git(['rev-parse', '-q', '--verify', 'HEAD']).then(
      () => true,
      () => false,
    )
  }

  private async nothingStaged(env: Record<string, string>): Promise<boolean> {
    return this.git(['diff', '--cached', '--quiet'], env).then(
      () => true,
      () => false,
    )
  }

  /** Puts the files back as they were: removals first, which free the space that rewriting the others needs. */
  private async restoreFiles(before: Map<string, string | null>): Promise<void> {
    const entries = [...before].sort(([, a], [, b]) => Number(a !== null) - Number(b !== null))
    for (const [rel, content] of entries) {
      this.texts.delete(rel)
      if (content === null) await fs.rm(this.abs(rel), {force: true})
      else await writeFileAtomic(this.abs(rel), content)
    }
  }
}

/**
 * The real index's identity (device, inode, size, modification time) and the commit HEAD's branch points to, read
 * from the files: equal before and after, nobody replaced the index or moved the branch (a packed or detached ref:
 * undefined, and the index is rebuilt from HEAD as always).
 */
function indexState(dktDir: string): string | undefined {
  try {
    const gitDir = path.join(dktDir, '.git')
    const head = readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim()
    if (!head.startsWith('ref: refs/')) return undefined
    const commit = readFileSync(path.join(gitDir, head.slice(5)), 'utf8').trim()
    const index = statSync(path.join(gitDir, 'index'), {bigint: true})
    return `${commit} ${index.dev}:${index.ino}:${index.size}:${index.mtimeNs}:${index.ctimeNs}`
  } catch {
    return undefined
  }
}

/** The files a transaction really changes: writing what is already there, or removing what is absent, is no change. */
function changedPaths(tx: Transaction, before: Map<string, string | null>): string[] {
  return [...before.keys()].filter((rel) => tx.appends.has(rel) || tx.writes.get(rel) !== before.get(rel)).sort()
}

/** Records committed together: one keeps its own message, several are listed under one line. */
function groupMessage(messages: string[]): string {
  return messages.length === 1 ? messages[0] : `scheduler: ${messages.length} runs\n\n${messages.join('\n')}`
}

/** Records a dead process left, committed by the next command that takes the lock. */
function recoveredMessage(messages: string[]): string {
  return messages.length === 1 ? `recovered: ${messages[0]}` : `recovered: ${messages.length} runs\n\n${messages.join('\n')}`
}
