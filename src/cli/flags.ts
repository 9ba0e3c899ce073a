// Flags shared by several commands.
import {Args, Flags} from '@oclif/core'

import type {Secrets} from '../core/secrets.js'
import {KNOWN_KINDS, listKinds, SECRETS} from '../kinds/registry.js'

/** `github-token` → `DKT_GITHUB_TOKEN`: where a token flag may also come from. */
function envOf(secret: string): string {
  return `DKT_${secret.toUpperCase().replaceAll('-', '_')}`
}

/** Token flags of `init` and `clone`, one per secret a kind declares; each may also come from its DKT_* variable. */
export const tokenFlags = Object.fromEntries(
  SECRETS.map((secret) => [
    secret.name,
    Flags.string({description: secret.description, env: envOf(secret.name), ...(secret.dependsOn ? {dependsOn: [...secret.dependsOn]} : {})}),
  ]),
)

export function secretsFromFlags(flags: Partial<Record<string, unknown>>): Secrets {
  return Object.fromEntries(SECRETS.map((secret) => [secret.name, flags[secret.name] as string | undefined]))
}

export const kindFlag = Flags.string({char: 'k', description: `kind of the source: ${listKinds(KNOWN_KINDS)} (inferred when omitted)`})

/** The NAME argument of the source commands. */
export const sourceNameArg = Args.string({required: true, description: 'source name'})

/** The ID argument of the node commands. */
export const nodeIdArg = Args.string({required: true, description: 'node ID (any unique prefix)'})
