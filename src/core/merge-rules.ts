// How two clones' metadata merge without conflict: union-merged observations, and merge drivers for run files
// (the same run executed in two clones), set up in every clone by `dkt clone` and by every writing command.
import {readFileSync} from 'node:fs'
import * as path from 'node:path'

import {canonicalJson} from '../base/canonical-json.js'
import {statStamp} from '../base/file-stamp.js'
import {runGit} from '../base/git-cli.js'
import type {RunRecord, RunStatus} from './model/run.js'

/** The committed `.gitattributes` of `.dkt/`: which merge each kind of file gets. */
export const GITATTRIBUTES_LINES = [
  // Observation logs are append-only: when two clones both append, a merge keeps both sides' lines.
  'versions/*.jsonl merge=union',
  'runs/*/*.json merge=dkt-run',
  'runs/*/*.log merge=dkt-log',
]
export const GITATTRIBUTES = [...GITATTRIBUTES_LINES, ''].join('\n')

/** The lines of GITATTRIBUTES that `current` (a `.gitattributes`' text) lacks. */
export function missingAttributes(current: string | undefined): string[] {
  const present = new Set((current ?? '').split('\n').map((line) => line.trim()))
  return GITATTRIBUTES_LINES.filter((line) => !present.has(line))
}

/** The `.git/config` entries of the drivers: `command` runs dkt (`'node' '/…/bin/run.js'`). */
export function mergeDriverConfig(command: string): Record<string, string> {
  return {
    'merge.dkt-run.name': 'dkt: both executions of a run',
    'merge.dkt-run.driver': `${command} merge-file run %A %B`,
    'merge.dkt-log.name': 'dkt: both outputs of a run',
    'merge.dkt-log.driver': `${command} merge-file log %A %B`,
  }
}

/** Sets the merge drivers in the clone's `.git/config` unless they are already so (a read, no git process, then). */
export async function ensureMergeDrivers(dktDir: string, command: string): Promise<void> {
  const file = path.join(dktDir, '.git', 'config')
  // Every hold of the lock checks: a scheduler takes it for each batch of runs it records. A config found complete
  // is not read again while its stamp (inode, size, change time) stays.
  const stamp = statStamp(file)
  if (stamp !== 'absent' && configuredAt.get(`${dktDir}\0${command}`) === stamp) return
  const config = mergeDriverConfig(command)
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch {}
  if (Object.values(config).every((value) => text.includes(value))) {
    if (stamp !== 'absent') configuredAt.set(`${dktDir}\0${command}`, stamp)
    return
  }
  for (const [key, value] of Object.entries(config)) await runGit(['config', key, value], {cwd: dktDir})
}

/** The stamp of each clone's `.git/config` (by folder and command) when it was last found with the drivers set. */
const configuredAt = new Map<string, string>()

// A success on the key is a success: memoization, `node log` and `status` read the merged file's own fields.
const STATUS_RANK: Record<RunStatus, number> = {success: 0, failure: 1, error: 2, cancelled: 3, running: 4, pending: 5}

/** A merged run manifest: the preferred execution's fields, and the others as facts (`otherExecutions`). */
export type MergedRun = RunRecord

function executionsOf(run: MergedRun): RunRecord[] {
  const {otherExecutions, ...own} = run
  return [own, ...(otherExecutions ?? [])]
}

function preference(a: RunRecord, b: RunRecord): number {
  return (
    STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
    compareText(a.endedAt ?? '\uffff', b.endedAt ?? '\uffff') ||
    compareText(a.startedAt, b.startedAt) ||
    compareText(canonicalJson(a), canonicalJson(b))
  )
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Two clones' manifests of one run ID: every execution either holds, once each; the preferred one (success first,
 * then the earliest to end) gives the manifest's fields, the others are kept under `otherExecutions`. Symmetric and
 * idempotent, so both clones merging each other's side get the same file. Pure.
 */
export function mergeRunManifests(ours: MergedRun, theirs: MergedRun): MergedRun {
  const unique = new Map<string, RunRecord>()
  for (const execution of [...executionsOf(ours), ...executionsOf(theirs)]) unique.set(canonicalJson(execution), execution)
  const [preferred, ...others] = [...unique.values()].sort(preference)
  return others.length === 0 ? preferred : {...preferred, otherExecutions: others}
}

/** Between the outputs of two executions of one run in a merged `RUN.log`. */
export const LOG_SEPARATOR = '\n--- dkt: the output of another execution of this run (merged from another clone) ---\n'

/** Two clones' captured outputs of one run: each distinct one once, in a fixed order (symmetric, idempotent). Pure. */
export function mergeRunLogs(ours: string, theirs: string): string {
  const parts = new Set([...ours.split(LOG_SEPARATOR), ...theirs.split(LOG_SEPARATOR)])
  return [...parts].sort(compareText).join(LOG_SEPARATOR)
}
