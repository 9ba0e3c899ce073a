// Pure rules that turn a LOCATION[:TAG] argument into a location, a tag and a kind (SPEC §4).
import {AmbiguousError, InvalidArgumentError, NotFoundError} from '../base/errors.js'
import {isRefPattern} from './ref-pattern.js'

export interface LocationFacts {
  /** Whether the location names an existing local file or folder. */
  existsLocally: (location: string) => boolean
}

/**
 * Splits `LOCATION[:TAG]`. The tag is what follows the last `:` when that part has no `/` (so URL schemes,
 * `host:port/…` and scp-style `host:path/repo` keep their colons), or when it is a ref pattern (`release/*`, `pull/*`);
 * a location that exists locally is never split.
 */
export function splitTag(text: string, facts: LocationFacts): {location: string; tag?: string} {
  if (facts.existsLocally(text)) return {location: text}
  const colon = text.lastIndexOf(':')
  if (colon <= 0 || colon === text.length - 1) return {location: text}
  const tag = text.slice(colon + 1)
  if ((tag.includes('/') && !isRefPattern(tag)) || /^\d+$/.test(tag)) return {location: text}
  return {location: text.slice(0, colon), tag}
}

const USER_REPO = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/
const SCP_LIKE = /^[\w.-]+@[\w.-]+:/
const REGISTRY_REF = /^[\w-]+(\.[\w-]+)+(:\d+)?\/|^[\w-]+:\d+\/|^localhost(:\d+)?\//

function looksLikePath(location: string): boolean {
  return /^(\/|\.\.?(\/|$)|~)/.test(location)
}

/** The kind a location implies, without `-k`. Throws when it cannot be told (missing path, `user/repo`, …). */
export function inferKind(location: string | undefined, facts: LocationFacts): string {
  if (location === undefined) return 'path'
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase()
  if (scheme) {
    if (scheme === 's3') return 's3'
    if (scheme === 'docker') return 'docker'
    if (/^https?$/.test(scheme) && /^https?:\/\/rink\.hockeyapp\.net\//i.test(location)) return 'hockeyapp'
    if (['git', 'ssh', 'git+ssh', 'file', 'http', 'https'].includes(scheme)) return 'git'
    throw new InvalidArgumentError(`cannot infer the kind of \`${location}\`: unknown URL scheme \`${scheme}\`; pass -k KIND`)
  }
  if (SCP_LIKE.test(location)) return 'git'
  if (facts.existsLocally(location)) return location.endsWith('.git') ? 'git' : 'path'
  if (looksLikePath(location)) throw new NotFoundError(`local path \`${location}\` does not exist`, {location})
  if (location.endsWith('.git')) return 'git'
  if (REGISTRY_REF.test(location)) return 'docker'
  if (USER_REPO.test(location)) {
    throw new AmbiguousError(
      `\`${location}\` could be a GitHub repository or a Docker image; pass -k github or -k docker`,
      {location},
    )
  }
  throw new InvalidArgumentError(
    `cannot infer the kind of \`${location}\`: it is not an existing path, a URL or user/repo; pass -k KIND`,
    {location},
  )
}
