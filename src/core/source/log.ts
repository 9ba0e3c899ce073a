// `dkt source log`: the versions of a source, newest first.
import type {MetaRepo} from '../meta-repo.js'
import type {Version} from '../version.js'
import {loadSource, sourceVersions} from './store.js'

export interface LogEntry {
  version: Version
  /** When dkt first saw this version, if it did. */
  observed: string | null
  pinned: boolean
}

export async function logSource(repo: MetaRepo, options: {name: string}): Promise<LogEntry[]> {
  const def = await loadSource(repo, options.name)
  const versions = await sourceVersions(repo, def)
  return versions.map(({version, observed}) => ({version, observed: observed ?? null, pinned: def.pin === version}))
}
