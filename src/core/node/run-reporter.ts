// What hears about a run as it goes, beside its record (commit statuses on the git host): told when the run starts
// and when it has ended. A reporter never fails a run: it keeps and reports its own failures.
import type {RunRecord} from '../model/run.js'

export interface RunReporter {
  /** The run has started (its `running` state is recorded); what this sends goes on while the command runs. */
  started(run: RunRecord): void
  /** The run's final state is recorded; resolves once it has been sent (or queued to be sent later). */
  finished(run: RunRecord): Promise<void>
}

export const SILENT_REPORTER: RunReporter = {started() {}, finished: async () => {}}
