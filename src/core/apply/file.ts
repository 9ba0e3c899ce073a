// Reading a pipeline file (`dkt.yml`): YAML with positions, checked against its JSON Schema, names checked by dkt's
// rules; every problem is one sentence naming the file, the line and the field.
import {DktError, EXIT_BAD_INPUT} from '../../base/errors.js'
import {sourceNameProblem} from '../names.js'
import {PIPELINE_SCHEMA} from './schema.js'

export interface FileSource {
  kind?: string
  location?: string
  tag?: string
  from?: string
  path?: string
  pin?: string
  paused?: boolean
  host?: string
}

export interface FileNode {
  command?: string[]
  script?: string
  args?: string[]
  inputs?: string[]
  outputs?: string[]
  labels?: string[]
  image?: string
  network?: string
  'on-success'?: string
  'on-failure'?: string
}

export interface PipelineData {
  format?: number
  sources?: Record<string, FileSource>
  nodes?: Record<string, FileNode>
}

/** A field of the file: keys of maps and indexes of lists, from the top (`['nodes', 'build', 'inputs', 1]`). */
export type FieldPath = (string | number)[]

/** A problem in the pipeline file; its exit code is the cause's when a field led to a failed operation (1). */
export class PipelineFileError extends DktError {}

export interface PipelineFile {
  /** How messages name the file (the path the user gave). */
  name: string
  data: PipelineData
  /** `FILE:LINE: FIELD: message` as an error, exit 2 unless a cause says otherwise. */
  error(field: FieldPath, message: string, cause?: unknown): PipelineFileError
}

/** `nodes.build.inputs[1]` */
export function fieldText(field: FieldPath): string {
  return field.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('')
}

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

export function nodeNameProblem(name: string): string | undefined {
  if (NODE_NAME.test(name)) return undefined
  return `node name \`${name}\` must start with a letter or digit and hold only letters, digits, \`.\`, \`_\` and \`-\` (100 at most)`
}

/** The parsed YAML tree, kept for positions (the `yaml` package is loaded only by the commands that read a file). */
type YamlModule = typeof import('yaml')

function lineOf(yaml: YamlModule, doc: import('yaml').Document, lines: import('yaml').LineCounter, field: FieldPath): number {
  let node: unknown = doc.contents
  let offset = 0
  for (const part of field) {
    if (yaml.isMap(node)) {
      const pair = node.items.find((item) => yaml.isScalar(item.key) && String(item.key.value) === String(part))
      if (!pair) break
      offset = (pair.key as import('yaml').Scalar).range?.[0] ?? offset
      node = pair.value
    } else if (yaml.isSeq(node) && typeof part === 'number' && node.items[part]) {
      node = node.items[part]
      offset = (node as import('yaml').Node).range?.[0] ?? offset
    } else break
  }
  return lines.linePos(offset).line
}

interface SchemaError {
  keyword: string
  instancePath: string
  schemaPath: string
  params: Record<string, unknown>
  data?: unknown
}

/** One sentence for the first thing the schema refused, and the field it is about. */
function schemaProblem(error: SchemaError, data: unknown): {field: FieldPath; message: string} {
  const field: FieldPath = []
  let value = data
  for (const raw of error.instancePath.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    const part = Array.isArray(value) ? Number(key) : key
    field.push(part)
    value = (value as Record<string, unknown>)?.[key]
  }
  const inNodes = field[0] === 'nodes'
  const types: Record<string, string> = {array: 'a list', object: 'a map', string: 'a string', boolean: 'true or false'}
  switch (error.keyword) {
    case 'required':
      return {field, message: `missing field \`${error.params.missingProperty}\``}
    case 'additionalProperties': {
      const {properties} = PIPELINE_SCHEMA
      const known = field.length === 0 ? properties : inNodes ? properties.nodes.additionalProperties.properties : properties.sources.additionalProperties.properties
      const unknown = String(error.params.additionalProperty)
      return {field: [...field, unknown], message: `unknown field \`${unknown}\` (known: ${Object.keys(known).join(', ')})`}
    }
    case 'type':
      return {field, message: `must be ${types[String(error.params.type)] ?? String(error.params.type)}`}
    case 'const':
      return {field, message: `must be ${JSON.stringify(error.params.allowedValue)}`}
    case 'minItems':
    case 'minLength':
      return {field, message: 'cannot be empty'}
    case 'pattern':
      return {field, message: `\`${String(value)}\` is not a version (ALGO:HEX, or a unique prefix of 4 or more hex digits)`}
    case 'anyOf':
      return {field, message: 'a node needs `command` (a list: the program and its arguments) or `script` (a script of the project)'}
    case 'not':
      return inNodes
        ? {field, message: 'give either `command` or `script` (with `args`), not both'}
        : {field: [...field, 'location'], message: 'a derived source (`from`) takes its location from its parent; remove `location`'}
    default:
      return {field, message: `does not match the schema (${error.keyword})`}
  }
}

let validator: Promise<((value: unknown) => boolean) & {errors?: SchemaError[] | null}> | undefined

async function schemaValidator() {
  validator ??= import('ajv').then(({Ajv}) => new Ajv({allErrors: false, strict: true}).compile(PIPELINE_SCHEMA))
  return validator
}

/** Parses and checks `text` (the content of the file `name`): structure, then names. */
export async function parsePipelineFile(text: string, name: string): Promise<PipelineFile> {
  const yaml = await import('yaml')
  const lines = new yaml.LineCounter()
  const doc = yaml.parseDocument(text, {lineCounter: lines, prettyErrors: false})
  const error = (field: FieldPath, message: string, cause?: unknown) => {
    const where = field.length > 0 ? `${fieldText(field)}: ` : ''
    const exitCode = cause instanceof DktError ? cause.exitCode : EXIT_BAD_INPUT
    return new PipelineFileError(`${name}:${lineOf(yaml, doc, lines, field)}: ${where}${message}`, {exitCode, cause})
  }
  const syntax = doc.errors[0]
  if (syntax) {
    // An error at the end of the input (an unclosed list) is on the last line that holds something.
    const line = lines.linePos(Math.min(syntax.pos[0], text.trimEnd().length)).line
    throw new PipelineFileError(`${name}:${line}: not valid YAML: ${syntax.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, {exitCode: EXIT_BAD_INPUT})
  }
  const data = (doc.toJS() ?? {}) as PipelineData
  const validate = await schemaValidator()
  if (!validate(data)) {
    const errors = validate.errors ?? []
    const problem = schemaProblem(errors[errors.length - 1], data)
    throw error(problem.field, problem.message)
  }
  data.sources = Object.fromEntries(Object.entries(data.sources ?? {}).map(([source, fields]) => [source, fields ?? {}]))
  data.nodes ??= {}
  for (const source of Object.keys(data.sources)) {
    const problem = sourceNameProblem(source)
    if (problem) throw error(['sources', source], problem)
  }
  for (const node of Object.keys(data.nodes)) {
    const problem = nodeNameProblem(node)
    if (problem) throw error(['nodes', node], problem)
  }
  return {name, data, error}
}
