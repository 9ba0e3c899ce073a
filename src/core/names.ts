// Source-name rules (SPEC §4): valid UTF-8, non-empty, none of `:` `/` `\` `*`.
import {InvalidNameError} from '../base/errors.js'

const FORBIDDEN = [':', '/', '\\', '*'] as const

/** Returns why `name` is not a valid source name, or undefined when it is valid. */
export function sourceNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a source name cannot be empty'
  if (!name.isWellFormed()) return `source name ${JSON.stringify(name)} is not valid UTF-8`
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
