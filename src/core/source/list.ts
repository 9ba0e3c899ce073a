// `dkt source list`: every source with its pinned or last observed version, optionally checking them all first.
import {machineName} from '../../base/host.js'
import {livesOn} from '../labels.js'
import type {MetaRepo} from '../meta-repo.js'
import type {Version} from '../../base/version.js'
import type {SourceDef} from '../model/source.js'
import {isPatternSource} from './refs.js'
import {loadAllSources, loadRefStates, type SourceView, viewOf, withRefs} from './store.js'
import {type UpdateFailure, updateSources} from './update.js'

export async function listSources(
  repo: MetaRepo,
  options: {refresh?: boolean; now: Date} = {now: new Date()},
): Promise<{sources: ListedSource[]; failures: UpdateFailure[]}> {
  let failures: UpdateFailure[] = []
  if (options.refresh) {
    // A refresh is an automatic update run by hand: paused sources, and path sources of other machines, stay as they are.
    const active = (await loadAllSources(repo)).filter((def) => !def.paused && livesOn(def, machineName())).map((def) => def.name)
    ;({failures} = await updateSources(repo, {names: active, now: options.now}))
  }
  const defs = await loadAllSources(repo)
  const sources = await Promise.all(defs.map((def) => listed(repo, def)))
  return {sources, failures}
}

/** A listed source; a TAG pattern's refs deleted upstream are listed too, with the version each had when it went. */
export type ListedSource = SourceView & {goneRefs?: {ref: string; latest: Version}[]}

async function listed(repo: MetaRepo, def: SourceDef): Promise<ListedSource> {
  if (!isPatternSource(def)) return viewOf(repo, def)
  const states = await loadRefStates(repo, def)
  const gone = states.filter((state) => state.gone).map((state) => ({ref: state.ref, latest: state.version}))
  return {...withRefs(def, states), ...(gone.length > 0 ? {goneRefs: gone} : {})}
}
