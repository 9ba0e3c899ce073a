// The journal of what a process recorded but has not committed yet (`.dkt/.git/dkt-journal/HOST.PID.TOKEN.jsonl`):
// one line per record, appended and fsynced once the record's files are in place, removed once they are committed.
// It is what tells facts (a recorded run) from a dead command's unfinished writes, and a live writer's from a dead one's.
import {randomBytes} from 'node:crypto'
import {readdirSync, readFileSync} from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

import {atomicWriterPid, syncFolder, unlinkIfPresent, writeFileAtomic} from '../base/atomic-write.js'
import {isAlive} from '../base/lock.js'
import {completeLines, parses} from './metadata-parse.js'
import {machineName} from '../base/host.js'

/** One record: its commit message, and the metadata files (`.dkt/`-relative) it wrote. */
export interface JournalEntry {
  message: string
  paths: string[]
}

/** Another process's journal, as read under the project lock. */
export interface ForeignJournal {
  pid: number
  host: string
  /** Whether its process may still commit it (one of another machine is never judged dead here). */
  alive: boolean
  entries: JournalEntry[]
  remove(): Promise<void>
}

const JOURNAL_FILE = /^(.+)\.(\d+)\.([0-9a-f]+)\.jsonl$/

/** This process's journal. Only its owner writes it, always under the project lock. */
export class Journal {
  private ownFile: string | undefined
  private recorded: JournalEntry[] = []
  private size = 0

  constructor(readonly dir: string) {}

  /** Named when first needed: a command that records nothing (`dkt status`) never loads node:crypto for it. */
  get file(): string {
    this.ownFile ??= path.join(this.dir, `${encodeURIComponent(machineName())}.${process.pid}.${randomBytes(6).toString('hex')}.jsonl`)
    return this.ownFile
  }

  get entries(): JournalEntry[] {
    return this.recorded
  }

  get isEmpty(): boolean {
    return this.recorded.length === 0
  }

  /** Appends records, durably; a failed append is cut off again, so the journal never holds half a line. */
  async append(entries: JournalEntry[]): Promise<void> {
    const line = linesOf(entries)
    const created = this.size === 0
    if (created) await fs.mkdir(this.dir, {recursive: true})
    const handle = await fs.open(this.file, 'a')
    try {
      await handle.writeFile(line)
      await handle.datasync()
    } catch (error) {
      await handle.truncate(this.size).catch(() => {})
      throw error
    } finally {
      await handle.close()
    }
    if (created) await syncFolder(this.dir)
    this.size += Buffer.byteLength(line)
    this.recorded.push(...entries)
  }

  /**
   * These entries are committed. Entries recorded while they were being committed stay: the journal is rewritten
   * without the committed ones (whole, fsynced, then renamed over it: a crash leaves the old journal, whose extra
   * entries recovery finds committed already), or removed when nothing else is left.
   */
  async drop(committed: JournalEntry[]): Promise<void> {
    const gone = new Set(committed)
    const rest = this.recorded.filter((entry) => !gone.has(entry))
    if (rest.length === this.recorded.length) return
    const text = linesOf(rest)
    if (text === '') await fs.rm(this.file, {force: true})
    else await writeFileAtomic(this.file, text, {fsync: true})
    this.recorded = rest
    this.size = Buffer.byteLength(text)
  }
}

function linesOf(entries: JournalEntry[]): string {
  return entries.map((entry) => `${JSON.stringify(entry)}\n`).join('')
}

/** The journals of other processes: a torn last line (its writer died mid-append) is no record. */
export function foreignJournals(own: Journal): ForeignJournal[] {
  let names: string[]
  try {
    names = readdirSync(own.dir)
  } catch {
    return []
  }
  const journals: ForeignJournal[] = []
  for (const name of names) {
    const match = JOURNAL_FILE.exec(name)
    const file = path.join(own.dir, name)
    // A journal's rewrite (see Journal.drop) its writer did not finish: the journal itself is still there, whole.
    const rewriter = atomicWriterPid(name)
    if (rewriter !== undefined && !isAlive(rewriter)) unlinkIfPresent(file)
    if (!match || file === own.file) continue
    const [host, pid] = [decodeURIComponent(match[1]), Number(match[2])]
    journals.push({
      pid,
      host,
      alive: host !== machineName() || isAlive(pid),
      entries: readEntries(file),
      remove: () => fs.rm(file, {force: true}),
    })
  }
  return journals
}

function readEntries(file: string): JournalEntry[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  // A line that does not parse (only a torn last one can) is no record.
  return completeLines(text)
    .filter((line) => parses(line))
    .map((line) => JSON.parse(line) as JournalEntry)
}
