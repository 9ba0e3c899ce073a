// Every run of the project in memory, newest first, caught up only when the metadata repository's HEAD moves: the
// web view lists thousands of runs per request without re-reading them, and without a git process per request.
import {readFileSync, statSync} from 'node:fs'
import * as path from 'node:path'

import type {MetaRepo} from '../meta-repo.js'
import type {RunRecord} from '../model/run.js'
import {runFile} from '../model/run.js'

interface Cached {
  /** mtime and size of the run's file when it was read: a run is rewritten once, when it ends. */
  stamp: string
  run: RunRecord
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return fallback
  }
}

/** A text that changes whenever a commit is made (HEAD, the branch it names, packed refs), read without git. */
export function headToken(repo: MetaRepo): string {
  const gitDir = path.join(repo.dir, '.git')
  const head = readOr(path.join(gitDir, 'HEAD'), '').trim()
  const ref = head.startsWith('ref: ') ? readOr(path.join(gitDir, head.slice(5)), '') : ''
  const packed = (() => {
    try {
      return String(statSync(path.join(gitDir, 'packed-refs')).mtimeMs)
    } catch {
      return ''
    }
  })()
  return `${head}|${ref.trim()}|${packed}`
}

/** Newest first by start time, then attempt (as loadRuns orders one node's runs), then ID for a stable order. */
export function compareNewestFirst(a: RunRecord, b: RunRecord): number {
  if (a.startedAt !== b.startedAt) return a.startedAt < b.startedAt ? 1 : -1
  if (a.attempt !== b.attempt) return b.attempt - a.attempt
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

export class RunIndex {
  private token: string | undefined
  private readonly cache = new Map<string, Cached>()
  private sorted: RunRecord[] = []
  private byNode = new Map<string, RunRecord[]>()

  constructor(readonly repo: MetaRepo) {}

  /** Every recorded run (of current and removed nodes), newest first. */
  async runs(): Promise<RunRecord[]> {
    await this.catchUp()
    return this.sorted
  }

  /** The recorded runs of one node, newest first (as loadRuns reads them). */
  readonly runsOf = async (node: string): Promise<RunRecord[]> => {
    await this.catchUp()
    return this.byNode.get(node) ?? []
  }

  private async catchUp(): Promise<void> {
    const token = headToken(this.repo)
    if (token === this.token) return
    const seen = new Set<string>()
    for (const node of await this.repo.listDirs('runs')) {
      for (const id of await this.repo.listJson(`runs/${node}`)) {
        const rel = runFile(node, id)
        seen.add(rel)
        const stamp = fileStamp(this.repo.abs(rel))
        if (this.cache.get(rel)?.stamp === stamp) continue
        const run = await this.repo.readJson<RunRecord>(rel)
        if (run) this.cache.set(rel, {stamp, run})
      }
    }
    for (const rel of this.cache.keys()) if (!seen.has(rel)) this.cache.delete(rel)
    this.sorted = [...this.cache.values()].map((cached) => cached.run).sort(compareNewestFirst)
    this.byNode = new Map()
    for (const run of this.sorted) {
      if (!this.byNode.has(run.node)) this.byNode.set(run.node, [])
      this.byNode.get(run.node)?.push(run)
    }
    this.token = token
  }
}

function fileStamp(file: string): string {
  try {
    const stat = statSync(file)
    return `${stat.mtimeMs}:${stat.size}`
  } catch {
    return ''
  }
}
