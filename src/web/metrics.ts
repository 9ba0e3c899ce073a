// `/metrics` in Prometheus' text format: runs by node and status, run durations, due and running counts, sources and
// the scheduler's checks of them.
import {allRuns} from '../core/history.js'
import type {MetaRepo} from '../core/meta-repo.js'
import type {RunIndex} from '../core/node/run-index.js'
import {readChecks, type SourceCheck} from '../core/source/checks.js'
import type {SourceDef} from '../core/model/source.js'
import {loadAllSources, readObservations} from '../core/source/store.js'
import {projectStatus} from '../core/status.js'

const DURATION_BUCKETS = [1, 5, 15, 60, 300, 900, 3600]

/** A label value as Prometheus reads it: backslash, quote and newline escaped. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function family(name: string, type: string, help: string, samples: string[]): string {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples].join('\n')
}

/** Checks and failed checks summed by kind, and each source's last successful check (of the sources that exist). */
function checkFamilies(sources: SourceDef[], checks: Map<string, SourceCheck>): string[] {
  const kinds = [...new Set(sources.map((def) => def.kind))]
  const total = (kind: string, count: (check: SourceCheck) => number) =>
    sources.filter((def) => def.kind === kind).reduce((sum, def) => sum + (checks.has(def.name) ? count(checks.get(def.name) as SourceCheck) : 0), 0)
  const perSource = (value: (check: SourceCheck) => number | undefined) =>
    sources.flatMap((def) => {
      const check = checks.get(def.name)
      const number = check && value(check)
      return number === undefined ? [] : [`{source="${label(def.name)}",kind="${label(def.kind)}"} ${number}`]
    })
  return [
    family('dkt_source_checks_total', 'counter', 'Checks of sources by the scheduler, by kind.', kinds.map((kind) => `dkt_source_checks_total{kind="${label(kind)}"} ${total(kind, (c) => c.checks)}`)),
    family('dkt_source_check_failures_total', 'counter', 'Checks of sources that failed, by kind.', kinds.map((kind) => `dkt_source_check_failures_total{kind="${label(kind)}"} ${total(kind, (c) => c.failures)}`)),
    family(
      'dkt_source_last_successful_check_timestamp_seconds',
      'gauge',
      'When the scheduler last checked each source successfully.',
      perSource((c) => (c.lastSuccess ? Date.parse(c.lastSuccess) / 1000 : undefined)).map((sample) => `dkt_source_last_successful_check_timestamp_seconds${sample}`),
    ),
    family(
      'dkt_source_consecutive_check_failures',
      'gauge',
      'Checks of each source that failed in a row (0: the last one succeeded).',
      perSource((c) => c.consecutiveFailures).map((sample) => `dkt_source_consecutive_check_failures${sample}`),
    ),
  ]
}

export async function metricsText(repo: MetaRepo, index: RunIndex): Promise<string> {
  const [runs, statuses, sources] = await Promise.all([allRuns(repo, index), projectStatus(repo, {runsOf: index.runsOf}), loadAllSources(repo)])
  const byNodeStatus = new Map<string, number>()
  for (const run of runs) {
    const key = `node="${run.node}",status="${run.status}"`
    byNodeStatus.set(key, (byNodeStatus.get(key) ?? 0) + 1)
  }
  const durations = runs.filter((run) => run.endedAt).map((run) => (Date.parse(run.endedAt as string) - Date.parse(run.startedAt)) / 1000)
  const buckets = DURATION_BUCKETS.map((le) => `dkt_run_duration_seconds_bucket{le="${le}"} ${durations.filter((d) => d <= le).length}`)
  const lastNew = await Promise.all(
    sources.map(async (def) => {
      const last = (await readObservations(repo, def.name)).at(-1)
      return last ? `dkt_source_last_new_version_timestamp_seconds{source="${label(def.name)}",kind="${label(def.kind)}"} ${Date.parse(last.observed) / 1000}` : undefined
    }),
  )
  return `${[
    family('dkt_runs', 'gauge', 'Recorded runs by node and status.', [...byNodeStatus].map(([key, count]) => `dkt_runs{${key}} ${count}`)),
    family('dkt_run_duration_seconds', 'histogram', 'How long ended runs took.', [
      ...buckets,
      `dkt_run_duration_seconds_bucket{le="+Inf"} ${durations.length}`,
      `dkt_run_duration_seconds_sum ${durations.reduce((sum, d) => sum + d, 0)}`,
      `dkt_run_duration_seconds_count ${durations.length}`,
    ]),
    family('dkt_nodes_due', 'gauge', 'Nodes that would run now.', [`dkt_nodes_due ${statuses.filter((s) => s.due).length}`]),
    family('dkt_runs_running', 'gauge', 'Runs being executed now.', [`dkt_runs_running ${runs.filter((run) => run.status === 'running').length}`]),
    family('dkt_sources', 'gauge', 'Sources by kind.', [...new Set(sources.map((def) => def.kind))].map((kind) => `dkt_sources{kind="${label(kind)}"} ${sources.filter((def) => def.kind === kind).length}`)),
    family(
      'dkt_source_last_new_version_timestamp_seconds',
      'gauge',
      'When dkt last observed a new version of each source (checks that find nothing new are not recorded).',
      lastNew.filter((line): line is string => line !== undefined),
    ),
    ...checkFamilies(sources, readChecks(repo.project)),
  ].join('\n')}\n`
}
