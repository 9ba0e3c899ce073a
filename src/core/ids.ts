// Deterministic IDs: a node's is the hash of its canonical definition, a run's the hash of its node and input
// versions. Pure; a changed golden value here is a format break.
import {createHash} from 'node:crypto'

import {compactJson} from '../base/canonical-json.js'
import type {Version} from '../base/version.js'

export const SHORT_ID_LENGTH = 8

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** What makes a node what it is. Order of inputs, outputs and labels does not matter. */
export interface NodeIdentity {
  command: string[]
  /** sha256 of the stored script's content, when the command names a script in the project. */
  scriptDigest?: string
  labels: string[]
  inputs: string[]
  outputs: string[]
  image?: string
  /** Docker network mode for a container run (absent: no network). */
  network?: string
  onSuccess?: string
  onFailure?: string
}

export function nodeId(identity: NodeIdentity): string {
  const sorted = (list: string[]) => [...new Set(list)].sort()
  return sha256Hex(
    compactJson({
      command: identity.command,
      scriptDigest: identity.scriptDigest,
      labels: sorted(identity.labels),
      inputs: sorted(identity.inputs),
      outputs: sorted(identity.outputs),
      image: identity.image,
      network: identity.network,
      onSuccess: identity.onSuccess,
      onFailure: identity.onFailure,
    }),
  )
}

/**
 * The run of a node on a set of input versions. A forced re-execution (attempt 2, 3, …) gets its own ID, so that
 * no run's manifest is ever rewritten by another run.
 */
export function runId(node: string, inputs: Record<string, Version>, attempt = 1): string {
  const sortedInputs = Object.fromEntries(Object.entries(inputs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  return sha256Hex(compactJson(attempt === 1 ? {inputs: sortedInputs, node} : {attempt, inputs: sortedInputs, node}))
}

export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH)
}
