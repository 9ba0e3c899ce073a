// `dkt node rerun`: force a new run of a node and, with downstream, of every node reachable from its outputs.
import {downstreamOrder} from '../graph.js'
import type {MetaRepo} from '../meta-repo.js'
import type {ExecuteOptions, ExecuteResult} from './execute.js'
import {executePerRef} from './run-refs.js'
import {loadAllNodes, resolveNode} from './store.js'

export async function rerunNode(
  repo: MetaRepo,
  options: {node: string; downstream?: boolean} & Omit<ExecuteOptions, 'force' | 'recorder'>,
): Promise<ExecuteResult[]> {
  const start = await resolveNode(repo, options.node)
  const all = await loadAllNodes(repo)
  const order = [start, ...(options.downstream ? downstreamOrder(all, start) : [])]
  const results: ExecuteResult[] = []
  for (const graphNode of order) {
    const node = all.find((n) => n.id === graphNode.id) ?? start
    // A node fanned out over refs runs again on each (see run-refs.ts).
    const ran = await executePerRef(repo, node, {...options, force: true})
    results.push(...ran)
    // What is downstream of a failed run has no new input to run on.
    if (ran.some((result) => result.run.status !== 'success') || options.signal?.aborted) break
  }
  return results
}
