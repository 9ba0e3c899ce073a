// Every run of the project in memory, newest first, caught up only when the metadata repository's HEAD moves (one
// `git diff` from the commit it knew to the new one): the web view lists thousands of runs per request without
// re-reading them, and without a git process per request.
import {readFileSync} from 'node:fs'
import * as path from 'node:path'

import type {MetaRepo} from '../meta-repo.js'
import type {RunRecord} from '../model/run.js'
import {runFile} from '../model/run.js'

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return fallback
  }
}

/** The commit HEAD names, read without git (loose or packed ref); '' in a repository without commits. */
export function headCommit(repo: MetaRepo): string {
  const gitDir = path.join(repo.dir, '.git')
  const head = readOr(path.join(gitDir, 'HEAD'), '').trim()
  if (!head.startsWith('ref: ')) return head
  const ref = head.slice(5)
  const loose = readOr(path.join(gitDir, ref), '').trim()
  if (loose) return loose
  const packed = readOr(path.join(gitDir, 'packed-refs'), '')
    .split('\n')
    .find((line) => line.endsWith(` ${ref}`))
  return packed?.split(' ')[0] ?? ''
}

/** Newest first by start time, then attempt (as loadRuns orders one node's runs), then ID for a stable order. */
export function compareNewestFirst(a: RunRecord, b: RunRecord): number {
  if (a.startedAt !== b.startedAt) return a.startedAt < b.startedAt ? 1 : -1
  if (a.attempt !== b.attempt) return b.attempt - a.attempt
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** `runs/NODE/RUN.json`: a run's manifest (its log and anything else under runs/ is not indexed). */
const MANIFEST = /^runs\/[0-9a-f]{64}\/[0-9a-f]{64}\.json$/

export class RunIndex {
  /** The commit the index has caught up to; undefined before the first read. */
  private head: string | undefined
  private catching: Promise<void> | undefined
  /** Each run by its manifest's path. */
  private readonly byFile = new Map<string, RunRecord>()
  private sorted: RunRecord[] = []
  private byNode = new Map<string, RunRecord[]>()
  private stale = true
  /** The runs still going at the last look, by ID. */
  private claimed = new Map<string, RunRecord>()

  constructor(readonly repo: MetaRepo) {}

  /**
   * Every recorded run (of current and removed nodes), newest first. With the runs still going now (see runsNow): a
   * run that has ended since the last call is read from its file at once, committed or not, so that a finished run
   * shows before the commit that records it.
   */
  async runs(claimed?: RunRecord[]): Promise<RunRecord[]> {
    await this.catchUp()
    if (claimed) await this.settle(claimed)
    return this.ordered()
  }

  /** The recorded runs of one node, newest first (as loadRuns reads them). */
  readonly runsOf = async (node: string): Promise<RunRecord[]> => {
    await this.catchUp()
    this.ordered()
    return this.byNode.get(node) ?? []
  }

  private async settle(claimed: RunRecord[]): Promise<void> {
    const now = new Map(claimed.map((run) => [run.id, run]))
    for (const [id, run] of this.claimed) if (!now.has(id)) await this.reread(runFile(run.node, id))
    this.claimed = now
  }

  private async catchUp(): Promise<void> {
    for (let head = headCommit(this.repo); head !== this.head; head = headCommit(this.repo)) {
      this.catching ??= this.catchUpTo(head).finally(() => {
        this.catching = undefined
      })
      await this.catching
    }
  }

  private async catchUpTo(head: string): Promise<void> {
    const changed = this.head && head ? await this.changedManifests(this.head, head) : undefined
    if (changed) for (const rel of changed) await this.reread(rel)
    else await this.rebuild()
    this.head = head
  }

  /**
   * The run manifests that differ between two commits, or undefined when git cannot tell (the old commit is gone,
   * after a history rewrite and gc). A tree-to-tree diff: right whether or not `from` is an ancestor of `to`.
   */
  private async changedManifests(from: string, to: string): Promise<string[] | undefined> {
    try {
      const out = await this.repo.git(['diff', '--name-only', '--no-renames', '-z', from, to, '--', 'runs/'])
      return out.split('\0').filter((rel) => MANIFEST.test(rel))
    } catch {
      return undefined
    }
  }

  /** Reads every manifest of the work tree again (the first time, or when git cannot tell what changed). */
  private async rebuild(): Promise<void> {
    this.byFile.clear()
    for (const node of await this.repo.listDirs('runs')) {
      for (const id of await this.repo.listJson(`runs/${node}`)) await this.reread(runFile(node, id))
    }
    this.stale = true
  }

  /** One manifest as the work tree holds it now (gone: dropped). */
  private async reread(rel: string): Promise<void> {
    const run = await this.repo.readJson<RunRecord>(rel)
    if (run) this.byFile.set(rel, run)
    else this.byFile.delete(rel)
    this.stale = true
  }

  private ordered(): RunRecord[] {
    if (!this.stale) return this.sorted
    this.sorted = [...this.byFile.values()].sort(compareNewestFirst)
    this.byNode = new Map()
    for (const run of this.sorted) {
      if (!this.byNode.has(run.node)) this.byNode.set(run.node, [])
      this.byNode.get(run.node)?.push(run)
    }
    this.stale = false
    return this.sorted
  }
}
