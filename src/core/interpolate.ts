// `${NAME:FIELD}` and `${KEY}` expansion, shell-safe by construction. Pure.
//
// - In a command's argv (run with shell: false), each token is substituted in place and never re-split, so a value
//   with spaces, quotes, `$(…)`, backticks or `;` reaches the program as one piece of data.
// - In a stored shell script (and hook commands, run by sh -c), `${NAME:FIELD}` is rewritten to a reference to the
//   environment variable that holds the value (`${tests_ROOT}`): the shell expands variables as data, never as
//   code, and this stays correct inside double quotes, where inserting quoted text would not.
import {InvalidArgumentError} from '../base/errors.js'

export const FIELD_REFERENCE = /\$\{([^\s{}:$]+):([A-Z][A-Z0-9_]*)\}/g
const KEY_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

export interface FieldValues {
  /** source name (or `run`) → field → value */
  fields: Record<string, Record<string, string>>
  /** private fields of .dkt/config */
  config: Record<string, string>
}

/** The environment variable that carries a source field: `app-tests`, `ROOT` → `app_tests_ROOT`. */
export function fieldEnvName(source: string, field: string): string {
  const safe = source.normalize('NFKD').replace(/[^A-Za-z0-9_]/g, '_')
  return `${/^[0-9]/.test(safe) ? `_${safe}` : safe}_${field}`
}

/** Every `${NAME:FIELD}` in a text. */
export function fieldReferences(text: string): {source: string; field: string}[] {
  return [...text.matchAll(FIELD_REFERENCE)].map((m) => ({source: m[1], field: m[2]}))
}

function fieldValue(values: FieldValues, source: string, field: string): string {
  const fields = values.fields[source]
  if (!fields) throw new InvalidArgumentError(`\`\${${source}:${field}}\` names \`${source}\`, which is not an input or output of this node`)
  const value = fields[field]
  if (value === undefined) {
    const known = Object.keys(fields).sort().join(', ')
    throw new InvalidArgumentError(`\`\${${source}:${field}}\`: source \`${source}\` has no field ${field} (it has ${known})`)
  }
  return value
}

/** Expands one argv token: `${NAME:FIELD}` from the fields, `${KEY}` from the private fields. */
export function expandToken(token: string, values: FieldValues): string {
  return token
    .replace(FIELD_REFERENCE, (_m, source: string, field: string) => fieldValue(values, source, field))
    .replace(KEY_REFERENCE, (_m, key: string) => {
      const value = values.config[key]
      if (value === undefined) throw new InvalidArgumentError(`\`\${${key}}\` is not a private field; set it with \`dkt config set ${key} VALUE\``)
      return value
    })
}

export function expandArgv(argv: string[], values: FieldValues): string[] {
  return argv.map((token) => expandToken(token, values))
}

/**
 * Rewrites `${NAME:FIELD}` in shell text to `${ENV_NAME}`; `${KEY}` already is a shell variable reference.
 * Unknown sources and fields are errors, so they are found before anything runs.
 */
export function rewriteShellText(text: string, values: FieldValues): string {
  return text.replace(FIELD_REFERENCE, (_m, source: string, field: string) => {
    fieldValue(values, source, field)
    return `\${${fieldEnvName(source, field)}}`
  })
}

/** The environment a run gets: every field as NAME_FIELD, and every private field whose key is a valid name. */
export function fieldEnvironment(values: FieldValues): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(values.config)) {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) env[key] = value
  }
  for (const [source, fields] of Object.entries(values.fields)) {
    for (const [field, value] of Object.entries(fields)) env[fieldEnvName(source, field)] = value
  }
  return env
}

/** A command line as a person would type it back: tokens with spaces or shell characters single-quoted. */
export function commandText(argv: string[]): string {
  return argv.map((token) => (/^[\w@%+=:,./${}-]+$/.test(token) ? token : `'${token.replace(/'/g, "'\\''")}'`)).join(' ')
}
