// Run records as the due rule reads them, for the tests of the rule and of the cache of due states.
import type {Version} from '../../src/base/version.js'
import {runId} from '../../src/core/ids.js'
import type {NodeDef} from '../../src/core/model/node.js'
import type {RunRecord, RunStatus} from '../../src/core/model/run.js'

/** A run of `node` on `inputs` (attempt 1 unless `extra` says otherwise), with `extra`'s fields. */
export function runRecord(node: NodeDef, inputs: Record<string, Version>, status: RunStatus, extra: Partial<RunRecord> = {}): RunRecord {
  const attempt = extra.attempt ?? 1
  return {id: runId(node.id, inputs, attempt), key: runId(node.id, inputs), attempt, node: node.id, inputs, status, reason: null, ...extra} as RunRecord
}
