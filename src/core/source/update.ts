// `dkt source update` and `source list --refresh`: check sources now and record each new version, in one commit.
import pMap from 'p-map'

import {compactJson} from '../../base/canonical-json.js'
import {DktError, GitFailedError, InvalidArgumentError} from '../../base/errors.js'
import {machineName} from '../../base/host.js'
import {livesOn} from '../labels.js'
import type {MetaRepo} from '../meta-repo.js'
import {type Observation, type SourceDef, versionsFile} from '../model/source.js'
import {shortVersion, type Version} from '../../base/version.js'
import {isPatternSource, refObservations, type RefUpdate, refUpdates} from './refs.js'
import {describeVersion, type DriverCache, driverCache, lastObserved, loadRefStates, loadSource, toSpec} from './store.js'

export interface UpdateResult {
  name: string
  /** Null for a TAG pattern source: its refs each have their own, in `refs`. */
  previous: Version | null
  version: Version | null
  changed: boolean
  /** What the driver told about a new version (see KindDriver.describe). */
  info?: Record<string, string>
  /** Only for a TAG pattern source: every ref it followed or follows now; a null version means the ref is gone. */
  refs?: RefUpdate[]
}

/** A check's result, with the observations it records (one per new version, or per ref update). */
interface Checked {
  result: UpdateResult
  observations: Observation[]
}

export interface UpdateFailure {
  name: string
  error: DktError
}

async function checkOne(repo: MetaRepo, def: SourceDef, drivers: DriverCache, now: Date): Promise<Checked> {
  // Its folder is on that machine: a folder of the same name here is another one.
  if (!livesOn(def, machineName())) {
    throw new InvalidArgumentError(`path source \`${def.name}\` lives on ${def.host}, not on this machine (${machineName()}); update it there`, {source: def.name})
  }
  if (isPatternSource(def)) return checkRefsOf(repo, def, drivers, now)
  const previous = (await lastObserved(repo, def.name)) ?? null
  const {driver, ctx} = await drivers.driverFor(def.kind)
  const versions = await driver.check(toSpec(def), previous ?? undefined, ctx)
  const version = versions.at(-1) as Version
  const changed = version !== previous
  const info = changed ? await describeVersion(driver, toSpec(def), version, ctx) : undefined
  const observations = changed ? [{observed: now.toISOString(), version, info}] : []
  return {result: {name: def.name, previous, version, changed, info}, observations}
}

/** A TAG pattern source: one listing of the remote gives every matching ref's latest version. */
async function checkRefsOf(repo: MetaRepo, def: SourceDef, drivers: DriverCache, now: Date): Promise<Checked> {
  const {driver, ctx} = await drivers.driverFor(def.kind)
  if (!driver.checkRefs) throw new InvalidArgumentError(`a ${def.kind} source cannot follow a TAG pattern (\`${def.tag}\`)`)
  const refs = refUpdates(await loadRefStates(repo, def), await driver.checkRefs(toSpec(def), ctx))
  const infos = new Map<string, Record<string, string> | undefined>()
  for (const update of refs) {
    if (update.changed && update.version) infos.set(update.ref, await describeVersion(driver, toSpec(def), update.version, ctx))
  }
  const observations = refObservations(refs, now.toISOString(), (update) => infos.get(update.ref))
  return {result: {name: def.name, previous: null, version: null, changed: observations.length > 0, refs}, observations}
}

/** `sha1:1bf6…` for one version; `3 refs changed` for a TAG pattern. */
function updateText({result, observations}: Checked): string {
  if (result.version) return `${result.version.split(':')[0]}:${shortVersion(result.version)}`
  const count = observations.length
  return `${count} ref${count === 1 ? '' : 's'} changed`
}

function toDktError(error: unknown): DktError {
  return error instanceof DktError ? error : new GitFailedError(String((error as Error)?.message ?? error), {cause: error})
}

/**
 * Checks the given sources (at most `concurrency` at once) and records every new version in one commit.
 * Sources that fail are reported in `failures`; the others are still recorded. `defs`: the definitions of these
 * sources when the caller has just read them (a scheduler checking thousands of sources at start).
 */
export async function updateSources(
  repo: MetaRepo,
  options: {names: string[]; now: Date; concurrency?: number; defs?: SourceDef[]},
): Promise<{results: UpdateResult[]; failures: UpdateFailure[]}> {
  const known = new Map(options.defs?.map((def) => [def.name, def]))
  const defs = await Promise.all(options.names.map((name) => known.get(name) ?? loadSource(repo, name)))
  const drivers = driverCache(repo)
  const outcomes = await pMap(
    defs,
    async (def) => {
      try {
        return {checked: await checkOne(repo, def, drivers, options.now)}
      } catch (error) {
        return {failure: {name: def.name, error: toDktError(error)}}
      }
    },
    {concurrency: Math.max(1, options.concurrency ?? 4)},
  )
  // In the order of `names`, as p-map keeps it.
  const checked = outcomes.flatMap((o) => (o.checked ? [o.checked] : []))
  const results = checked.map((c) => c.result)
  const failures = outcomes.flatMap((o) => (o.failure ? [o.failure] : []))

  const changed = checked.filter((c) => c.result.changed)
  const message =
    changed.length === 1
      ? `source update ${changed[0].result.name} ${updateText(changed[0])}`
      : `source update: ${changed.length} new versions (${changed.map((c) => c.result.name).join(', ')})`
  await repo.transaction(message, async (tx) => {
    for (const {result, observations} of changed) {
      if (!(await repo.readJson(`sources/${result.name}.json`))) continue
      // Another writer may have recorded the same version meanwhile: append only what is still new.
      if (!result.refs && (await lastObserved(repo, result.name)) === result.version) continue
      for (const observation of observations) tx.appendLine(versionsFile(result.name), compactJson(observation))
    }
  })
  return {results, failures}
}
