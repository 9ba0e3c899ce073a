// Rendering of runs for the node commands: one summary line per run, and a run's output streamed to the terminal.
import type {ExecuteResult, RunEvent} from '../core/node/execute.js'
import type {RunRecord} from '../core/model/run.js'
import {shortVersion} from '../base/version.js'
import {durationText} from './render.js'

export function versionsText(versions: Record<string, string>): string {
  const parts = Object.entries(versions)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, version]) => `${name}:${shortVersion(version as never)}`)
  return parts.length > 0 ? parts.join(',') : '-'
}

function duration(run: RunRecord): string {
  if (!run.endedAt) return ''
  return ` in ${durationText(Date.parse(run.endedAt) - Date.parse(run.startedAt))}`
}

export function runSummary(run: RunRecord): string {
  const exit = run.exitCode === null ? '' : ` (exit ${run.exitCode})`
  const why = run.reason ? `: ${run.reason}` : ''
  return `run ${run.id.slice(0, 8)} of node ${run.node.slice(0, 8)}: ${run.status}${exit}${duration(run)}${why}; outputs ${versionsText(run.outputs)}`
}

export function runEventLine(event: RunEvent): string | undefined {
  switch (event.type) {
    case 'run-memoized':
      return `run ${event.run.id.slice(0, 8)} already succeeded on these inputs (${versionsText(event.run.inputs)}) → outputs ${versionsText(event.run.outputs)}; not run again (use \`dkt node rerun ${event.run.node.slice(0, 8)}\` to force)`
    case 'run-started':
      return `run ${event.run.id.slice(0, 8)} of node ${event.run.node.slice(0, 8)} started on ${versionsText(event.run.inputs)}`
    case 'run-finished':
      return runSummary(event.run)
  }
}

/** Exit status of a command that ran nodes: 1 when any run did not succeed. */
export function runsExitCode(results: ExecuteResult[]): number {
  return results.every((result) => result.run.status === 'success') ? 0 : 1
}
