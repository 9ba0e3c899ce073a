// `dkt node rm`: remove a node definition; its runs stay in the history.
import {shortId} from '../ids.js'
import type {MetaRepo} from '../meta-repo.js'
import {nodeFile} from '../model/node.js'
import {resolveNode} from './store.js'

export async function removeNode(repo: MetaRepo, options: {node: string}): Promise<{id: string}> {
  const node = await resolveNode(repo, options.node)
  return repo.transaction(`node rm ${shortId(node.id)}`, (tx) => {
    tx.remove(nodeFile(node.id))
    return {id: node.id}
  })
}
