// `dkt source log`: the versions of a source, newest first.
import type {Version} from '../../base/version.js'
import type {MetaRepo} from '../meta-repo.js'
import type {SourceDef} from '../model/source.js'
import {isPatternSource, refStates, resolveRef} from './refs.js'
import {describeVersion, driverFor, loadSource, readObservations, sourceVersions, toSpec} from './store.js'

export interface LogEntry {
  version: Version
  /** When dkt first saw this version, if it did. */
  observed: string | null
  pinned: boolean
  /** Kind-specific facts recorded with the version (hockeyapp: `BUILD`); see KindDriver.logColumns. */
  info: Record<string, string>
  /** Only for a TAG pattern source: the ref (full name) this version was seen on. */
  ref?: string
}

export interface SourceLog {
  /** Extra columns of this kind's log, shown between ID and FULL. */
  columns: string[]
  entries: LogEntry[]
  /** A TAG pattern source: each entry names its ref (the REF column). */
  byRef: boolean
}

type Known = {version: Version; observed?: string; info?: Record<string, string>}

export async function logSource(repo: MetaRepo, options: {name: string; ref?: string}): Promise<SourceLog> {
  const def = await loadSource(repo, options.name)
  if (options.ref !== undefined || isPatternSource(def)) return logRefs(repo, def, options.ref)
  const [known, {driver, ctx}] = await Promise.all([sourceVersions(repo, def), driverFor(repo, def.kind)])
  let versions: Known[] = known
  if (driver.history === 'observed' && driver.log && known.length > 0) {
    // A kind that can list more than dkt observed (hockeyapp: every downloadable build) shows it all; observed
    // versions it no longer lists stay, after it.
    const listed = await driver.log(toSpec(def), known[0].version, ctx)
    const byVersion = new Map(known.map((entry) => [entry.version, entry]))
    versions = [...listed.map((version) => byVersion.get(version) ?? {version}), ...known.filter((entry) => !listed.includes(entry.version))]
  }
  // Versions recorded without their facts (a run's output) or never observed are described now.
  const entries = await Promise.all(
    versions.map(async ({version, observed, info}) => ({
      version,
      observed: observed ?? null,
      pinned: def.pin === version,
      info: info ?? (await describeVersion(driver, toSpec(def), version, ctx)) ?? {},
    })),
  )
  return {columns: [...(driver.logColumns ?? [])], entries, byRef: false}
}

/**
 * A TAG pattern source's log: the versions seen on each ref, newest first; with a ref, that ref's own history (as
 * a source following only it would show), the versions seen on it marked with their time.
 */
async function logRefs(repo: MetaRepo, def: SourceDef, refText: string | undefined): Promise<SourceLog> {
  const [observations, {driver, ctx}] = await Promise.all([readObservations(repo, def.name), driverFor(repo, def.kind)])
  const states = refStates(def, observations)
  const ref = refText === undefined ? undefined : resolveRef(def, states, refText)
  const seen = observations.filter((o) => o.ref !== undefined && !o.gone && (ref === undefined || o.ref === ref)).reverse()
  const pinned = (entryRef: string, version: Version) => def.pins?.[entryRef] === version
  const columns = [...(driver.logColumns ?? [])]
  const latest = states.find((state) => state.ref === ref)?.version
  if (ref === undefined || latest === undefined || !driver.log) {
    const unique = new Map(seen.map((o) => [`${o.ref} ${o.version}`, o]))
    const entries = [...unique.values()].map((o) => ({version: o.version, observed: o.observed, pinned: pinned(o.ref as string, o.version), info: o.info ?? {}, ref: o.ref}))
    return {columns, entries, byRef: true}
  }
  const observed = new Map(seen.map((o) => [o.version, o]))
  const history = await driver.log(toSpec(def), latest, ctx)
  const entries = await Promise.all(
    history.map(async (version) => ({
      version,
      observed: observed.get(version)?.observed ?? null,
      pinned: pinned(ref, version),
      info: observed.get(version)?.info ?? (await describeVersion(driver, toSpec(def), version, ctx)) ?? {},
      ref,
    })),
  )
  return {columns, entries, byRef: true}
}
