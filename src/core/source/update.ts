// `dkt source update` and `source list --refresh`: check sources now and record each new version, in one commit.
import pMap from 'p-map'

import {compactJson} from '../../base/canonical-json.js'
import {DktError, GitFailedError} from '../../base/errors.js'
import type {MetaRepo} from '../meta-repo.js'
import {type SourceDef, versionsFile} from '../model/source.js'
import {shortVersion, type Version} from '../../base/version.js'
import {describeVersion, type DriverCache, driverCache, lastObserved, loadSource, toSpec} from './store.js'

export interface UpdateResult {
  name: string
  previous: Version | null
  version: Version
  changed: boolean
  /** What the driver told about a new version (see KindDriver.describe). */
  info?: Record<string, string>
}

export interface UpdateFailure {
  name: string
  error: DktError
}

async function checkOne(repo: MetaRepo, def: SourceDef, drivers: DriverCache): Promise<UpdateResult> {
  const previous = (await lastObserved(repo, def.name)) ?? null
  const {driver, ctx} = await drivers.driverFor(def.kind)
  const versions = await driver.check(toSpec(def), previous ?? undefined, ctx)
  const version = versions.at(-1) as Version
  const changed = version !== previous
  const info = changed ? await describeVersion(driver, toSpec(def), version, ctx) : undefined
  return {name: def.name, previous, version, changed, info}
}

function toDktError(error: unknown): DktError {
  return error instanceof DktError ? error : new GitFailedError(String((error as Error)?.message ?? error), {cause: error})
}

/**
 * Checks the given sources (at most `concurrency` at once) and records every new version in one commit.
 * Sources that fail are reported in `failures`; the others are still recorded.
 */
export async function updateSources(
  repo: MetaRepo,
  options: {names: string[]; now: Date; concurrency?: number},
): Promise<{results: UpdateResult[]; failures: UpdateFailure[]}> {
  const defs = await Promise.all(options.names.map((name) => loadSource(repo, name)))
  const drivers = driverCache(repo)
  const outcomes = await pMap(
    defs,
    async (def) => {
      try {
        return {result: await checkOne(repo, def, drivers)}
      } catch (error) {
        return {failure: {name: def.name, error: toDktError(error)}}
      }
    },
    {concurrency: Math.max(1, options.concurrency ?? 4)},
  )
  // In the order of `names`, as p-map keeps it.
  const results = outcomes.flatMap((o) => (o.result ? [o.result] : []))
  const failures = outcomes.flatMap((o) => (o.failure ? [o.failure] : []))

  const changed = results.filter((r) => r.changed)
  const message =
    changed.length === 1
      ? `source update ${changed[0].name} ${changed[0].version.split(':')[0]}:${shortVersion(changed[0].version)}`
      : `source update: ${changed.length} new versions (${changed.map((r) => r.name).join(', ')})`
  await repo.transaction(message, async (tx) => {
    for (const result of changed) {
      // Another writer may have recorded the same version meanwhile: append only what is still new.
      if ((await lastObserved(repo, result.name)) === result.version) continue
      if (!(await repo.readJson(`sources/${result.name}.json`))) continue
      tx.appendLine(versionsFile(result.name), compactJson({observed: options.now.toISOString(), version: result.version, info: result.info}))
    }
  })
  return {results, failures}
}
