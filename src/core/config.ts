// Private fields in `.dkt/config` (a JSON object, mode 0600): `${KEY}` in commands, and settings such as
// `github.url`. Never committed, and only keys are ever shown.
import {type Stats, statSync} from 'node:fs'
import {readFile} from 'node:fs/promises'

import {InvalidArgumentError} from '../base/errors.js'
import {parseMetadataJson} from './metadata-parse.js'
import type {Project} from './project.js'

const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/

/** Settings whose value is checked when set: read later during a run, a bad one could only be ignored there. */
const CHECKED_SETTINGS: Record<string, {pattern: RegExp; expected: string}> = {
  'github.statuses': {pattern: /^(true|false)$/, expected: 'true or false'},
  'github.api-url': {pattern: /^https?:\/\/\S+$/, expected: 'an http(s) URL'},
  'serve.url': {pattern: /^https?:\/\/\S+$/, expected: 'an http(s) URL'},
}

async function openConfig(project: Project) {
  const {default: Conf} = await import('conf')
  return new Conf<Record<string, string>>({
    cwd: project.dktDir,
    configName: 'config',
    fileExtension: '',
    projectSuffix: '',
    configFileMode: 0o600,
    accessPropertiesByDotNotation: false,
  })
}

export function assertConfigKey(key: string): void {
  if (!KEY_PATTERN.test(key)) {
    throw new InvalidArgumentError(`config key \`${key}\` is not valid; use letters, digits, \`_\`, \`.\` and \`-\`, starting with a letter`)
  }
}

export async function setConfig(project: Project, options: {key: string; value: string}): Promise<{key: string}> {
  assertConfigKey(options.key)
  const checked = CHECKED_SETTINGS[options.key]
  if (checked && !checked.pattern.test(options.value)) throw new InvalidArgumentError(`config \`${options.key}\` must be ${checked.expected}`)
  const config = await openConfig(project)
  config.set(options.key, options.value)
  return {key: options.key}
}

export async function unsetConfig(project: Project, options: {key: string}): Promise<{key: string; removed: boolean}> {
  assertConfigKey(options.key)
  const config = await openConfig(project)
  const removed = config.has(options.key)
  config.delete(options.key)
  return {key: options.key, removed}
}

export async function listConfigKeys(project: Project): Promise<string[]> {
  return Object.keys((await openConfig(project)).store).sort()
}

let cached: {file: string; mtimeMs: number; size: number; values: Record<string, string>} | undefined

function statOrNothing(file: string): Stats | undefined {
  try {
    return statSync(file)
  } catch {
    return undefined
  }
}

/**
 * All private fields; for the core only (interpolation, drivers), never for rendering. Read as plain JSON and
 * cached while the file is unchanged: runs and drivers ask for it many times per command.
 */
export async function readConfig(project: Project): Promise<Record<string, string>> {
  const file = `${project.dktDir}/config`
  // Synchronous: a stat costs microseconds, where a promise-based one is a thread-pool round trip at every run.
  const info = statOrNothing(file)
  if (!info) return {}
  if (cached?.file === file && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return {...cached.values}
  // Never committed, so git cannot restore it: the user fixes it, or removes it and sets the fields again.
  const values = parseMetadataJson<Record<string, string>>('config', await readFile(file, 'utf8'), 'fix it, or remove it and set its fields again with `dkt config set`')
  cached = {file, mtimeMs: info.mtimeMs, size: info.size, values}
  return {...values}
}
