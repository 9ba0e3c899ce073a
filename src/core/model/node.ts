// A compute node definition (`nodes/ID.json`): its command (and stored script), labels, inputs, outputs, hooks.
export const NODE_FORMAT = 1

export interface StoredScript {
  /** Path of the script relative to the project root, `/`-separated. */
  path: string
  /** sha256 of `content`. */
  digest: string
  content: string
}

export interface NodeDef {
  format: number
  /** sha256 hex of the canonical identity (see core/ids.ts). */
  id: string
  command: string[]
  script?: StoredScript
  labels: string[]
  inputs: string[]
  outputs: string[]
  image?: string
  onSuccess?: string
  onFailure?: string
}

export const nodeFile = (id: string) => `nodes/${id}.json`
