// Source-name rules (SPEC §4): valid UTF-8, non-empty, at most 200 bytes, none of `:` `/` `\` `*`.
import {InvalidNameError} from '../base/errors.js'

const FORBIDDEN = [':', '/', '\\', '*'] as const

/**
 * A name becomes one path component (`versions/NAME.jsonl`, written through `NAME.jsonl.tmp-PID-XXXXXXXX`): most
 * filesystems allow 255 bytes per component, and the longest suffix takes 27 (pid up to 7 digits). 200 leaves room.
 */
export const MAX_SOURCE_NAME_BYTES = 200

/** Returns why `name` is not a valid source name, or undefined when it is valid. */
export function sourceNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a source name cannot be empty'
  if (!name.isWellFormed()) return `source name ${JSON.stringify(name)} is not valid UTF-8`
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes > MAX_SOURCE_NAME_BYTES) return `a source name can be at most ${MAX_SOURCE_NAME_BYTES} bytes long; \`${name.slice(0, 20)}…\` has ${bytes}`
  const bad = FORBIDDEN.find((c) => name.includes(c))
  if (bad) return `source name \`${name}\` contains \`${bad}\`; names cannot contain : / \\ or *`
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `source name ${JSON.stringify(name)} contains a control character`
  if (name === '.' || name === '..' || name.startsWith('-')) return `source name \`${name}\` is reserved`
  return undefined
}

export function assertSourceName(name: string): void {
  const problem = sourceNameProblem(name)
  if (problem) throw new InvalidNameError(problem, {name})
}
