// How a run's states become durable: a recorder is told when a run starts and when it has ended, with what to write.
import {shortId} from '../ids.js'
import type {MetaRepo, Transaction} from '../meta-repo.js'
import {type NodeDef, nodeFile} from '../model/node.js'
import type {RunRecord} from '../model/run.js'

/** What recording one state of a run writes, inside the recorder's transaction. */
export type RunWrite = (tx: Transaction) => Promise<void>

export interface RunRecorder {
  /** The run is claimed and its command is about to start (`run.status` is `running`). */
  start(run: RunRecord, write: RunWrite): Promise<void>
  /** The run has ended (command, publishing, hook); resolves once its final state is durable. */
  finish(run: RunRecord, write: RunWrite): Promise<void>
}

export function runCommitMessage(run: RunRecord): string {
  return `node run ${shortId(run.node)}: run ${shortId(run.id)} ${run.status}`
}

/** Writes the node's definition unless it is recorded already (a node removed and defined again keeps its runs). */
export async function recordDefinition(repo: MetaRepo, node: NodeDef, tx: Transaction): Promise<void> {
  if (!(await repo.readJson(nodeFile(node.id)))) tx.writeJson(nodeFile(node.id), node)
}

/**
 * One commit when the run starts and one when it has ended. With `define`, the node's definition goes with the
 * run's first commit if it is not recorded yet: a run rejected before it starts then leaves no trace at all.
 */
export function commitEachState(repo: MetaRepo, define?: NodeDef): RunRecorder {
  const commit = async (run: RunRecord, write: RunWrite) =>
    repo.transaction(runCommitMessage(run), async (tx) => {
      if (define) await recordDefinition(repo, define, tx)
      await write(tx)
    })
  return {start: commit, finish: commit}
}
