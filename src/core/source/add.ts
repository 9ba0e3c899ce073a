// `dkt source add`: define a source (kind inferred, shortcuts expanded, parent inherited) and record its first version.
import {existsSync} from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

import {inferKind, splitTag} from '../../kinds/infer.js'
import {assertKind, loadDriver} from '../../kinds/registry.js'
import {AlreadyExistsError, InvalidArgumentError} from '../../base/errors.js'
import type {DriverContext, KindDriver} from '../../kinds/driver.js'
import type {MetaRepo} from '../meta-repo.js'
import {compactJson} from '../../base/canonical-json.js'
import {type Observation, SOURCE_FORMAT, type SourceDef, sourceFile, versionsFile} from '../model/source.js'
import {assertSourceName} from '../names.js'
import {joinSubPath} from '../sub-path.js'
import {isPatternSource, refObservations, refStates, refUpdates} from './refs.js'
import {describeVersion, driverContext, driverFor, findSource, type SourceView, toSpec, toView, withRefs} from './store.js'

export interface AddSourceOptions {
  name: string
  /** `LOCATION[:TAG]`, a parent source's name, or undefined for a new temporary folder. */
  location?: string
  kind?: string
  path?: string
  /** The directory relative locations are relative to (the user's working directory). */
  cwd: string
  now: Date
}

async function assertNameFree(repo: MetaRepo, name: string): Promise<void> {
  if (await findSource(repo, name)) throw new AlreadyExistsError(`source \`${name}\` already exists`, {source: name})
}

/** The definition the arguments describe, before any network or disk access beyond the metadata. */
async function plan(repo: MetaRepo, options: AddSourceOptions) {
  const facts = {existsLocally: (loc: string) => existsSync(path.resolve(options.cwd, loc))}
  const split: {location?: string; tag?: string} = options.location === undefined ? {} : splitTag(options.location, facts)
  const parent = split.location === undefined ? undefined : await findSource(repo, split.location)
  if (options.kind !== undefined) assertKind(options.kind)
  if (parent) {
    return {
      kind: options.kind ?? parent.kind,
      location: parent.location,
      tag: split.tag ?? parent.tag,
      path: joinSubPath(parent.path, options.path),
      parent: parent.name,
      host: parent.host,
      resolved: true,
    }
  }
  const kind = options.kind ?? inferKind(split.location, facts)
  assertKind(kind)
  return {kind, location: split.location, tag: split.tag, path: joinSubPath(undefined, options.path), parent: undefined, host: undefined, resolved: false}
}

/** What a new source records: its current version, or for a TAG pattern each matching ref's (maybe none yet). */
async function firstObservations(driver: KindDriver, def: SourceDef, ctx: DriverContext, now: Date): Promise<Observation[]> {
  const observed = now.toISOString()
  if (!isPatternSource(def)) {
    const [version] = await driver.check(toSpec(def), undefined, ctx)
    return [{observed, version, info: await describeVersion(driver, toSpec(def), version, ctx)}]
  }
  if (!driver.checkRefs) throw new InvalidArgumentError(`a ${def.kind} source cannot follow a TAG pattern (\`${def.tag}\`)`)
  const latest = await driver.checkRefs(toSpec(def), ctx)
  const infos = new Map<string, Record<string, string> | undefined>()
  for (const [ref, version] of Object.entries(latest)) infos.set(ref, await describeVersion(driver, toSpec(def), version, ctx))
  return refObservations(refUpdates([], latest), observed, (update) => infos.get(update.ref))
}

export async function addSource(repo: MetaRepo, options: AddSourceOptions): Promise<SourceView> {
  assertSourceName(options.name)
  await assertNameFree(repo, options.name)
  const planned = await plan(repo, options)
  const driver = await loadDriver(planned.kind)
  const ctx = await driverContext(repo, planned.kind)
  const resolved = planned.resolved
    ? {kind: planned.kind, location: planned.location as string, tag: planned.tag, host: planned.host, created: undefined}
    : await driver.resolve({location: planned.location, tag: planned.tag, cwd: options.cwd}, ctx)
  try {
    const def: SourceDef = {
      format: SOURCE_FORMAT,
      name: options.name,
      kind: resolved.kind,
      location: resolved.location,
      tag: resolved.tag,
      path: planned.path,
      parent: planned.parent,
      ...(resolved.host ? {host: resolved.host} : {}),
    }
    // The kind may have changed in resolve (github sources are stored as git).
    const {driver: checker, ctx: checkCtx} = def.kind === planned.kind ? {driver, ctx} : await driverFor(repo, def.kind)
    const first = await firstObservations(checker, def, checkCtx, options.now)
    const origin = def.parent ? `from ${def.parent}${def.path ? `, path ${def.path}` : ''}` : `${def.kind} ${def.location}`
    return await repo.transaction(`source add ${def.name} (${origin})`, async (tx) => {
      await assertNameFree(repo, def.name)
      tx.writeJson(sourceFile(def.name), def)
      for (const observation of first) tx.appendLine(versionsFile(def.name), compactJson(observation))
      return isPatternSource(def) ? withRefs(def, refStates(def, first)) : toView(def, first[0].version)
    })
  } catch (error) {
    if (resolved.created) await fs.rm(resolved.created, {recursive: true, force: true})
    throw error
  }
}
