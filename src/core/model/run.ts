// A run manifest (`runs/NODE/RUN.json`): what ran, on which input versions, what it produced, how it ended.
import type {Version} from '../../base/version.js'

export const RUN_FORMAT = 1

export const RUN_STATUSES = ['pending', 'running', 'success', 'failure', 'error', 'cancelled'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]

export interface HookOutcome {
  command: string
  exitCode: number | null
}

export interface RunRecord {
  format: number
  id: string
  /** The run ID of the first attempt on these inputs (hash of node and input versions). */
  key: string
  attempt: number
  node: string
  command: string[]
  scriptDigest: string | null
  image: string | null
  labels: string[]
  /** source name → version */
  inputs: Record<string, Version>
  /**
   * Only for a node fanned out over the refs of a TAG pattern input: the ref (full name, `refs/heads/main`) the run
   * was started for. Other refs at the same input versions share the run (memoization) without being recorded here.
   */
  ref?: string
  /** source name → version produced (absent until the run ends) */
  outputs: Record<string, Version>
  status: RunStatus
  exitCode: number | null
  signal: string | null
  /** Why an `error` or `cancelled` run ended, in one sentence. */
  reason: string | null
  startedAt: string
  endedAt: string | null
  machine: {hostname: string; os: string; arch: string}
  dktVersion: string
  hooks: {onSuccess?: HookOutcome; onFailure?: HookOutcome}
  /** Whether the captured output (runs/NODE/RUN.log) was cut at its size limit. */
  outputTruncated: boolean
  /**
   * Only for a run ID executed in two clones and merged (see core/merge-rules.ts): the other executions, kept as
   * facts; this manifest's own fields are the preferred one's (a success first).
   */
  otherExecutions?: RunRecord[]
}

export const runFile = (node: string, run: string) => `runs/${node}/${run}.json`
export const runLogFile = (node: string, run: string) => `runs/${node}/${run}.log`
