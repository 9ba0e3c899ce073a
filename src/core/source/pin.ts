// `dkt source pin NAME VERSION` fixes a source to a version; `dkt source pin NAME LOCATION -k KIND` re-points it.
import {existsSync} from 'node:fs'
import * as path from 'node:path'

import {splitTag} from '../../kinds/infer.js'
import type {DriverContext, KindDriver} from '../../kinds/driver.js'
import {assertKind, loadDriver} from '../../kinds/registry.js'
import {compactJson} from '../../base/canonical-json.js'
import {BrokenMetadataError, InvalidArgumentError} from '../../base/errors.js'
import type {MetaRepo} from '../meta-repo.js'
import {type SourceDef, sourceFile, versionsFile} from '../model/source.js'
import {shortVersion, type Version, versionAlgorithm} from '../../base/version.js'
import {pinRef, unpinRef} from './pin-ref.js'
import {isPatternSource, refObservations, refStates, refUpdates} from './refs.js'
import {
  describeVersion,
  driverContext,
  lastObserved,
  loadAllSources,
  loadRefStates,
  loadSource,
  readObservations,
  resolveSourceVersion,
  type SourceView,
  toSpec,
  toView,
  withRefs,
} from './store.js'

const label = (version: Version) => `${versionAlgorithm(version)}:${shortVersion(version)}`

export async function pinSource(repo: MetaRepo, options: {name: string; version?: string; ref?: string}): Promise<SourceView & {changed: boolean}> {
  const def = await loadSource(repo, options.name)
  // A TAG pattern source pins each ref on its own.
  if (options.ref !== undefined || isPatternSource(def)) return pinRef(repo, options)
  if (options.version === undefined) throw new InvalidArgumentError(`give the VERSION to pin \`${def.name}\` to; see \`dkt source log ${def.name}\``)
  const version = await resolveSourceVersion(repo, def, options.version)
  return repo.transaction(`source pin ${def.name} ${label(version)}`, async (tx) => {
    const current = await loadSource(repo, options.name)
    const changed = current.pin !== version
    if (changed) tx.writeJson(sourceFile(def.name), {...current, pin: version})
    return {...toView({...current, pin: version}, await lastObserved(repo, def.name)), changed}
  })
}

export async function unpinSource(repo: MetaRepo, options: {name: string; ref?: string}): Promise<SourceView & {changed: boolean}> {
  const def = await loadSource(repo, options.name)
  if (options.ref !== undefined || isPatternSource(def)) return unpinRef(repo, options)
  return repo.transaction(`source unpin ${options.name}`, async (tx) => {
    const {pin, ...current} = await loadSource(repo, options.name)
    if (pin) tx.writeJson(sourceFile(current.name), current)
    return {...toView(current, await lastObserved(repo, current.name)), changed: pin !== undefined}
  })
}

/**
 * Points a source at another location (a local mirror, say), keeping its name, its history and every node that
 * uses it. Derived sources that inherited the old location follow. A pin must still exist at the new location.
 */
export async function repointSource(
  repo: MetaRepo,
  options: {name: string; location: string; kind: string; cwd: string; now: Date},
): Promise<SourceView> {
  assertKind(options.kind)
  const def = await loadSource(repo, options.name)
  const split = splitTag(options.location, {existsLocally: (loc) => existsSync(path.resolve(options.cwd, loc))})
  const resolver = await loadDriver(options.kind)
  const resolved = await resolver.resolve(
    {location: split.location, tag: split.tag ?? (options.kind === def.kind ? def.tag : undefined), cwd: options.cwd},
    await driverContext(repo, options.kind),
  )
  const next = withHost({...def, kind: resolved.kind, location: resolved.location, tag: resolved.tag}, resolved.host)
  const ctx = await driverContext(repo, next.kind)
  const driver = await loadDriver(next.kind)
  if (isPatternSource(next)) return repointRefs(repo, def, next, {driver, ctx, now: options.now})
  const [latest] = await driver.check(toSpec(next), undefined, ctx)
  const info = await describeVersion(driver, toSpec(next), latest, ctx)
  if (def.pin) {
    try {
      await resolveSourceVersion(repo, {...next, name: def.name}, def.pin)
    } catch (error) {
      if (error instanceof BrokenMetadataError) throw error
      throw new InvalidArgumentError(
        `source \`${def.name}\` is pinned to ${label(def.pin)}, which does not exist at \`${options.location}\`; unpin it first`,
      )
    }
  }
  const derived = await inheritingChildren(repo, def)
  return repo.transaction(`source pin ${def.name} ${next.location} (${next.kind})`, async (tx) => {
    tx.writeJson(sourceFile(def.name), next)
    for (const child of derived) tx.writeJson(sourceFile(child.name), withHost({...child, kind: next.kind, location: next.location}, next.host))
    if ((await lastObserved(repo, def.name)) !== latest) {
      tx.appendLine(versionsFile(def.name), compactJson({observed: options.now.toISOString(), version: latest, info}))
    }
    return toView(next, latest)
  })
}

/** The sources derived from `def` that inherited its location: they follow it when it is re-pointed. */
async function inheritingChildren(repo: MetaRepo, def: SourceDef): Promise<SourceDef[]> {
  return (await loadAllSources(repo)).filter((child) => child.parent === def.name && child.location === def.location && child.kind === def.kind)
}

/** Re-points a TAG pattern source: its refs at the new location are recorded as a check would record them. */
async function repointRefs(repo: MetaRepo, def: SourceDef, next: SourceDef, using: {driver: KindDriver; ctx: DriverContext; now: Date}): Promise<SourceView> {
  const {driver, ctx, now} = using
  if (!driver.checkRefs) throw new InvalidArgumentError(`a ${next.kind} source cannot follow a TAG pattern (\`${next.tag}\`)`)
  const updates = refUpdates(await loadRefStates(repo, def), await driver.checkRefs(toSpec(next), ctx))
  const observations = refObservations(updates, now.toISOString(), () => undefined)
  const derived = await inheritingChildren(repo, def)
  return repo.transaction(`source pin ${def.name} ${next.location} (${next.kind})`, async (tx) => {
    tx.writeJson(sourceFile(def.name), next)
    for (const child of derived) tx.writeJson(sourceFile(child.name), {...child, kind: next.kind, location: next.location})
    for (const observation of observations) tx.appendLine(versionsFile(def.name), compactJson(observation))
    return withRefs(next, refStates(next, [...(await readObservations(repo, def.name)), ...observations]))
  })
}

/** A definition with the host of the location it now points at (none: any machine). */
function withHost(def: SourceDef, host: string | undefined): SourceDef {
  const {host: _old, ...rest} = def
  return host ? {...rest, host} : rest
}
