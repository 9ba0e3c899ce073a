// One result shape for every way a run can end (as execa's result): success and failure are data, not exceptions.
export interface RunOutcome {
  status: 'success' | 'failure' | 'error' | 'cancelled'
  exitCode: number | null
  signal: string | null
  /** One sentence when the command could not run or was cancelled. */
  reason: string | null
  output: string
  truncated: boolean
  startedAt: Date
  endedAt: Date
}

export type OutputListener = (stream: 'stdout' | 'stderr', chunk: Buffer) => void

/** The reason recorded for a run stopped by Ctrl-C (the scheduler's second one, or `node run`'s). */
export const CANCELLED_BY_USER = 'cancelled by the user'
