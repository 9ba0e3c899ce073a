// `dkt source list`: every source with its pinned or last observed version, optionally checking them all first.
import type {MetaRepo} from '../meta-repo.js'
import {loadAllSources, type SourceView, viewOf} from './store.js'
import {type UpdateFailure, updateSources} from './update.js'

export async function listSources(
  repo: MetaRepo,
  options: {refresh?: boolean; now: Date} = {now: new Date()},
): Promise<{sources: SourceView[]; failures: UpdateFailure[]}> {
  let failures: UpdateFailure[] = []
  if (options.refresh) {
    // A refresh is an automatic update run by hand: paused sources stay as they are.
    const active = (await loadAllSources(repo)).filter((def) => !def.paused).map((def) => def.name)
    ;({failures} = await updateSources(repo, {names: active, now: options.now}))
  }
  const defs = await loadAllSources(repo)
  const sources = await Promise.all(defs.map((def) => viewOf(repo, def)))
  return {sources, failures}
}
