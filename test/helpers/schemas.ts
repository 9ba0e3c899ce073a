// The JSON Schemas of schemas/, compiled once: `validators.get(name)` checks a value against `schemas/NAME.json`.
import {readdirSync, readFileSync} from 'node:fs'
import * as path from 'node:path'
import {Ajv} from 'ajv'

import {REPO_ROOT} from './cli.js'

export const ajv = new Ajv({allErrors: true, strict: true})
const schemaDir = path.join(REPO_ROOT, 'schemas')
const schemaFiles = readdirSync(schemaDir)
for (const file of schemaFiles) ajv.addSchema(JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')), file)
export const validators = new Map(schemaFiles.map((file) => [file.replace(/\.json$/, ''), ajv.getSchema(file) as NonNullable<ReturnType<typeof ajv.getSchema>>]))

/** An error text naming what does not match, or '' when `value` matches `schemas/NAME.json`. */
export function schemaErrors(name: string, value: unknown): string {
  const validate = validators.get(name)
  if (!validate) return `no schema ${name}`
  return validate(value) ? '' : ajv.errorsText(validate.errors)
}
