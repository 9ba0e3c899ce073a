// The Version value type: `ALGO:HEX` (sha1 git commit, sha256 image digest, md5 content digest) and its short form.
import {InvalidArgumentError} from './errors.js'

export const ALGORITHMS = ['sha1', 'sha256', 'md5'] as const
export type Algorithm = (typeof ALGORITHMS)[number]

/** A full version identifier, always lower-case: `sha1:1bf6cb20…`. */
export type Version = `${Algorithm}:${string}`

const HEX_LENGTH: Record<Algorithm, number> = {md5: 32, sha1: 40, sha256: 64}
export const SHORT_LENGTH = 8

export function makeVersion(algorithm: Algorithm, hex: string): Version {
  const lower = hex.toLowerCase()
  if (lower.length !== HEX_LENGTH[algorithm] || !/^[0-9a-f]+$/.test(lower)) {
    throw new InvalidArgumentError(`\`${hex}\` is not a ${algorithm} digest`)
  }
  return `${algorithm}:${lower}`
}

export function parseVersion(text: string): Version {
  const colon = text.indexOf(':')
  const algorithm = text.slice(0, colon).toLowerCase() as Algorithm
  if (colon < 0 || !ALGORITHMS.includes(algorithm)) {
    throw new InvalidArgumentError(`\`${text}\` is not a version; versions look like sha1:HEX, sha256:HEX or md5:HEX`)
  }
  return makeVersion(algorithm, text.slice(colon + 1))
}

export function versionAlgorithm(version: Version): Algorithm {
  return version.slice(0, version.indexOf(':')) as Algorithm
}

export function versionHex(version: Version): string {
  return version.slice(version.indexOf(':') + 1)
}

/** The first 8 hex digits, as tables show them. */
export function shortVersion(version: Version): string {
  return versionHex(version).slice(0, SHORT_LENGTH)
}
