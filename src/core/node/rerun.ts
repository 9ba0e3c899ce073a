// `dkt node rerun`: force a new run of a node and, with downstream, of every node reachable from its outputs.
import {downstreamOrder} from '../graph.js'
import type {MetaRepo} from '../meta-repo.js'
import {type ExecuteOptions, type ExecuteResult, executeRun} from './execute.js'
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
    const result = await executeRun(repo, node, {...options, force: true})
    results.push(result)
    // What is downstream of a failed run has no new input to run on.
    if (result.run.status !== 'success' || options.signal?.aborted) break
  }
  return results
}
