// `dkt source fetch SOURCE:VERSION DIR`: materialize a recorded version of a source into a folder.
import {existsSync, readdirSync} from 'node:fs'
import {cp, mkdir} from 'node:fs/promises'
import * as path from 'node:path'

import {AlreadyExistsError} from '../../base/errors.js'
import type {MetaRepo} from '../meta-repo.js'
import type {Version} from '../../base/version.js'
import {parseSourceVersion} from './link.js'
import {driverFor, loadSource, resolveSourceVersion, toSpec} from './store.js'

export async function fetchSource(
  repo: MetaRepo,
  options: {target: string; dir: string; cwd: string},
): Promise<{source: string; version: Version; dir: string; fields: Record<string, string>}> {
  const {source, version: text} = parseSourceVersion(options.target)
  const def = await loadSource(repo, source)
  const version = await resolveSourceVersion(repo, def, text)
  const dir = path.resolve(options.cwd, options.dir)
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new AlreadyExistsError(`\`${options.dir}\` exists and is not empty`)
  await mkdir(dir, {recursive: true})
  const {driver, ctx} = await driverFor(repo, def.kind)
  const fields = await driver.fetch(toSpec(def), version, dir, ctx)
  // Kinds that read in place (path) give their own folder as ROOT: copy it, so DIR holds the version.
  if (fields.ROOT && path.resolve(fields.ROOT) !== dir) {
    await cp(fields.ROOT, dir, {recursive: true, filter: (src) => !/[/\\]\.(dkt|git)$/.test(src)})
  }
  return {source, version, dir, fields: {...fields, ROOT: dir}}
}
