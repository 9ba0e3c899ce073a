// `dkt source log`: the versions of a source, newest first.
import {loadDriver} from '../../kinds/registry.js'
import type {MetaRepo} from '../meta-repo.js'
import type {Version} from '../../base/version.js'
import {loadSource, sourceVersions} from './store.js'

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

export async function logSource(repo: MetaRepo, options: {name: string}): Promise<SourceLog> {
  const def = await loadSource(repo, options.name)
  const [versions, driver] = await Promise.all([sourceVersions(repo, def), loadDriver(def.kind)])
  const entries = versions.map(({version, observed, info}) => ({version, observed: observed ?? null, pinned: def.pin === version, info: info ?? {}}))
  return {columns: [...(driver.logColumns ?? [])], entries}
}
