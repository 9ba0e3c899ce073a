// Executing a node on each ref's input versions when it fans out over a TAG pattern input (one after another: two
// runs of one node at once would race to publish its outputs), or once when it does not.
import {InvalidArgumentError} from '../../base/errors.js'
import {findRef} from '../../kinds/ref-pattern.js'
import type {MetaRepo} from '../meta-repo.js'
import type {NodeDef} from '../model/node.js'
import {type ExecuteOptions, type ExecuteResult, executeRun} from './execute.js'
import {nodeInputSets} from './fan-out.js'

/**
 * A run per ref (memoized across refs: a ref at the same input versions as another reuses its run), or only for
 * `ref` (`main`, `pull/3` or a full ref name); one run for a node without a TAG pattern input.
 */
export async function executePerRef(repo: MetaRepo, node: NodeDef, options: ExecuteOptions & {onlyRef?: string}): Promise<ExecuteResult[]> {
  const fanOut = await nodeInputSets(repo, node)
  if (!fanOut) {
    if (options.onlyRef !== undefined) throw new InvalidArgumentError(`node ${node.id.slice(0, 8)} has no input whose TAG is a pattern; --ref does not apply`)
    return [await executeRun(repo, node, options)]
  }
  const {sets, missing} = fanOut
  if (missing.length > 0) {
    throw new InvalidArgumentError(`input ${missing.map((m) => `\`${m}\``).join(', ')} of node ${node.id.slice(0, 8)} follows no ref yet; run \`dkt source update\``)
  }
  const only = options.onlyRef === undefined ? undefined : findRef(options.onlyRef, sets.map((set) => set.ref as string))
  if (options.onlyRef !== undefined && only === undefined) {
    throw new InvalidArgumentError(`node ${node.id.slice(0, 8)} runs on no ref \`${options.onlyRef}\``)
  }
  const results: ExecuteResult[] = []
  for (const set of sets.filter((s) => only === undefined || s.ref === only)) {
    results.push(await executeRun(repo, node, {...options, inputs: set.versions, ref: set.ref as string}))
    if (options.signal?.aborted) break
  }
  return results
}
