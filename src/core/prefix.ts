// Unique-prefix expansion of versions (as isomorphic-git's expandOid): exactly one match, or NotFound / Ambiguous.
import {AmbiguousError, InvalidArgumentError, NotFoundError} from '../base/errors.js'
import {ALGORITHMS, type Algorithm, type Version, shortVersion, versionAlgorithm, versionHex} from '../base/version.js'

export const MIN_PREFIX_LENGTH = 4

export interface ParsedPrefix {
  algorithm?: Algorithm
  hex: string
}

/** Parses `3dd2cc1d`, `sha1:3dd2cc1d` or `SHA1:3DD2…` into an optional algorithm and a lower-case hex prefix. */
export function parseVersionPrefix(text: string): ParsedPrefix {
  const colon = text.indexOf(':')
  let algorithm: Algorithm | undefined
  let hex = text
  if (colon >= 0) {
    const algo = text.slice(0, colon).toLowerCase() as Algorithm
    if (!ALGORITHMS.includes(algo)) {
      throw new InvalidArgumentError(`\`${text}\` is not a version: unknown algorithm \`${text.slice(0, colon)}\``)
    }
    algorithm = algo
    hex = text.slice(colon + 1)
  }
  hex = hex.toLowerCase()
  if (!/^[0-9a-f]+$/.test(hex)) throw new InvalidArgumentError(`\`${text}\` is not a version: expected hexadecimal digits`)
  if (hex.length < MIN_PREFIX_LENGTH) {
    throw new InvalidArgumentError(`version prefix \`${text}\` is too short; give at least ${MIN_PREFIX_LENGTH} hex digits`)
  }
  return {algorithm, hex}
}

/**
 * Expands `text` against the known versions of `subject` (a source name, for messages).
 * Throws NotFoundError when nothing matches and AmbiguousError when several do.
 */
export function expandVersion(text: string, candidates: Iterable<Version>, subject: string): Version {
  const {algorithm, hex} = parseVersionPrefix(text)
  const matches = new Set<Version>()
  for (const candidate of candidates) {
    if (algorithm && versionAlgorithm(candidate) !== algorithm) continue
    if (versionHex(candidate).startsWith(hex)) matches.add(candidate)
  }
  if (matches.size === 0) {
    throw new NotFoundError(`version \`${text}\` of source \`${subject}\` does not exist; see \`dkt source log ${subject}\``, {
      source: subject,
      version: text,
    })
  }
  if (matches.size > 1) {
    const shown = [...matches].slice(0, 4).map((v) => shortVersion(v)).join(', ')
    throw new AmbiguousError(`version prefix \`${text}\` of source \`${subject}\` is ambiguous (${shown}…); give more digits`, {
      source: subject,
      version: text,
      matches: [...matches],
    })
  }
  return [...matches][0]
}

/** Expands a hex ID prefix (node or run IDs) among `candidates`; `what` names the kind of object for messages. */
export function expandId(text: string, candidates: Iterable<string>, what: string, hint: string): string {
  const prefix = text.toLowerCase()
  if (!/^[0-9a-f]+$/.test(prefix)) throw new InvalidArgumentError(`\`${text}\` is not a ${what} ID (hexadecimal digits)`)
  if (prefix.length < MIN_PREFIX_LENGTH) {
    throw new InvalidArgumentError(`${what} ID prefix \`${text}\` is too short; give at least ${MIN_PREFIX_LENGTH} hex digits`)
  }
  const matches = [...new Set(candidates)].filter((id) => id.startsWith(prefix))
  if (matches.length === 0) throw new NotFoundError(`${what} \`${text}\` does not exist; see \`${hint}\``, {id: text})
  if (matches.length > 1) {
    throw new AmbiguousError(`${what} ID prefix \`${text}\` is ambiguous (${matches.slice(0, 4).map((m) => m.slice(0, 8)).join(', ')}); give more digits`, {
      id: text,
      matches,
    })
  }
  return matches[0]
}
