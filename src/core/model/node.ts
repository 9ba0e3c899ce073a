// A compute node definition (`nodes/ID.json`): its command (and stored script), labels, inputs, outputs, hooks.
import type {NodeIdentity} from '../ids.js'

export const NODE_FORMAT = 1

export interface StoredScript {
  /** Path of the script relative to the project root, `/`-separated. */
  path: string
  /** sha256 of `content`. */
  digest: string
  content: string
}

/** The node's identity (see core/ids.ts) as recorded, with its stored script instead of the script's digest. */
export interface NodeDef extends Omit<NodeIdentity, 'scriptDigest'> {
  format: number
  /** sha256 hex of the canonical identity. */
  id: string
  script?: StoredScript
  /** The node's name in a pipeline file (`dkt apply`); not part of its identity, so renaming keeps the ID. */
  name?: string
}

export const nodeFile = (id: string) => `nodes/${id}.json`
