// `dkt source log`: the versions of a source, newest first.
import type {Version} from '../../base/version.js'
import type {MetaRepo} from '../meta-repo.js'
import {describeVersion, driverFor, loadSource, sourceVersions, toSpec} from './store.js'

export interface LogEntry {
  version: Version
  /** When dkt first saw this version, if it did. */
  observed: string | null
  pinned: boolean
  /** Kind-specific facts recorded with the version (hockeyapp: `BUILD`); see KindDriver.logColumns. */
  info: Record<string, string>
}

export interface SourceLog {
  /** Extra columns of this kind's log, shown between ID and FULL. */
  columns: string[]
  entries: LogEntry[]
}

type Known = {version: Version; observed?: string; info?: Record<string, string>}

export async function logSource(repo: MetaRepo, options: {name: string}): Promise<SourceLog> {
  const def = await loadSource(repo, options.name)
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
  return {columns: [...(driver.logColumns ?? [])], entries}
}
